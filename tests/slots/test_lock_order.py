"""The one lock order (sessions, registrations, appointments) on PostgreSQL,
with real threads: a citizen cancelling their appointment at the moment an
official cancels the whole session. The old code locked the appointment,
then the session, for the first and the session, then the appointments, for
the second: the control below puts that order back and PostgreSQL reports the
deadlock. Each path is slowed just after taking a lock, so the two overlap."""

import time

import pytest
from django.db import connection
from django.db.models import F

from registrations.models import Registration
from slots import services
from slots.models import Appointment, Session
from teeka import db

from .conftest import person, session_at
from .test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 4


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture
def slow_writes(monkeypatch):
    """Each service pauses after writing a row it has locked, holding the lock."""
    save = services._save

    def slow(obj, **kwargs):
        save(obj, **kwargs)
        if isinstance(obj, Appointment | Session):
            time.sleep(0.15)

    monkeypatch.setattr(services, "_save", slow)


def _old_release(*, appointment, by, reason, to=Appointment.Status.CANCELLED, then="waiting"):
    """The release as it was: the appointment first, then the session."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        return None
    appointment.status, appointment.cancel_reason = to, reason
    services._save(appointment, by=by, reason=reason, fields=["status", "cancel_reason"])
    Session.objects.filter(pk=appointment.session_id).update(booked=F("booked") - 1)
    registration = Registration.objects.select_for_update().get(pk=appointment.registration_id)
    registration.status = then
    services._save(registration, by=by, reason=reason, fields=["status"])
    return registration


def _race(places, raipur_official) -> list:
    """One round: a citizen's cancel and an official's session cancel at once."""
    session = session_at(places.home, capacity=2)
    mine, _other = (
        services.allot(registration=person(places.home), session=session, by=raipur_official)
        for _ in range(2)
    )
    return run_together(
        lambda: services.cancel_appointment(appointment=mine, by=None, reason="citizen"),
        lambda: services.cancel_session(session=session, by=raipur_official, reason="no vaccine"),
    )


def _deadlocks(results: list) -> list:
    return [
        r
        for r in results
        if isinstance(r, Exception)
        and db.is_conflict(r.__cause__ or r)
        or isinstance(r, services.Busy)
    ]


def _seats_agree() -> bool:
    """Each session's booked count is its booked and attended appointments
    (counted in SQL here)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM slots_session s WHERE s.booked <> (
                 SELECT count(*) FROM slots_appointment a
                 WHERE a.session_id = s.id AND a.status IN ('booked', 'attended'))"""
        )
        return cursor.fetchone()[0] == 0


def test_a_cancel_and_a_session_cancel_at_once_never_deadlock(
    places, raipur_official, slow_writes, monkeypatch
):
    # No retries: any deadlock would come straight out.
    monkeypatch.setattr(db, "CONFLICT_TRIES", 1)
    results = [r for _ in range(ROUNDS) for r in _race(places, raipur_official)]

    assert [r for r in results if isinstance(r, Exception)] == []
    assert _seats_agree()
    assert not Appointment.objects.filter(status="booked", session__status="cancelled").exists()


def test_control_with_the_old_order_postgresql_finds_the_deadlock(
    places, raipur_official, slow_writes, monkeypatch
):
    monkeypatch.setattr(db, "CONFLICT_TRIES", 1)
    monkeypatch.setattr(services, "_release", _old_release)

    results = [r for _ in range(ROUNDS) for r in _race(places, raipur_official)]

    deadlocks = _deadlocks(results)
    assert deadlocks, results
    assert all(d.__cause__.__cause__.pgcode == "40P01" for d in deadlocks)


def test_a_deadlock_that_happens_is_retried_and_never_reaches_the_caller(
    places, raipur_official, slow_writes, monkeypatch, caplog
):
    # The old order again, so deadlocks do happen; the shipped retries.
    monkeypatch.setattr(services, "_release", _old_release)

    results = [r for _ in range(ROUNDS) for r in _race(places, raipur_official)]

    assert [r for r in results if isinstance(r, Exception)] == []
    assert _seats_agree()
    assert "deadlock detected" in caplog.text  # it did happen, and was retried
