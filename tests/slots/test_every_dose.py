"""What the vaccinator is told so no dose is wasted, found with the week's
simulation (benchmarks/week.py): what is left in the open vial once an
earlier one expired, how many doses a standby call should offer, how many
people it texts, and who may take a standby dose. Counts by SQL written here."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from slots.models import Appointment, Session, StandbyCall
from slots.services import (
    NotEligible,
    allot,
    call_standby,
    check_in_standby,
    open_vial,
    record_vaccination,
    standby_to_offer,
    standby_vial_worth_opening,
)

from .conftest import person, session_at

pytestmark = pytest.mark.django_db

IST = zoneinfo.ZoneInfo("Asia/Kolkata")
TODAY = timezone.localdate()


def _at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(TODAY, datetime.time(hour, minute), IST)


@pytest.fixture
def vaccinator(db) -> User:
    return User.objects.create_user("vax-week")


def _vaccinate(session: Session, n: int, by: User) -> None:
    for _ in range(n):
        registration = person(session.centre.locality, birth_year=TODAY.year - 30)
        appointment = allot(registration=registration, session=session, by=None)
        record_vaccination(appointment=appointment, by=by, batch_number="B1")


def _row(session: Session) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vials_opened, doses_discarded, capacity, standby_doses,"
            " (SELECT count(*) FROM slots_appointment a"
            "  WHERE a.session_id = s.id AND a.status = 'attended')"
            " FROM slots_session s WHERE id = %s",
            [session.pk],
        )
        return cursor.fetchone()


def test_a_vial_opened_after_one_expired_holds_only_its_own_doses(places, vaccinator):
    session = session_at(places.home, days_ahead=0, capacity=30)
    open_vial(session=session, by=vaccinator, now=_at(9))
    _vaccinate(session, 7, vaccinator)
    session.refresh_from_db()
    assert session.vials_at(_at(12, 59)).left == 3
    assert session.vials_at(_at(13)).left == 0  # 4 hours: the 3 are thrown away
    open_vial(session=session, by=vaccinator, now=_at(13, 10))
    session.refresh_from_db()
    # Not 13 (20 opened less 7 given): the expired vial's 3 are gone.
    assert session.vials_at(_at(13, 10)).left == 10
    assert _row(session)[:2] == (2, 3)
    _vaccinate(session, 10, vaccinator)
    session.refresh_from_db()
    assert session.vials_at(_at(14)).left == 0
    vials, discarded, *_, given = _row(session)
    assert vials * 10 - given == 3 == discarded  # wasted: opened less given


def test_a_vial_opened_while_the_last_is_good_adds_to_what_is_left(places, vaccinator):
    session = session_at(places.home, days_ahead=0, capacity=30)
    open_vial(session=session, by=vaccinator, now=_at(9))
    _vaccinate(session, 8, vaccinator)
    open_vial(session=session, by=vaccinator, now=_at(10))
    session.refresh_from_db()
    assert session.vials_at(_at(10)).left == 12
    assert _row(session)[:2] == (2, 0)


def test_standby_is_offered_every_seat_unused_and_the_rest_of_the_vial(places, vaccinator):
    session = session_at(places.home, days_ahead=0, capacity=30)
    open_vial(session=session, by=vaccinator, now=_at(9))
    _vaccinate(session, 10, vaccinator)
    open_vial(session=session, by=vaccinator, now=_at(12, 30))
    _vaccinate(session, 6, vaccinator)
    session.refresh_from_db()
    # 14 seats unused, 4 doses left in the open vial: the 4, then a whole
    # vial more (10), so that vial is finished too.
    assert standby_to_offer(session=session, now=_at(16)).doses == 14
    _vaccinate(session, 3, vaccinator)
    session.refresh_from_db()
    # 11 seats unused, 1 dose left: 1 + 10.
    assert standby_to_offer(session=session, now=_at(16)).doses == 11
    _vaccinate(session, 1, vaccinator)
    session.refresh_from_db()
    assert standby_to_offer(session=session, now=_at(16)).doses == 10


def test_standby_is_offered_what_is_left_in_the_vial_when_every_seat_is_used(places, vaccinator):
    session = session_at(places.home, days_ahead=0, capacity=12)
    open_vial(session=session, by=vaccinator, now=_at(9))
    open_vial(session=session, by=vaccinator, now=_at(12))
    _vaccinate(session, 12, vaccinator)
    session.refresh_from_db()
    assert standby_to_offer(session=session, now=_at(15)).doses == 8
    # After 16:00 the vial has expired: nothing left to offer, no seat unused.
    assert standby_to_offer(session=session, now=_at(16)).doses == 0


def _waiting(places, n: int) -> list:
    first = _at(0) - datetime.timedelta(days=30)
    return [
        person(
            places.home,
            birth_year=TODAY.year - 30,
            queue_at=first + datetime.timedelta(minutes=i),
        )
        for i in range(n)
    ]


def test_a_call_still_within_its_hour_is_counted_as_coming(places, vaccinator):
    session = session_at(places.home, days_ahead=0, capacity=10, standby_margin=2)
    _waiting(places, 30)
    open_vial(session=session, by=vaccinator, now=_at(13, 30))
    _vaccinate(session, 5, vaccinator)
    session.refresh_from_db()
    assert standby_to_offer(session=session, now=_at(16)).doses == 5
    call_standby(session=session, doses=5, by=vaccinator, now=_at(16))
    session.refresh_from_db()
    assert standby_to_offer(session=session, now=_at(16, 30)).doses == 0
    # The hour over and nobody came: the 5 are offered again.
    assert standby_to_offer(session=session, now=_at(17, 1)).doses == 5


def _texted(session: Session) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registration_id FROM slots_standbycall WHERE session_id = %s ORDER BY id",
            [session.pk],
        )
        return [row[0] for row in cursor.fetchall()]


@override_settings(TEEKA_STANDBY_EXTRA_PERCENT=50)
def test_a_bigger_call_texts_half_as_many_again(places, vaccinator):
    session = session_at(places.home, days_ahead=0, capacity=10, standby_margin=2)
    _waiting(places, 40)
    assert call_standby(session=session, doses=1, by=vaccinator, now=_at(16)) == 3
    assert call_standby(session=session, doses=10, by=vaccinator, now=_at(16)) == 15
    assert len(_texted(session)) == 18


@override_settings(TEEKA_STANDBY_EXTRA_PERCENT=0)
def test_nobody_is_asked_to_two_centres_in_the_same_hour(places, vaccinator):
    here = session_at(places.home, days_ahead=0, capacity=10, standby_margin=0)
    there = session_at(places.neighbour, days_ahead=0, capacity=10, standby_margin=0)
    people = _waiting(places, 4)
    call_standby(session=here, doses=2, by=vaccinator, now=_at(16))
    call_standby(session=there, doses=2, by=vaccinator, now=_at(16, 30))
    assert _texted(here) == [p.pk for p in people[:2]]
    assert _texted(there) == [p.pk for p in people[2:]]
    # An hour after the first call, its people may be asked again elsewhere.
    later = session_at(places.neighbour, days_ahead=0, standby_margin=0)
    call_standby(session=later, doses=2, by=vaccinator, now=_at(17, 1))
    assert _texted(later) == [p.pk for p in people[:2]]


def test_someone_vaccinated_elsewhere_since_the_text_gets_no_second_dose(places, vaccinator):
    here = session_at(places.home, days_ahead=0, capacity=10, standby_margin=0)
    there = session_at(places.neighbour, days_ahead=0, capacity=10, standby_margin=0)
    (someone,) = _waiting(places, 1)
    call_standby(session=here, doses=1, by=vaccinator, now=_at(16))
    # Booked and vaccinated at the other centre meanwhile.
    appointment = allot(registration=someone, session=there, by=None)
    record_vaccination(appointment=appointment, by=vaccinator, batch_number="B1")
    call = StandbyCall.objects.get(session=here, registration=someone)
    with pytest.raises(NotEligible):
        check_in_standby(call=call, by=vaccinator, batch_number="B2")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_id, dose, status FROM slots_appointment WHERE registration_id = %s",
            [someone.pk],
        )
        assert cursor.fetchall() == [(there.pk, 1, Appointment.Status.ATTENDED)]
    assert _row(here)[2] == 10  # no seat added


def test_no_new_vial_is_opened_for_fewer_standby_than_it_holds(places, vaccinator):
    session = session_at(places.home, days_ahead=0, capacity=10, standby_margin=0)
    _waiting(places, 6)
    open_vial(session=session, by=vaccinator, now=_at(12, 30))
    _vaccinate(session, 7, vaccinator)
    call_standby(session=session, doses=3, by=vaccinator, now=_at(16))
    session.refresh_from_db()
    # The 3 left in the vial: a standby person is vaccinated from it.
    assert standby_vial_worth_opening(session=session, now=_at(16, 10))
    # The vial expired at 16:30 with doses still offered: 3 are fewer than a
    # new vial's 10, so the page says not to open one.
    assert not standby_vial_worth_opening(session=session, now=_at(16, 31))
    Session.objects.filter(pk=session.pk).update(standby_doses=10)
    session.refresh_from_db()
    assert standby_vial_worth_opening(session=session, now=_at(16, 31))
