"""A citizen who cancels chooses: another date, a pause, or withdraw. Each is
followed to its consequence: the allocator runs, and we look at what the person
and the next in the queue get, by SQL written here, and at the SMS they read."""

import datetime
import re

import pytest
from django.db import connection
from django.utils import timezone

from registrations.models import Registration
from registrations.services import queue_place, withdraw_registration
from slots.models import Session
from slots.services import (
    AgainstWishes,
    allot,
    cancel_for_another_date,
    pause_registration,
    resume_registration,
)
from teeka.models import OutboundSms

from .conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db


def _booked_session(registration: Registration) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_id FROM slots_appointment"
            " WHERE registration_id = %s AND status = 'booked'",
            [registration.pk],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _sessions_ever(registration: Registration) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_id FROM slots_appointment WHERE registration_id = %s ORDER BY id",
            [registration.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def _booked_count(session: Session) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM slots_appointment WHERE session_id = %s AND status = 'booked'",
            [session.pk],
        )
        return cursor.fetchone()[0]


def _appointment(registration: Registration):
    return registration.appointments.get(status="booked")


def _queue(places, n: int) -> list[Registration]:
    start = timezone.now() - datetime.timedelta(days=10)
    return [
        person(places.home, queue_at=start + datetime.timedelta(minutes=i), name=f"व्यक्ति {i}")
        for i in range(n)
    ]


def test_another_date_is_never_the_cancelled_session_and_the_seat_goes_to_the_next(places):
    monday = session_at(places.home, days_ahead=3, capacity=1)
    wednesday = session_at(places.home, days_ahead=5, capacity=1)
    first, second, third = _queue(places, 3)
    allocate(places.home)
    assert _booked_session(first) == monday.pk
    assert _booked_session(second) == wednesday.pk

    cancel_for_another_date(appointment=_appointment(first), by=None)
    assert _booked_count(monday) == 0  # the seat is back at once
    allocate(places.home)

    # Monday was the only free seat: it goes to the next in the queue, and
    # the person who gave it up waits, first in the queue still.
    assert _booked_session(first) is None
    assert _booked_session(third) == monday.pk
    friday = session_at(places.home, days_ahead=7, capacity=1)
    allocate(places.home)
    assert _booked_session(first) == friday.pk
    assert _sessions_ever(first) == [monday.pk, friday.pk]


def test_not_before_keeps_earlier_sessions_away(places):
    soon = session_at(places.home, days_ahead=3, capacity=5)
    later = session_at(places.home, days_ahead=6, capacity=5)
    latest = session_at(places.home, days_ahead=9, capacity=5)
    (someone,) = _queue(places, 1)
    allocate(places.home)
    assert _booked_session(someone) == soon.pk

    cancel_for_another_date(
        appointment=_appointment(someone), by=None, not_before=latest.date - datetime.timedelta(1)
    )
    allocate(places.home)
    assert _booked_session(someone) == latest.pk
    assert later.pk not in _sessions_ever(someone)


def test_cancelling_again_and_again_costs_no_place(places):
    sessions = [session_at(places.home, days_ahead=d, capacity=1) for d in (3, 4, 5, 6)]
    first, second = _queue(places, 2)
    queue_at = first.queue_at
    allocate(places.home)
    for _ in range(2):
        cancel_for_another_date(appointment=_appointment(first), by=None)
        first.refresh_from_db()
        # Back at the head of the queue, before anyone registered later.
        assert queue_place(registration=first).in_area == 1
        allocate(places.home)
    first.refresh_from_db()
    assert first.queue_at == queue_at
    assert first.no_show_count == 0
    # Each time the earliest seat they had not given up.
    assert _sessions_ever(first) == [sessions[0].pk, sessions[2].pk, sessions[3].pk]
    assert _booked_session(second) == sessions[1].pk


def test_a_second_click_on_cancel_changes_nothing(places):
    session_at(places.home, days_ahead=3, capacity=1)
    (someone,) = _queue(places, 1)
    allocate(places.home)
    appointment = _appointment(someone)
    assert cancel_for_another_date(appointment=appointment, by=None) is True
    assert cancel_for_another_date(appointment=appointment, by=None) is False
    assert OutboundSms.objects.filter(kind="cancelled_another_date").count() == 1


def test_a_paused_person_is_skipped_until_they_resume(places):
    monday = session_at(places.home, days_ahead=3, capacity=1)
    first, second = _queue(places, 2)
    allocate(places.home)
    pause_registration(registration=first, by=None)
    first.refresh_from_db()
    assert first.status == "paused"
    assert _booked_count(monday) == 0

    allocate(places.home)
    assert _booked_session(second) == monday.pk
    assert _booked_session(first) is None
    later = session_at(places.home, days_ahead=4, capacity=1)
    allocate(places.home)
    assert _booked_session(first) is None  # still paused: the seat stays free
    assert Session.objects.get(pk=later.pk).booked == 0

    assert resume_registration(registration=first, by=None) is True
    allocate(places.home)
    assert _booked_session(first) == later.pk


def test_the_dry_run_honours_the_wishes_too(places):
    session_at(places.home, days_ahead=3, capacity=1)
    (someone,) = _queue(places, 1)
    allocate(places.home)
    cancel_for_another_date(appointment=_appointment(someone), by=None)
    assert allocate(places.home, dry_run=True).allotted == 0


def test_withdrawing_frees_the_seat_and_never_says_you_keep_your_place(places):
    monday = session_at(places.home, days_ahead=3, capacity=1)
    first, second = _queue(places, 2)
    allocate(places.home)
    withdraw_registration(registration=first, by=None, reason="Withdrawn by the citizen")
    assert _booked_count(monday) == 0
    allocate(places.home)
    assert _booked_session(second) == monday.pk
    texts = list(
        OutboundSms.objects.filter(to=str(first.account.mobile)).values_list("kind", "text")
    )
    assert [kind for kind, _ in texts] == ["allotted", "withdrawn"]
    assert "कतार में आपकी जगह बनी" not in texts[-1][1]
    assert "हमेशा के लिए" in texts[-1][1]


def test_an_official_is_warned_before_going_against_a_wish(places, raipur_official):
    monday = session_at(places.home, days_ahead=3, capacity=2)
    (someone,) = _queue(places, 1)
    allocate(places.home)
    cancel_for_another_date(appointment=_appointment(someone), by=None)
    someone.refresh_from_db()
    with pytest.raises(AgainstWishes):
        allot(registration=someone, session=monday, by=raipur_official)
    allot(registration=someone, session=monday, by=raipur_official, override_wishes=True)
    assert _booked_session(someone) == monday.pk


def test_an_official_is_warned_before_allotting_a_paused_person(places, raipur_official):
    monday = session_at(places.home, days_ahead=3, capacity=2)
    (someone,) = _queue(places, 1)
    pause_registration(registration=someone, by=None)
    with pytest.raises(AgainstWishes):
        allot(registration=someone, session=monday, by=raipur_official)
    allot(registration=someone, session=monday, by=raipur_official, override_wishes=True)
    someone.refresh_from_db()
    assert someone.status == "allotted"


# Latin letters in a Hindi SMS are English words, except the reference
# (read out on the helpline, letters and digits).
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def test_each_sms_is_all_hindi(places):
    monday = session_at(places.home, days_ahead=3, capacity=3)
    monday.centre.name = "प्राथमिक स्वास्थ्य केंद्र"
    monday.centre.save()
    a, b, c = _queue(places, 3)
    allocate(places.home)
    cancel_for_another_date(appointment=_appointment(a), by=None)
    pause_registration(registration=b, by=None)
    withdraw_registration(registration=c, by=None, reason="Withdrawn by the citizen")
    messages = list(OutboundSms.objects.order_by("pk").values_list("kind", "text"))
    kinds = {kind for kind, _ in messages}
    assert {"allotted", "cancelled_another_date", "paused", "withdrawn"} <= kinds
    references = [r.display_reference for r in (a, b, c)]
    for kind, text in messages:
        for reference in references:
            text = text.replace(reference, "")
        assert not _LATIN_WORD.findall(text), (kind, text)
        assert "टीका" in text
