"""The reminder the day before, and the reply: HAAN confirms, NAHI gives the
seat up for another date and the next person in the queue gets it. Replies
come through the signed webhook as the gateway would post them; what follows
is read back with SQL written here and from the SMS outbox."""

import datetime
import re
import zoneinfo
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from slots.models import Reminder
from slots.reminders import send_reminders
from slots.services import allot, cancel_for_another_date
from teeka.models import OutboundSms
from teeka.sms import sign_inbound
from tests import factories

from .conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db

IST = zoneinfo.ZoneInfo("Asia/Kolkata")
TODAY = datetime.date.today()
# Early in the morning of the day before: the session tomorrow at 09:00 is
# more than the 24 hours' notice away, so a seat given up now is allotted again.
MORNING = datetime.datetime.combine(TODAY, datetime.time(7, 30), IST)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = MORNING

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def tomorrow(places, clock):
    return session_at(places.home, date=TODAY + datetime.timedelta(days=1), capacity=1)


def _allotted(places, session, *, language="hi", account=None, seat=1, **fields):
    if account is not None:
        fields["account"] = account
    registration = person(places.home, seat=seat, **fields)
    if language:
        registration.account.language = language
        registration.account.save()
    allot(registration=registration, session=session, by=None)
    return registration


def _reply(client, mobile: str, text: str, signature: str | None = None):
    body = urlencode({"from": mobile, "text": text}).encode()
    return client.post(
        "/sms/inbound/",
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Teeka-Signature": sign_inbound(body) if signature is None else signature},
    )


def _status(registration) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_id, status FROM slots_appointment WHERE registration_id = %s"
            " ORDER BY id",
            [registration.pk],
        )
        return cursor.fetchall()


def _appointment_of(registration) -> int:
    return _status_rows(registration)[0]


def _status_rows(registration) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM slots_appointment WHERE registration_id = %s ORDER BY id",
            [registration.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def _sms(kind: str) -> list[str]:
    return list(OutboundSms.objects.filter(kind=kind).order_by("pk").values_list("text", flat=True))


def _remind() -> int:
    return send_reminders(today=TODAY)


def test_a_reminder_goes_out_once_the_day_before_in_the_persons_language(places, tomorrow):
    _allotted(places, tomorrow, language="hi", name="सीता बाई")
    later = session_at(places.home, date=TODAY + datetime.timedelta(days=3))
    _allotted(places, later, language="en")
    assert _remind() == 1
    assert _remind() == 0
    (text,) = _sms("reminder")
    assert "सीता बाई" in text and "HAAN" in text and "NAHI" in text
    # Apart from the two keywords and the name of the centre, all Hindi.
    leftover = text.replace("HAAN", "").replace("NAHI", "").replace(tomorrow.centre.name, "")
    assert not re.search(r"[A-Za-z]{3,}", leftover), text


def test_nahi_gives_the_seat_to_the_next_in_the_queue_and_never_this_session_again(
    client, places, tomorrow, clock
):
    seated = _allotted(places, tomorrow, queue_at=MORNING - datetime.timedelta(days=9))
    waiting = person(places.home, queue_at=MORNING - datetime.timedelta(days=5))
    _remind()
    clock.now = MORNING + datetime.timedelta(minutes=20)
    response = _reply(client, str(seated.account.mobile), "नहीं")
    assert response.json() == {"outcome": "declined"}
    assert _status(seated) == [(tomorrow.pk, "cancelled")]
    allocate(places.home, now=clock.now)
    assert _status(waiting) == [(tomorrow.pk, "booked")]
    # The one who said no keeps their place, and is never given that session again.
    allocate(places.home, now=clock.now)
    assert [row for row in _status(seated) if row[1] == "booked"] == []
    (cancelled,) = _sms("cancelled_another_date")
    assert "रद्द" in cancelled


@pytest.mark.parametrize("text", ["haan", "HAAN", "Haan ji", "हाँ", "हां", "yes", " Yes. ", "ha"])
def test_the_ways_of_saying_yes_confirm_the_slot(client, places, tomorrow, text):
    seated = _allotted(places, tomorrow)
    _remind()
    assert _reply(client, str(seated.account.mobile), text).json() == {"outcome": "confirmed"}
    assert _status(seated) == [(tomorrow.pk, "booked")]
    assert len(_sms("reply_confirmed")) == 1


@pytest.mark.parametrize("text", ["nahi", "NAHIN", "नहीं", "नही", "No", "na."])
def test_the_ways_of_saying_no_give_the_seat_up(client, places, tomorrow, text):
    seated = _allotted(places, tomorrow)
    _remind()
    assert _reply(client, str(seated.account.mobile), text).json() == {"outcome": "declined"}
    assert _status(seated) == [(tomorrow.pk, "cancelled")]


@pytest.mark.parametrize("text", ["", "maybe", "kal", "हाँ नहीं", "STOP"])
def test_anything_else_gets_a_short_help_sms_and_changes_nothing(client, places, tomorrow, text):
    seated = _allotted(places, tomorrow)
    _remind()
    assert _reply(client, str(seated.account.mobile), text).json() == {"outcome": "not understood"}
    assert _status(seated) == [(tomorrow.pk, "booked")]
    (help_text,) = _sms("reply_help")
    assert "HAAN" in help_text and settings.TEEKA_HELPLINE in help_text


def test_only_the_gateway_may_post_a_reply(client, places, tomorrow):
    seated = _allotted(places, tomorrow)
    _remind()
    mobile = str(seated.account.mobile)
    assert _reply(client, mobile, "NAHI", signature="").status_code == 403
    assert _reply(client, mobile, "NAHI", signature="0" * 64).status_code == 403
    assert client.get("/sms/inbound/").status_code == 405
    assert _status(seated) == [(tomorrow.pk, "booked")]


def test_the_first_reply_decides_and_a_second_is_answered_politely(client, places, tomorrow):
    seated = _allotted(places, tomorrow)
    _remind()
    mobile = str(seated.account.mobile)
    assert _reply(client, mobile, "HAAN").json() == {"outcome": "confirmed"}
    assert _reply(client, mobile, "NAHI").json() == {"outcome": "already answered"}
    assert _status(seated) == [(tomorrow.pk, "booked")]
    assert len(_sms("reply_already")) == 1


def test_a_reply_after_the_slot_began_changes_nothing(client, places, tomorrow, clock):
    seated = _allotted(places, tomorrow)
    _remind()
    clock.now = datetime.datetime.combine(tomorrow.date, datetime.time(9, 5), IST)
    assert _reply(client, str(seated.account.mobile), "NAHI").json() == {"outcome": "too late"}
    assert _status(seated) == [(tomorrow.pk, "booked")]
    assert len(_sms("reply_late")) == 1


def test_a_reply_from_a_number_with_no_reminder_is_ignored(client, places, tomorrow):
    _allotted(places, tomorrow)
    _remind()
    assert _reply(client, "+919800000001", "NAHI").json() == {
        "outcome": "no reminder for this number"
    }
    assert not OutboundSms.objects.filter(to="+919800000001").exists()


def test_with_two_people_on_one_number_the_reply_names_the_seat(client, places, tomorrow):
    tomorrow.capacity = 2
    tomorrow.save(update_fields=["capacity"])
    account = factories.make_account(language="hi")
    first = _allotted(places, tomorrow, account=account, seat=1, language=None)
    second = _allotted(places, tomorrow, account=account, seat=2, language=None)
    assert _remind() == 2
    reminders = _sms("reminder")
    assert any("NAHI 2" in text for text in reminders), reminders
    mobile = str(account.mobile)
    # Typed in the ways phones type it: the seat in Devanagari digits.
    assert _reply(client, mobile.replace("+91", "0"), "NAHI").json() == {"outcome": "which person"}
    assert _reply(client, mobile, "नहीं २").json() == {"outcome": "declined"}
    assert _status(first) == [(tomorrow.pk, "booked")]
    assert _status(second) == [(tomorrow.pk, "cancelled")]


def test_a_reply_can_be_simulated_from_the_command_line(places, tomorrow, capsys):
    seated = _allotted(places, tomorrow)
    _remind()
    call_command("sms_reply", str(seated.account.mobile), "NAHI")
    assert capsys.readouterr().out.strip() == "declined"
    assert _status(seated) == [(tomorrow.pk, "cancelled")]


def test_reminders_are_on_the_beat():
    tasks = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "slots.tasks.send_reminders" in tasks


class _DeadlockError(Exception):
    pgcode = "40P01"  # what psycopg2 carries for PostgreSQL's "deadlock detected"


def _conflict() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = _DeadlockError()
    return error


# Outside a test's transaction, as the gateway's request is: the retry is the
# outermost transaction's.
@pytest.mark.django_db(transaction=True)
def test_a_reply_picked_to_break_a_deadlock_is_run_again_whole(
    client, places, tomorrow, monkeypatch
):
    seated = _allotted(places, tomorrow)
    _remind()
    calls = []

    def deadlocked_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise _conflict()
        return cancel_for_another_date(**kwargs)

    monkeypatch.setattr("slots.reminders.cancel_for_another_date", deadlocked_once)
    response = _reply(client, str(seated.account.mobile), "NAHI")
    assert response.json() == {"outcome": "declined"}
    assert _status(seated) == [(tomorrow.pk, "cancelled")]
    assert len(calls) == 2


# Outside a test's transaction, as the gateway's request is: the retry is the
# outermost transaction's.
@pytest.mark.django_db(transaction=True)
def test_a_reply_still_in_conflict_asks_the_gateway_to_send_it_again(
    client, places, tomorrow, monkeypatch
):
    seated = _allotted(places, tomorrow)
    _remind()

    def always_deadlocked(**kwargs):
        raise _conflict()

    monkeypatch.setattr("slots.reminders.cancel_for_another_date", always_deadlocked)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    response = _reply(client, str(seated.account.mobile), "NAHI")
    assert response.status_code == 503
    # Nothing was kept of the reply: when the gateway sends it again, it counts.
    assert Reminder.objects.get(pk=_appointment_of(seated)).reply == ""
    assert _status(seated) == [(tomorrow.pk, "booked")]
