"""Redis taken down, then frozen (SIGSTOP), in the middle of a working day:
signing in, registering, the status page, an official's change and /healthz
answer without an error and within 2 seconds; signed-in people stay signed
in. When Redis is back, the allocation the official's change asked for runs
(a real Celery worker) and its SMS go out exactly once."""

import re
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from districts import roles
from districts.role_permissions import sync_role_groups
from registrations.models import Registration
from slots.models import AllocationRequest, Appointment, Session
from teeka import redis_breaker
from teeka.celery import app
from teeka.models import OutboundSms
from teeka.sms import read_file_outbox
from tests import factories
from tests.registrations.helpers import form_payload
from tests.workers import start_worker, stop_worker, wait_for

from .conftest import timed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
LIMIT = 2.0


def _official(raipur_official):
    if not Group.objects.filter(name=roles.DISTRICT_OFFICIAL).exists():
        sync_role_groups(apps)
    raipur_official.groups.add(Group.objects.get(name=roles.DISTRICT_OFFICIAL))
    client = Client()
    client.force_login(raipur_official)
    return client


def _payload(locality, name: str) -> dict:
    return form_payload(locality, name=name)


def _sign_in(client: Client, mobile: str) -> list[float]:
    """Signs in through the pages; how long each step took."""
    response, asked = timed(client.post, reverse("registrations:sign_in"), {"mobile": mobile})
    assert response.status_code == 302, response.status_code
    last = read_file_outbox()[-1]["text"]
    code = re.search(r"\b(\d{6})\b", last).group(1)
    response, answered = timed(client.post, reverse("registrations:sign_in_code"), {"code": code})
    assert response.status_code == 302 and response.url == reverse("registrations:account")
    return [asked, answered]


def _working_day(*, citizen, official, newcomer_mobile, session, locality, capacity, name) -> dict:
    """What people do in a few seconds; returns each step's time."""
    times = {}
    times["sign in"] = max(_sign_in(Client(), newcomer_mobile))
    response, times["account page"] = timed(citizen.get, reverse("registrations:account"))
    assert response.status_code == 200  # still signed in, not sent to sign in
    before = Registration.objects.count()
    response, times["register"] = timed(
        citizen.post, reverse("registrations:add_person"), _payload(locality, name)
    )
    assert response.status_code == 302 and Registration.objects.count() == before + 1
    response, times["status page"] = timed(citizen.get, response.url)
    assert response.status_code == 200
    url = reverse("admin:slots_session_capacity", args=[session.pk])
    response, times["admin change"] = timed(official.post, url, {"capacity": capacity})
    assert response.status_code == 302
    assert Session.objects.get(pk=session.pk).capacity == capacity
    response, times["healthz"] = timed(Client().get, "/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]
    return times


def test_with_redis_down_then_frozen_people_keep_working_and_the_work_is_caught_up(
    own_redis, raipur_official, raipur_village, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    session = factories.make_session(
        centre=factories.make_centre(locality=raipur_village), capacity=1
    )
    waiting = [
        factories.make_registration(locality=raipur_village, account=factories.make_account())
        for _ in range(6)
    ]
    citizen = Client()
    _sign_in(citizen, "98123 45678")
    official = _official(raipur_official)
    assert official.get(reverse("admin:index")).status_code == 200

    own_redis.stop()
    down = _working_day(
        citizen=citizen,
        official=official,
        newcomer_mobile="98123 40001",
        name="Sunita Sahu",
        session=session,
        locality=raipur_village,
        capacity=3,
    )
    assert max(down.values()) < LIMIT, down

    own_redis.start()
    own_redis.freeze()
    redis_breaker.reset()  # so the first call of this phase meets the frozen server
    frozen = _working_day(
        citizen=citizen,
        official=official,
        newcomer_mobile="98123 40002",
        name="Kamla Bai Sahu",
        session=session,
        locality=raipur_village,
        capacity=5,
    )
    assert max(frozen.values()) < LIMIT, frozen
    # The official's changes are saved and their run is waiting for the broker.
    assert AllocationRequest.objects.filter(district_id=session.district_id).exists()
    assert not Appointment.objects.exists()

    own_redis.thaw()
    # Whatever the hour the suite runs at: no quiet hours in the worker.
    worker = start_worker(own_redis.url, SMS_QUIET_START_HOUR="24", SMS_QUIET_END_HOUR="0")
    try:
        with app.connection_for_write(own_redis.url) as conn:
            app.send_task("slots.tasks.catch_up_allocations", connection=conn)
        seated = wait_for(lambda: Appointment.objects.count() == 5)
        sent = wait_for(lambda: not OutboundSms.objects.filter(status="pending").exists())
    finally:
        stop_worker(worker)
        problems = worker.stderr.read().decode()
    assert seated and sent, problems
    assert not AllocationRequest.objects.exists()
    assert Appointment.objects.filter(session=session).count() == 5
    # The first in the queue got the seats.
    first = [r.pk for r in waiting[:5]]
    assert sorted(Appointment.objects.values_list("registration_id", flat=True)) == first

    # Each message reached the gateway exactly once.
    delivered = Counter((line["to"], line["text"]) for line in read_file_outbox())
    assert max(delivered.values()) == 1
    rows = OutboundSms.objects.all()
    assert all(row.status == "sent" for row in rows)
    assert sum(delivered.values()) == rows.count()
    notices = [row for row in rows if row.kind == "allotted"]
    assert len(notices) == 5
    assert all(delivered[(row.to, row.text)] == 1 for row in notices)
