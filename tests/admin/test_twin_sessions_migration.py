"""The migration that brings in one_active_session_per_slot finds the twins a
plan sent twice left behind: empty twins are cancelled with the reason; a twin
holding bookings stops it (its people must be moved by an official first).

The constraint is dropped inside the test's transaction (PostgreSQL rolls
the DDL back with it), so the twins can be made and the migration's own
function run on them, without migrating the test database back and forth."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from slots.models import Session
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's DDL"),
]

migration = importlib.import_module("slots.migrations.0007_one_active_session_per_slot")


def _twin(session_id: int, booked: int) -> None:
    columns = ", ".join(
        f.column for f in Session._meta.concrete_fields if f.column not in ("id", "booked")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO slots_session ({columns}, booked)"  # noqa: S608 (model's own names)
            f" SELECT {columns}, %s FROM slots_session WHERE id = %s",
            [booked, session_id],
        )


def _statuses() -> list[tuple[int, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT booked, status, cancel_reason FROM slots_session ORDER BY id")
        return cursor.fetchall()


@pytest.fixture
def before_the_constraint(raipur_village):
    session = factories.make_session(
        centre=factories.make_centre(locality=raipur_village), days_ahead=3
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX one_active_session_per_slot")
    return session


def test_empty_twins_are_cancelled_with_the_reason(before_the_constraint):
    session = before_the_constraint
    _twin(session.pk, booked=0)
    _twin(session.pk, booked=0)
    migration.cancel_empty_twins(apps, None)
    rows = _statuses()
    assert rows[0][:2] == (0, "active")
    reason = f"Twin of session {session.pk} (a plan sent twice)"
    assert rows[1:] == [(0, "cancelled", reason), (0, "cancelled", reason)]


def test_a_twin_with_bookings_stops_the_migration(before_the_constraint):
    session = before_the_constraint
    _twin(session.pk, booked=2)
    _twin(session.pk, booked=1)
    with pytest.raises(RuntimeError, match="hold bookings"):
        migration.cancel_empty_twins(apps, None)
    # Nothing changed: the official moves the people, then migrates again.
    assert [row[:2] for row in _statuses()] == [(0, "active"), (2, "active"), (1, "active")]
