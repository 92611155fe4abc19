"""Booking, freeing and closing seats by hand, and what follows after the day."""

import datetime

import pytest
from django.utils import timezone

from registrations.models import Registration
from slots.models import Appointment, Session, Vaccine
from slots.services import (
    AllotmentError,
    AlreadyAllotted,
    NotEligible,
    SessionFull,
    allot,
    cancel_appointment,
    cancel_session,
    change_capacity,
    mark_no_shows,
    record_vaccination,
    turn_away,
)
from teeka.models import OutboundSms

from .conftest import allocate, person, seat_of, session_at

pytestmark = pytest.mark.django_db


def test_an_official_allots_a_seat_with_history_saying_who_and_why(places, raipur_official):
    session = session_at(places.home, capacity=1)
    someone = person(places.home)

    appointment = allot(registration=someone, session=session, by=raipur_official, reason="walk-in")

    session.refresh_from_db()
    assert session.booked == 1
    assert appointment.allotted_by == raipur_official
    last = someone.history.latest()
    assert (last.history_user, last.history_change_reason) == (raipur_official, "walk-in")
    assert last.status == Registration.Status.ALLOTTED
    assert OutboundSms.objects.filter(kind="allotted").count() == 1


def test_allot_refuses_a_full_session(places, raipur_official):
    session = session_at(places.home, capacity=1)
    allot(registration=person(places.home), session=session, by=raipur_official)

    with pytest.raises(SessionFull) as refused:
        allot(registration=person(places.home), session=session, by=raipur_official)
    assert "no seats left" in str(refused.value.message)


def test_allot_refuses_a_second_slot_for_the_same_dose(places, raipur_official):
    someone = person(places.home)
    allot(registration=someone, session=session_at(places.home), by=raipur_official)

    with pytest.raises(AlreadyAllotted):
        allot(registration=someone, session=session_at(places.home), by=raipur_official)


@pytest.mark.parametrize(
    ("where", "session_overrides", "message"),
    [
        ("elsewhere", {}, "another district"),
        ("home", {"min_age": 60}, "age, dose or vaccine"),
        ("home", {"dose": 2}, "age, dose or vaccine"),
        ("home", {"published": False}, "not open"),
    ],
)
def test_allot_refuses_a_session_the_person_may_not_have(
    places, raipur_official, where, session_overrides, message
):
    session = session_at(getattr(places, where), **session_overrides)

    with pytest.raises(NotEligible) as refused:
        allot(registration=person(places.home), session=session, by=raipur_official)
    assert message in str(refused.value.message)
    assert Appointment.objects.count() == 0


def test_cancelling_gives_the_seat_back_and_keeps_the_queue_place(places, raipur_official):
    session = session_at(places.home, capacity=1)
    someone = person(places.home)
    queue_at = someone.queue_at
    appointment = allot(registration=someone, session=session, by=raipur_official)

    cancel_appointment(appointment=appointment, by=None, reason="asked by citizen")
    cancel_appointment(appointment=appointment, by=None, reason="clicked twice")

    session.refresh_from_db()
    someone.refresh_from_db()
    appointment.refresh_from_db()
    assert session.booked == 0
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancel_reason == "asked by citizen"
    assert (someone.status, someone.queue_at) == (Registration.Status.WAITING, queue_at)
    assert OutboundSms.objects.filter(kind="appointment_cancelled").count() == 1


def test_turning_someone_away_sends_them_back_to_the_queue(places, raipur_official):
    someone = person(places.home)
    appointment = allot(registration=someone, session=session_at(places.home), by=raipur_official)

    turn_away(appointment=appointment, by=raipur_official, reason="fever today")

    someone.refresh_from_db()
    assert someone.status == Registration.Status.WAITING
    assert "fever today" in OutboundSms.objects.get(kind="appointment_cancelled").text


def test_cancelling_a_session_reallots_its_people_at_once_and_says_why(places, raipur_official):
    doomed = session_at(places.home, capacity=2)
    spare = session_at(places.neighbour, capacity=1)
    first, second = person(places.home), person(places.home)
    allocate(places.home)
    assert seat_of(first) == seat_of(second) == doomed

    cancel_session(session=doomed, by=raipur_official, reason="no vaccinator")

    doomed.refresh_from_db()
    assert (doomed.status, doomed.booked) == (Session.Status.CANCELLED, 0)
    assert seat_of(first) == spare
    assert seat_of(second) is None
    moved = OutboundSms.objects.get(kind="reallotted")
    assert moved.to == str(first.account.mobile)
    assert "no vaccinator" in moved.text
    told = OutboundSms.objects.get(kind="appointment_cancelled")
    assert told.to == str(second.account.mobile)
    assert "no vaccinator" in told.text


def test_capacity_cannot_go_below_the_bookings(places, raipur_official):
    session = session_at(places.home, capacity=3)
    for _ in range(2):
        person(places.home)
    allocate(places.home)

    with pytest.raises(AllotmentError) as refused:
        change_capacity(session=session, capacity=1, by=raipur_official)
    assert "2 people are already booked" in str(refused.value.message)
    change_capacity(session=session, capacity=2, by=raipur_official)

    session.refresh_from_db()
    assert (session.capacity, session.booked) == (2, 2)


def test_dose_two_is_allotted_after_the_interval_at_the_centre_of_dose_one(
    places, raipur_official, settings
):
    settings.TEEKA_DOSE_INTERVAL_DAYS = {"COVAXIN": 28, "COVISHIELD": 84}
    first_centre_session = session_at(places.neighbour, vaccine=Vaccine.COVAXIN)
    someone = person(places.home)
    appointment = allot(registration=someone, session=first_centre_session, by=raipur_official)

    record_vaccination(appointment=appointment, by=raipur_official, batch_number="B-12")

    someone.refresh_from_db()
    assert (someone.doses_received, someone.status) == (1, Registration.Status.WAITING)
    assert someone.last_vaccine == Vaccine.COVAXIN
    too_soon = session_at(places.home, vaccine=Vaccine.COVAXIN, dose=2, days_ahead=27)
    home = session_at(places.home, vaccine=Vaccine.COVAXIN, dose=2, days_ahead=28)
    dose1_centre = session_at(
        places.neighbour,
        centre=first_centre_session.centre,
        vaccine=Vaccine.COVAXIN,
        dose=2,
        days_ahead=30,
    )

    allocate(places.home)

    assert seat_of(someone) == dose1_centre
    assert too_soon.appointments.count() == home.appointments.count() == 0


def test_the_second_dose_completes_the_person(places, raipur_official):
    someone = person(
        places.home,
        doses_received=1,
        last_vaccine=Vaccine.COVISHIELD,
        last_dose_date=timezone.localdate() - datetime.timedelta(days=90),
    )
    appointment = allot(
        registration=someone, session=session_at(places.home, dose=2), by=raipur_official
    )

    record_vaccination(appointment=appointment, by=raipur_official, batch_number="B-13")

    someone.refresh_from_db()
    assert (someone.doses_received, someone.status) == (2, Registration.Status.COMPLETED)
    with pytest.raises(AllotmentError):
        record_vaccination(appointment=appointment, by=raipur_official, batch_number="again")


def test_no_shows_go_back_to_their_place_then_to_the_back(places, raipur_official, settings):
    settings.TEEKA_NO_SHOWS_BEFORE_BACK_OF_QUEUE = 2
    someone = person(places.home)
    queue_at = someone.queue_at
    day_after = timezone.localdate() + datetime.timedelta(days=4)

    allot(registration=someone, session=session_at(places.home), by=raipur_official)
    assert mark_no_shows(today=day_after) == 1
    assert mark_no_shows(today=day_after) == 0
    someone.refresh_from_db()
    assert (someone.status, someone.no_show_count, someone.queue_at) == ("waiting", 1, queue_at)
    assert Appointment.objects.get().status == Appointment.Status.NO_SHOW

    allot(registration=someone, session=session_at(places.home), by=raipur_official)
    mark_no_shows(today=day_after)
    someone.refresh_from_db()
    assert someone.no_show_count == 2
    assert someone.queue_at > queue_at


def test_appointments_of_today_are_not_no_shows_yet(places, raipur_official):
    allot(registration=person(places.home), session=session_at(places.home), by=raipur_official)

    assert mark_no_shows(today=timezone.localdate() + datetime.timedelta(days=3)) == 0
