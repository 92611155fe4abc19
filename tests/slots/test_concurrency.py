"""Races on PostgreSQL with real threads, each with its own connection: the
allocator against itself, other districts and officials booking by hand. The
control at the end removes the locks and shows the harness catches the
oversell that follows."""

import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Q

from slots.allocation import district_lock
from slots.models import Appointment, Session
from slots.services import AllotmentError, allot

from .conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db(transaction=True)
ACTIVE = Q(appointments__status__in=Appointment.ACTIVE)


def run_together(*jobs) -> list:
    """Starts every job at the same moment in its own thread; returns results
    (or the exception each raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as error:  # kept for the test to look at
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def oversold() -> list[int]:
    """Sessions with more active appointments than capacity, or a booked
    count that disagrees with the appointments."""
    sessions = Session.objects.annotate(active=Count("appointments", filter=ACTIVE))
    return list(
        sessions.filter(Q(active__gt=F("capacity")) | ~Q(active=F("booked"))).values_list(
            "pk", flat=True
        )
    )


def double_booked() -> int:
    return (
        Appointment.objects.filter(status__in=Appointment.ACTIVE)
        .values("registration", "dose")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )


def test_runs_for_one_district_other_districts_and_officials_never_oversell(
    places, raipur_official
):
    raipur_sessions = [session_at(loc, capacity=4) for loc in (places.home, places.town)]
    session_at(places.elsewhere, capacity=4)
    raipur_people = [person(random.choice([places.home, places.town])) for _ in range(30)]
    for _ in range(10):
        person(places.elsewhere)

    def by_hand():
        done = 0
        for someone in random.sample(raipur_people, 10):
            try:
                allot(
                    registration=someone,
                    session=random.choice(raipur_sessions),
                    by=raipur_official,
                )
                done += 1
            except AllotmentError:
                pass
        return done

    def raipur_run():
        # Waiting too, so that both runs really go through the row locks.
        return allocate(places.home, wait=True, batch_size=7).allotted

    results = run_together(
        raipur_run, raipur_run, lambda: allocate(places.elsewhere).allotted, by_hand, by_hand
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert oversold() == []
    assert double_booked() == 0
    assert Appointment.objects.filter(session__district=places.home.area.district).count() == 8
    assert sum(results[:2]) + sum(results[3:]) == 8
    assert results[2] == 4


def test_a_second_run_for_a_district_skips_while_the_first_holds_it(places):
    session_at(places.home)
    person(places.home)
    district_id = places.home.area.district_id

    with district_lock(district_id, wait=False) as held:
        assert held
        [summary] = run_together(lambda: allocate(places.home))
    assert summary.skipped
    assert Appointment.objects.count() == 0
    assert allocate(places.home).allotted == 1


def test_many_officials_booking_the_last_seat_get_exactly_one(places, raipur_official):
    session = session_at(places.home, capacity=1)
    people = [person(places.home) for _ in range(8)]

    results = run_together(
        *[
            lambda someone=someone: allot(registration=someone, session=session, by=None)
            for someone in people
        ]
    )

    assert sum(isinstance(r, Appointment) for r in results) == 1
    assert all(isinstance(r, (Appointment, AllotmentError)) for r in results)
    assert oversold() == []


def unlocked_allot(*, registration, session) -> None:
    """allot() without the locking recipe: read, think, write. The control."""
    with transaction.atomic():
        fresh = Session.objects.get(pk=session.pk)
        if fresh.booked >= fresh.capacity:
            return
        time.sleep(0.05)  # the gap another booking slips into
        Appointment.objects.create(registration=registration, session=fresh, dose=1)
        Session.objects.filter(pk=fresh.pk).update(booked=fresh.booked + 1)


def test_control_without_the_locks_the_harness_sees_the_oversell(places):
    session = session_at(places.home, capacity=1)
    people = [person(places.home) for _ in range(6)]

    run_together(
        *[
            lambda someone=someone: unlocked_allot(registration=someone, session=session)
            for someone in people
        ]
    )

    assert oversold() == [session.pk]
    assert session.appointments.count() > 1
