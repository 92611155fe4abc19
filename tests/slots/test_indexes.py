"""The registrations table keeps few indexes, and none of them names the
status: allotting a person (half a million of them in one state-wide run)
changes only the status, so the update is HOT, writing no index entry at all.
The queue lookups still find the indexes they need."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from registrations.models import Registration
from slots.allocation import queue
from tests import factories

from .conftest import allocate, person, session_at

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="asks PostgreSQL"),
]

# Every index of registrations_registration, with its condition (None: all
# rows). Add one only with a measurement from benchmarks/allocation.py, and
# never one that names the status (it would make every allotment write to
# every index).
INDEXES = {
    "registrations_registration_pkey": None,
    "registration_reference_unique": None,
    "one_registration_per_id": None,
    "one_person_once_per_account": None,
    "account_seat_unique": None,
    "reg_district_registered": None,
    "reg_registered": None,
    # The fully vaccinated, newest first: the doses, never the status.
    "reg_fully_vaccinated": "(doses_received = 2)",
    "reg_district_person": None,
    "reg_district_birth_year": None,
    "reg_area_registered": None,
    "reg_district_queue": "(doses_received < 2)",
    "reg_area_queue": "(doses_received < 2)",
    "reg_created_by": "(created_by_id IS NOT NULL)",
    "reg_duplicate_of": "(duplicate_of_id IS NOT NULL)",
    # Officials' search by name: about 25 us more an insert (docs/performance.md).
    "reg_name_trgm": None,
}


# The same for appointments: the allocator adds one per allotment.
APPOINTMENT_INDEXES = {
    "slots_appointment_pkey": None,
    "slots_appointment_registration_id_3e3b05c9": None,
    "appointment_session_status": None,
    "one_active_appointment_per_dose": (
        "((status)::text = ANY ((ARRAY['booked'::character varying, "
        "'attended'::character varying])::text[]))"
    ),
    "appointment_allotted_by": "(allotted_by_id IS NOT NULL)",
}


def _indexes(table: str) -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(i.indpred, i.indrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass""",
            [table],
        )
        return dict(cursor.fetchall())


def _plan(queryset) -> str:
    """The plan with sequential scans priced out: on a test-sized table a
    scan is cheapest, so this asks which index the query *can* use."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_the_registrations_table_has_only_the_indexes_measured_for():
    assert _indexes("registrations_registration") == INDEXES


def test_the_appointments_table_has_only_the_indexes_measured_for():
    assert _indexes("slots_appointment") == APPOINTMENT_INDEXES


def _updates(table: str) -> tuple[int, int]:
    """Rows of `table` updated in this transaction so far: all, and HOT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass),"
            " pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [table, table],
        )
        return cursor.fetchone()


def test_allotting_people_writes_no_index_entry_for_them(places):
    people = [person(places.home) for _ in range(3)]
    session_at(places.home, capacity=3)
    updated_before, hot_before = _updates("registrations_registration")

    assert allocate(places.home).allotted == 3

    updated, hot = _updates("registrations_registration")
    assert updated - updated_before == 3
    assert hot - hot_before == 3
    assert {p.status for p in Registration.objects.filter(pk__in=[p.pk for p in people])} == {
        Registration.Status.ALLOTTED
    }


def test_the_allocator_walks_the_queue_index(places):
    person(places.home)
    district_id = places.home.area.district_id

    assert "reg_district_queue" in _plan(queue(district_id=district_id))
    later = queue(district_id=district_id, after=(3, timezone.now(), "ABCDEFGHJ"))
    assert "reg_district_queue" in _plan(later)


def test_a_place_in_the_queue_can_count_along_the_area_queue_index(places):
    someone = person(places.home)
    ahead = Registration.objects.filter(
        status=Registration.Status.WAITING,
        doses_received=0,
        area_id=someone.area_id,
        priority__lt=someone.priority,
    )

    # reg_area_registered also starts with the area: on a test-sized table,
    # once autovacuum has analysed it, the planner may price the two alike and
    # take either. Asked without it (the DROP is undone with the test's
    # transaction), the query must still find an index, and it is this one.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX reg_area_registered")
    assert "reg_area_queue" in _plan(ahead)


def test_the_admin_filters_by_block_and_village_can_use_an_index(places):
    person(places.home)
    block = Registration.objects.filter(area=places.home.area).order_by("-registered_at")
    village = Registration.objects.filter(
        district_id=places.home.area.district_id, locality=places.home
    )

    # On a test-sized table the planner may price an index that only shares
    # the leading column alike (and did, now and then): asked without those
    # (the DROP is undone with the test's transaction), each list must still
    # find an index made for it.
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP INDEX reg_registered, reg_district_registered, reg_district_birth_year"
        )
    assert "reg_area_registered" in _plan(block)
    assert "reg_district_person" in _plan(village)


def test_two_registrations_never_share_a_reference(places):
    first = person(places.home)

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(locality=places.home, reference=first.reference)


def test_the_queue_counts_are_vacuumed_after_a_thousand_changes():
    """A guard only (the figures are in docs/performance.md, "What is left"):
    the counts the status page sums from their indexes alone are vacuumed
    after a thousand rows changed or were added, not a fifth of the table, so
    their pages are soon all-visible again on a running server."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN"
            " ('registrations_queueday', 'registrations_queuehour',"
            " 'registrations_queuespan')"
        )
        options = dict(cursor.fetchall())
    soon = [
        "autovacuum_vacuum_scale_factor=0",
        "autovacuum_vacuum_threshold=1000",
        "autovacuum_vacuum_insert_scale_factor=0",
        "autovacuum_vacuum_insert_threshold=1000",
    ]
    assert options == {table: soon for table in options}
    assert len(options) == 3
