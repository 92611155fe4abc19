"""The registrations table keeps few indexes, because a change of a person's
status (half a million of them in one state-wide run) writes an entry into
every index whose condition the new row meets; the queue lookups still find
the waiting-only indexes they need."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from registrations.models import Registration
from slots.allocation import queue
from tests import factories

from .conftest import person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="asks PostgreSQL"),
]

# Every index of registrations_registration, with its condition (None: all
# rows). Add one only with a measurement from benchmarks/allocation.py: each
# index that an allotted row enters costs every allotment.
INDEXES = {
    "registrations_registration_pkey": None,
    "registration_reference_unique": None,
    "one_registration_per_id": None,
    "one_person_once_per_account": None,
    "account_seat_unique": "(NOT ((status)::text = 'withdrawn'::text))",
    "reg_district_registered": None,
    "reg_district_birth_year": None,
    "reg_area_locality": None,
    "reg_district_queue": "((status)::text = 'waiting'::text)",
    "reg_area_queue": "((status)::text = 'waiting'::text)",
    "reg_created_by": "(created_by_id IS NOT NULL)",
    "reg_duplicate_of": "(duplicate_of_id IS NOT NULL)",
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


def test_the_allocator_walks_the_waiting_only_queue_index(places):
    person(places.home)
    district_id = places.home.area.district_id

    assert "reg_district_queue" in _plan(queue(district_id=district_id))
    later = queue(district_id=district_id, after=(3, timezone.now(), "ABCDEFGHJ"))
    assert "reg_district_queue" in _plan(later)


def test_a_place_in_the_queue_can_count_along_the_waiting_only_area_index(places):
    someone = person(places.home)
    ahead = Registration.objects.filter(
        status=Registration.Status.WAITING,
        doses_received=0,
        area_id=someone.area_id,
        priority__lt=someone.priority,
    )

    assert "reg_area_queue" in _plan(ahead)


def test_the_admin_filters_by_block_and_village_can_use_an_index(places):
    person(places.home)
    rows = Registration.objects.filter(area=places.home.area, locality=places.home)

    assert "reg_area_locality" in _plan(rows)


def test_two_registrations_never_share_a_reference(places):
    first = person(places.home)

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(locality=places.home, reference=first.reference)
