"""The SMS gateway fails for hours, then recovers: no message is lost, none
goes twice, none goes at night, and signing in answers with a message while
the gateway is down. The gateway here is a backend that refuses while `down`
is set and records what it took, with the sender's clock."""

import datetime
import itertools
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from slots.models import Appointment
from slots.services import cancel_appointment
from teeka import outbox
from teeka.models import OutboundSms
from teeka.sms import BaseBackend, SmsError

from .conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db
IST = ZoneInfo("Asia/Kolkata")
EVENING = datetime.datetime(2026, 3, 2, 18, 0, tzinfo=IST)


class Gateway(BaseBackend):
    down = False
    taken: list = []
    clock = None

    def send(self, *, to: str, text: str) -> None:
        if Gateway.down:
            raise SmsError("gateway unreachable")
        Gateway.taken.append((to, text, Gateway.clock() if Gateway.clock else None))


@pytest.fixture
def gateway(settings):
    settings.SMS_BACKEND = "tests.slots.test_sms_gateway_outage.Gateway"
    Gateway.down, Gateway.taken, Gateway.clock = False, [], None
    cache.clear()
    return Gateway


def _run_minutes(start: datetime.datetime, end: datetime.datetime, gateway, down_until) -> None:
    """A sender every minute from start to end, as beat would run it."""
    now = start
    while now <= end:
        gateway.down = now < down_until
        gateway.clock = lambda now=now: now
        outbox.send_due(now=now)
        now += datetime.timedelta(minutes=1)


def test_a_gateway_down_for_five_hours_loses_nothing_and_sends_nothing_at_night(places, gateway):
    session_at(places.home, capacity=4, days_ahead=10)
    people = [person(places.home) for _ in range(4)]
    allocate(places.home)
    first = Appointment.objects.get(registration=people[0])
    cancel_appointment(appointment=first, by=None, reason="Unwell")
    OutboundSms.objects.update(send_after=EVENING, created_at=EVENING)
    written = list(OutboundSms.objects.values_list("to", "text"))
    assert len(written) == 5  # four allotments, one cancellation
    morning = datetime.datetime(2026, 3, 3, 7, 0, tzinfo=IST)

    _run_minutes(
        EVENING, morning + datetime.timedelta(minutes=30), gateway, EVENING.replace(hour=23)
    )

    assert Counter((to, text) for to, text, _ in gateway.taken) == Counter(written)
    assert all(not outbox.in_quiet_hours(at) for _, _, at in gateway.taken)
    assert all(at >= morning for _, _, at in gateway.taken)
    assert set(OutboundSms.objects.values_list("status", flat=True)) == {"sent"}
    # The cancellation went before the allotments once the gateway was back.
    # Once the gateway was back, the cancellation went before the other
    # allotments, though right after the allotment it cancels.
    cancelled = OutboundSms.objects.get(kind="appointment_cancelled")
    its_allotment = OutboundSms.objects.get(dedupe_key=f"allotted:{first.pk}")
    assert [text for _, text, _ in gateway.taken[:2]] == [its_allotment.text, cancelled.text]


def test_quiet_hours_are_checked_for_each_message_not_once_a_run(places, gateway):
    session_at(places.home, capacity=3)
    for _ in range(3):
        person(places.home)
    allocate(places.home)
    start = datetime.datetime(2026, 3, 2, 20, 59, 58, tzinfo=IST)
    OutboundSms.objects.update(send_after=start)
    ticks = (start + datetime.timedelta(seconds=n) for n in itertools.count())
    clock = lambda: next(ticks)  # noqa: E731 - a second passes each time it is read
    gateway.clock = lambda: start

    outbox.send_batch(clock=clock)

    assert len(gateway.taken) == 1  # 20:59:58; at 21:00 the rest waits
    waiting = OutboundSms.objects.filter(status="pending")
    assert waiting.count() == 2
    assert all(
        m.send_after == start.replace(hour=7, minute=0, second=0) + datetime.timedelta(days=1)
        for m in waiting
    )
    assert all(m.attempts == 0 for m in waiting)


def test_signing_in_while_the_gateway_is_down_says_so_and_the_code_follows(gateway):
    gateway.down = True
    client = Client()

    response = client.post(reverse("registrations:sign_in"), {"mobile": "98123 45678"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("registrations:sign_in_code")
    assert "The SMS service is slow just now" in response.content.decode()
    assert gateway.taken == []

    gateway.down = False
    outbox.send_due(now=timezone.now() + datetime.timedelta(minutes=1))
    ((to, text, _),) = gateway.taken
    code = re.search(r"\b(\d{6})\b", text).group(1)
    response = client.post(reverse("registrations:sign_in_code"), {"code": code})
    assert response.url == reverse("registrations:account")
    # The code is not kept as typed once sent.
    assert code not in OutboundSms.objects.get(kind="sign_in_code").text


def test_a_code_the_gateway_never_took_expires_and_is_counted(gateway, client):
    gateway.down = True
    client.post(reverse("registrations:sign_in"), {"mobile": "98123 45678"})

    outbox.send_due(now=timezone.now() + datetime.timedelta(minutes=6))

    code = OutboundSms.objects.get(kind="sign_in_code")
    assert code.status == "expired"
    health = Client().get("/healthz").json()
    assert health["sms"]["expired"] == 1
