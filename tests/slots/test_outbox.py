"""The SMS outbox: one message per allotment, nothing lost to a failing
gateway, nothing sent at night. The clock is passed in, fixed."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from teeka import outbox
from teeka.models import OutboundSms
from teeka.sms import BaseBackend, SmsError, read_file_outbox

from .conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db
IST = ZoneInfo("Asia/Kolkata")
MORNING = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=IST)
NIGHT = datetime.datetime(2026, 3, 2, 22, 30, tzinfo=IST)


class FlakyBackend(BaseBackend):
    """Fails the first `failures` sends, then delivers to the file backend."""

    failures = 0
    delivered: list = []

    def send(self, *, to: str, text: str) -> None:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SmsError("gateway timeout")
        FlakyBackend.delivered.append((to, text))


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "tests.slots.test_outbox.FlakyBackend"
    FlakyBackend.delivered = []
    FlakyBackend.failures = 0
    return FlakyBackend


def three_allotments(places) -> None:
    session_at(places.home, capacity=3)
    for _ in range(3):
        person(places.home)
    allocate(places.home)
    OutboundSms.objects.update(send_after=MORNING - datetime.timedelta(hours=1))


def test_each_allotment_is_sent_once(places):
    three_allotments(places)

    assert outbox.send_due(now=MORNING) == 3
    assert outbox.send_due(now=MORNING) == 0

    sent = read_file_outbox()
    assert len(sent) == 3
    assert len({line["to"] for line in sent}) == 3
    assert set(OutboundSms.objects.values_list("status", flat=True)) == {"sent"}


def test_a_failing_gateway_delays_messages_and_loses_none(places, flaky):
    three_allotments(places)
    flaky.failures = 2

    assert outbox.send_due(now=MORNING) == 1
    failed = OutboundSms.objects.filter(status="pending")
    assert failed.count() == 2
    assert all(m.last_error == "gateway timeout" and m.attempts == 1 for m in failed)
    # Not retried at once: they wait a minute.
    assert outbox.send_due(now=MORNING + datetime.timedelta(seconds=30)) == 0

    assert outbox.send_due(now=MORNING + datetime.timedelta(minutes=2)) == 2
    assert len(flaky.delivered) == 3
    assert OutboundSms.objects.filter(status="sent").count() == 3


def test_a_message_that_always_fails_is_tried_every_15_minutes_at_most_until_it_expires(
    places, flaky
):
    three_allotments(places)
    OutboundSms.objects.update(expires_at=MORNING + datetime.timedelta(hours=3))
    flaky.failures = 10_000
    tries: list[datetime.datetime] = []
    now = MORNING
    while now <= MORNING + datetime.timedelta(hours=4):
        before = sum(OutboundSms.objects.values_list("attempts", flat=True))
        outbox.send_due(now=now)
        if sum(OutboundSms.objects.values_list("attempts", flat=True)) > before:
            tries.append(now)
        now += datetime.timedelta(minutes=1)

    gaps = [(b - a).total_seconds() / 60 for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps[:4] == [1, 2, 4, 8]
    assert max(gaps) == 15
    assert tries[-1] <= MORNING + datetime.timedelta(hours=3)
    assert OutboundSms.objects.filter(status="expired").count() == 3
    assert flaky.delivered == []


def test_nothing_is_sent_at_night(places):
    three_allotments(places)

    assert outbox.send_due(now=NIGHT) == 0
    assert outbox.send_due(now=NIGHT.replace(hour=6, minute=59) + datetime.timedelta(days=1)) == 0
    assert read_file_outbox() == []
    assert outbox.send_due(now=NIGHT.replace(hour=7) + datetime.timedelta(days=1)) == 3


def test_a_message_written_at_night_waits_for_seven_in_the_morning():
    assert outbox.next_sending_time(NIGHT) == datetime.datetime(2026, 3, 3, 7, 0, tzinfo=IST)
    assert outbox.next_sending_time(MORNING) == MORNING


def test_a_retry_never_lands_in_the_night(places, flaky):
    three_allotments(places)
    flaky.failures = 3
    evening = MORNING.replace(hour=20, minute=59)

    outbox.send_due(now=evening)

    for message in OutboundSms.objects.all():
        assert message.send_after.astimezone(IST).hour == 7
