"""A real Celery worker, started as a separate process, takes the allocation
tasks from Redis and allots two small districts end to end."""

import pytest
from django.conf import settings

from slots.models import Appointment
from teeka.celery import app
from tests.workers import wait_for

from .conftest import person, session_at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_worker_allots_every_district_from_the_beat_task(places, worker):
    session_at(places.home, capacity=3)
    session_at(places.elsewhere, capacity=2)
    raipur = [person(places.home) for _ in range(4)]
    bastar = [person(places.elsewhere) for _ in range(2)]

    with app.connection_for_write(settings.REDIS_URL) as conn:
        app.send_task("slots.tasks.allocate_all_districts", connection=conn)

    done = wait_for(lambda: Appointment.objects.count() == 5)
    assert done, worker.stderr.read1().decode() if worker.poll() is not None else "timed out"
    served = set(Appointment.objects.values_list("registration_id", flat=True))
    assert {p.pk for p in raipur[:3] + bastar} == served
