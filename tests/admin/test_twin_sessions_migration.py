"""The migration that brings in one_active_session_per_slot finds the twins a
plan sent twice left behind: empty twins are cancelled with the reason; a twin
holding bookings stops it (its people must be moved by an official first)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories

BEFORE = [("slots", "0006_citizen_choices")]
AFTER = [("slots", "0007_one_active_session_per_slot")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _migrate_to_latest() -> None:
    """Every app to its last migration, so later tests find every table
    (a migration added after 0007 included)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _twin(session_id: int, booked: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO slots_session (centre_id, district_id, date, start_time, end_time,"
            " vaccine, dose, min_age, max_age, capacity, booked, published, status,"
            " cancel_reason, created_at)"
            " SELECT centre_id, district_id, date, start_time, end_time, vaccine, dose, min_age,"
            " max_age, capacity, %s, published, status, '', created_at"
            " FROM slots_session WHERE id = %s",
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
    _migrate(BEFORE)
    yield session
    _migrate_to_latest()


def test_empty_twins_are_cancelled_with_the_reason(before_the_constraint):
    session = before_the_constraint
    _twin(session.pk, booked=0)
    _twin(session.pk, booked=0)
    _migrate(AFTER)
    rows = _statuses()
    assert rows[0][:2] == (0, "active")
    reason = f"Twin of session {session.pk} (a plan sent twice)"
    assert rows[1:] == [(0, "cancelled", reason), (0, "cancelled", reason)]


def test_a_twin_with_bookings_stops_the_migration(before_the_constraint):
    session = before_the_constraint
    _twin(session.pk, booked=2)
    _twin(session.pk, booked=1)
    with pytest.raises(RuntimeError, match="hold bookings"):
        _migrate(AFTER)
    # Nothing changed: the official moves the people, then migrates again.
    assert [row[:2] for row in _statuses()] == [(0, "active"), (2, "active"), (1, "active")]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE slots_session SET status = 'cancelled' WHERE booked > 0")
