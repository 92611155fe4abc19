"""A worker process killed (SIGKILL) in the middle of a district's run: the
batches it committed stand, PostgreSQL drops its connection and with it the
district's lock, and the next run of the district closes the cut-short run
as interrupted and seats everyone the uninterrupted run would have."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.db import connection

from slots.allocation import allocate_district
from slots.models import AllocationRun, Appointment
from tests import factories
from tests.workers import ROOT, database_url, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The allocator's own code, in a process of its own, pausing between batches
# so the test can kill it there (or in the middle of one).
SLOW_RUN = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from slots import allocation
    allocation._after_batch = lambda district_id, batch: time.sleep(0.5)
    allocation.allocate_district(district_id=int(sys.argv[1]), batch_size=3)
    """
)


def test_a_run_killed_mid_way_is_closed_as_interrupted_and_its_work_done_by_the_next(
    raipur_village,
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    centre = factories.make_centre(locality=raipur_village)
    session = factories.make_session(centre=centre, capacity=12)
    people = [
        factories.make_registration(locality=raipur_village, account=factories.make_account())
        for _ in range(15)
    ]
    district_id = session.district_id
    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("REDIS_URL", None)
    worker = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(district_id)], cwd=ROOT, env=env)
    try:
        started = wait_for(
            lambda: AllocationRun.objects.filter(district_id=district_id, batches__gte=1).exists()
        )
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert started
    cut_short = AllocationRun.objects.get(district_id=district_id)
    assert cut_short.finished_at is None and 0 < cut_short.allotted < 12
    # Whole batches only: every seat counted is an appointment, and back.
    assert Appointment.objects.count() == cut_short.allotted
    session.refresh_from_db()
    assert session.booked == cut_short.allotted

    summary = allocate_district(district_id=district_id, wait=True)

    assert not summary.skipped  # the dead worker's lock went with its connection
    cut_short.refresh_from_db()
    assert cut_short.interrupted and cut_short.finished_at is not None
    last = AllocationRun.objects.exclude(pk=cut_short.pk).get()
    assert not last.interrupted and last.finished_at is not None
    seated = sorted(Appointment.objects.values_list("registration_id", flat=True))
    assert seated == sorted(p.pk for p in people[:12])  # the first 12 in the queue
    session.refresh_from_db()
    assert session.booked == 12
