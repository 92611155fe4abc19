"""Each allocation rule on a scenario small enough to work out by hand."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from registrations.models import PriorityGroup, Registration
from slots.models import Appointment, Session, Vaccine
from teeka.models import OutboundSms

from .conftest import allocate, person, seat_of, session_at

pytestmark = pytest.mark.django_db


def test_it_serves_the_priority_groups_first_then_the_earliest_registered(places):
    now = timezone.now()
    late_health_worker = person(places.home, priority=PriorityGroup.HEALTH_WORKER, queue_at=now)
    early_everyone = person(
        places.home, priority=PriorityGroup.EVERYONE, queue_at=now - datetime.timedelta(days=9)
    )
    earlier_senior = person(
        places.home, priority=PriorityGroup.AGED_60_PLUS, queue_at=now - datetime.timedelta(days=2)
    )
    later_senior = person(
        places.home, priority=PriorityGroup.AGED_60_PLUS, queue_at=now - datetime.timedelta(days=1)
    )
    session = session_at(places.home, capacity=3)

    summary = allocate(places.home)

    assert summary.allotted == 3
    assert seat_of(late_health_worker) == session
    assert seat_of(earlier_senior) == session
    assert seat_of(later_senior) == session
    assert seat_of(early_everyone) is None
    assert summary.still_waiting == 1


def test_equal_priority_and_time_are_ordered_by_reference(places):
    same_time = timezone.now() - datetime.timedelta(days=1)
    a = person(places.home, queue_at=same_time, reference="AAAAAAAA0")
    b = person(places.home, queue_at=same_time, reference="BBBBBBBB0")
    session_at(places.home, capacity=1)

    allocate(places.home)

    assert seat_of(a) is not None
    assert seat_of(b) is None


def test_it_keeps_to_the_age_band_counted_by_year_of_birth(places):
    year = (timezone.localdate() + datetime.timedelta(days=3)).year
    young = person(places.home, birth_year=year - 30)
    old = person(places.home, birth_year=year - 50)
    too_young = person(places.home, birth_year=year - 17)
    band_45_plus = session_at(places.home, min_age=45, capacity=5)
    band_18_44 = session_at(places.home, min_age=18, max_age=44, capacity=5)

    allocate(places.home)

    assert seat_of(young) == band_18_44
    assert seat_of(old) == band_45_plus
    assert seat_of(too_young) is None


def test_dose_two_waits_for_the_interval_and_keeps_the_vaccine(places):
    today = timezone.localdate()
    # Covaxin: 28 days. Dose 1 thirty days ago: due. Twenty days ago: not yet
    # due for a session three days ahead (23 days).
    due = person(
        places.home,
        doses_received=1,
        last_vaccine=Vaccine.COVAXIN,
        last_dose_date=today - datetime.timedelta(days=30),
    )
    not_yet = person(
        places.home,
        doses_received=1,
        last_vaccine=Vaccine.COVAXIN,
        last_dose_date=today - datetime.timedelta(days=20),
    )
    covishield_due = person(
        places.home,
        doses_received=1,
        last_vaccine=Vaccine.COVISHIELD,
        last_dose_date=today - datetime.timedelta(days=100),
    )
    first_dose_person = person(places.home)
    covaxin_dose2 = session_at(places.home, vaccine=Vaccine.COVAXIN, dose=2, capacity=5)

    allocate(places.home)

    assert seat_of(due) == covaxin_dose2
    assert Appointment.objects.get(registration=due).dose == 2
    assert seat_of(not_yet) is None
    assert seat_of(covishield_due) is None
    assert seat_of(first_dose_person) is None


def test_it_looks_in_the_locality_then_the_block_then_the_district(places):
    home = session_at(places.home, capacity=1)
    neighbour = session_at(places.neighbour, capacity=1)
    town = session_at(places.town, capacity=1)
    first, second, third = (person(places.home) for _ in range(3))
    in_town = person(places.town)

    allocate(places.home)

    assert seat_of(first) == home
    assert seat_of(second) == neighbour
    # The town's own resident comes later in the queue but is not blocked: the
    # third villager was served first and took the last seat in the district.
    assert seat_of(third) == town
    assert seat_of(in_town) is None


def test_it_never_crosses_into_another_district(places):
    session_at(places.elsewhere, capacity=5)
    raipur_person = person(places.home)

    summary = allocate(places.home)

    assert summary.allotted == 0
    assert seat_of(raipur_person) is None


def test_it_respects_the_notice_period(places, settings):
    settings.TEEKA_NOTICE_HOURS = 24
    now = timezone.localtime()
    soon = session_at(
        places.home,
        date=(now + datetime.timedelta(hours=20)).date(),
        start_time=datetime.time(0, 0),
        end_time=datetime.time(23, 59),
    )
    tomorrow_too_soon = soon.date <= (now + datetime.timedelta(hours=24)).date()
    assert tomorrow_too_soon
    later = session_at(places.home, days_ahead=2)
    someone = person(places.home)

    allocate(places.home)

    assert seat_of(someone) == later


def test_it_gives_the_earliest_date_first(places):
    later = session_at(places.home, days_ahead=5)
    earlier = session_at(places.home, days_ahead=2)
    someone = person(places.home)

    allocate(places.home)

    assert seat_of(someone) == earlier
    assert later.appointments.count() == 0


def test_it_skips_unpublished_and_cancelled_sessions(places):
    session_at(places.home, published=False)
    session_at(places.home, status=Session.Status.CANCELLED)
    someone = person(places.home)

    assert allocate(places.home).allotted == 0
    assert seat_of(someone) is None


def test_an_allotment_books_the_seat_changes_the_status_and_writes_one_sms(places):
    session = session_at(places.home, capacity=2)
    someone = person(places.home, name="Sita Bai")

    summary = allocate(places.home)

    session.refresh_from_db()
    someone.refresh_from_db()
    appointment = Appointment.objects.get(registration=someone)
    assert (summary.allotted, summary.seats_left) == (1, 1)
    assert session.booked == 1
    assert someone.status == Registration.Status.ALLOTTED
    assert appointment.allotted_by is None
    sms = OutboundSms.objects.get()
    assert sms.to == str(someone.account.mobile)
    assert sms.dedupe_key == f"allotted:{appointment.pk}"
    assert appointment.code in sms.text
    assert "Sita Bai" in sms.text
    assert session.date.strftime("%d-%m-%Y") in sms.text


def test_a_second_run_changes_nothing(places):
    session_at(places.home, capacity=1)
    person(places.home)
    person(places.home)

    allocate(places.home)
    second = allocate(places.home)

    assert second.allotted == 0
    assert Appointment.objects.count() == 1
    assert OutboundSms.objects.count() == 1


def test_a_dry_run_decides_the_same_and_writes_nothing(places):
    session_at(places.home, capacity=2)
    for _ in range(3):
        person(places.home)

    dry = allocate(places.home, dry_run=True)

    assert (dry.allotted, dry.still_waiting, dry.seats_left) == (2, 1, 0)
    assert Appointment.objects.count() == 0
    real = allocate(places.home)
    assert (real.allotted, real.still_waiting, real.seats_left) == (2, 1, 0)


def test_the_allocate_command_prints_a_summary_per_district(places, capsys):
    session_at(places.home, capacity=2)
    for _ in range(3):
        person(places.home)

    call_command("allocate", "--district", str(places.home.area.district_id))

    out = capsys.readouterr().out
    assert "Raipur" in out
    assert [int(n) for n in out.splitlines()[1].split()[-3:]] == [2, 1, 0]


def test_the_sms_text_is_the_same_in_bulk_and_one_by_one(places):
    from slots import notices

    session_at(places.home)
    someone = person(places.home, name="Ramesh & Sons <b>")
    allocate(places.home)

    appointment = Appointment.objects.select_related("registration__account", "session__centre")
    appointment = appointment.get(registration=someone)
    one_by_one = notices.fill(
        notices.skeleton("allotted", someone.account.language),
        notices._values(appointment, ""),
    )
    assert OutboundSms.objects.get().text == one_by_one
    assert "Ramesh & Sons <b>" in one_by_one
