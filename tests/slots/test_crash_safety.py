"""A run cut off between batches leaves whole batches behind, and the next run
ends where an uninterrupted one would have."""

import random

import pytest

from registrations.models import PriorityGroup, Registration
from slots import allocation
from slots.models import AllocationRun, Appointment, Session
from teeka.models import OutboundSms

from .conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db


class WorkerKilledError(Exception):
    pass


def outcome() -> dict[str, tuple[int, int]]:
    return {
        reference: (session_id, dose)
        for reference, session_id, dose in Appointment.objects.values_list(
            "registration__reference", "session_id", "dose"
        )
    }


def start_over() -> None:
    OutboundSms.objects.all().delete()
    Appointment.objects.all().delete()
    Session.objects.update(booked=0)
    Registration.objects.update(status=Registration.Status.WAITING)


@pytest.fixture
def busy_district(places):
    rng = random.Random(7)
    for locality, capacity in [(places.home, 6), (places.neighbour, 4), (places.town, 5)]:
        session_at(locality, capacity=capacity)
        session_at(locality, capacity=2, days_ahead=4, min_age=45)
    for _ in range(40):
        person(
            rng.choice([places.home, places.neighbour, places.town]),
            priority=rng.choice(list(PriorityGroup)),
            birth_year=rng.randint(1950, 2000),
        )
    return places


def test_a_run_killed_between_batches_then_rerun_ends_like_an_uninterrupted_one(
    busy_district, monkeypatch
):
    allocate(busy_district.home, batch_size=6)
    uninterrupted = outcome()
    assert len(uninterrupted) == 21
    start_over()

    def kill_after_second_batch(district_id, batch):
        if batch == 2:
            raise WorkerKilledError

    monkeypatch.setattr(allocation, "_after_batch", kill_after_second_batch)
    with pytest.raises(WorkerKilledError):
        allocate(busy_district.home, batch_size=6)
    cut_short = AllocationRun.objects.latest("pk")
    assert cut_short.finished_at is None and cut_short.batches == 2
    assert 0 < Appointment.objects.count() < len(uninterrupted)
    assert Appointment.objects.count() == cut_short.allotted == OutboundSms.objects.count()

    monkeypatch.setattr(allocation, "_after_batch", lambda district_id, batch: None)
    allocate(busy_district.home, batch_size=6)

    assert outcome() == uninterrupted
    assert OutboundSms.objects.count() == len(uninterrupted)
    # The next run closed the cut-short one as interrupted, and finished itself.
    cut_short.refresh_from_db()
    assert cut_short.interrupted and cut_short.finished_at is not None
    last = AllocationRun.objects.latest("pk")
    assert not last.interrupted and last.finished_at is not None
    assert cut_short.allotted + last.allotted == len(uninterrupted)
    booked = {s.pk: s.booked for s in Session.objects.all()}
    counted = {pk: 0 for pk in booked}
    for session_id, _dose in uninterrupted.values():
        counted[session_id] += 1
    assert booked == counted


def test_the_batch_size_does_not_change_who_gets_which_seat(busy_district):
    allocate(busy_district.home, batch_size=1000)
    in_one_batch = outcome()
    start_over()

    allocate(busy_district.home, batch_size=3)

    assert outcome() == in_one_batch
