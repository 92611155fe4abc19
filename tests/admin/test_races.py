"""Officials allotting by hand in the admin race the allocator for the last
seats of the same sessions, on PostgreSQL with real threads (each with its own
connection). The harness, and the control that shows it catches an oversell
once the locking is taken away, are the allocator's (tests/slots)."""

import pytest
from django.test import Client
from django.urls import reverse

from districts import roles
from registrations.models import Registration
from slots.models import Appointment, Session
from slots.services import allocate_district, allot
from tests.slots.test_concurrency import double_booked, oversold, run_together, unlocked_allot

from .. import factories
from .conftest import staff_user

pytestmark = pytest.mark.django_db(transaction=True)

SEATS_LEFT = 6  # per session, when the race starts


@pytest.fixture
def nearly_full(raipur_village) -> list[Session]:
    """Two sessions of one centre, each with its last seats open."""
    centre = factories.make_centre(locality=raipur_village)
    sessions = [factories.make_session(centre=centre, days_ahead=d, capacity=9) for d in (3, 4)]
    for session in sessions:
        for _ in range(session.capacity - SEATS_LEFT):
            allot(registration=_waiting(raipur_village), session=session, by=None)
    return sessions


def _waiting(locality) -> Registration:
    return factories.make_registration(locality=locality, account=factories.make_account())


def _officials(raipur, raipur_official) -> list[Client]:
    """Three browsers: the Raipur official in two tabs and a colleague."""
    colleague = staff_user("raipur-official-2", roles.DISTRICT_OFFICIAL, raipur)
    clients = []
    for user in (raipur_official, colleague, raipur_official):
        client = Client()
        client.force_login(user)
        # A first page warms the admin up, so the race is not won by import time.
        client.get(reverse("admin:registrations_registration_changelist"))
        clients.append(client)
    return clients


def _allot_in_the_admin(client: Client, people: list[Registration], session: Session):
    """What an official does: tick people, choose "Allot", pick the session."""
    return client.post(
        reverse("admin:registrations_registration_changelist"),
        {
            "action": "allot_to_session",
            "_selected_action": [p.pk for p in people],
            "index": 0,
            "apply": "1",
            "session": session.pk,
            "reason": "Came to the desk",
        },
    )


def test_officials_allotting_in_the_admin_and_the_allocator_never_oversell(
    raipur, raipur_village, raipur_official, nearly_full
):
    waiting = [_waiting(raipur_village) for _ in range(24)]
    tab, colleague, other_tab = _officials(raipur, raipur_official)
    first, second = nearly_full

    results = run_together(
        # Small batches, so the run's transactions interleave with the officials'.
        lambda: allocate_district(district_id=raipur.pk, batch_size=2),
        # One official's picks overlap the other's and the allocator's queue.
        lambda: _allot_in_the_admin(tab, waiting[:6], first).status_code,
        lambda: _allot_in_the_admin(colleague, waiting[3:9], second).status_code,
        lambda: _allot_in_the_admin(other_tab, waiting[6:12], second).status_code,
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[1:] == [302, 302, 302]
    assert oversold() == []
    assert double_booked() == 0
    for session in Session.objects.all():
        assert session.booked == session.capacity  # every last seat went to someone
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED)
    allotted = Registration.objects.filter(status=Registration.Status.ALLOTTED)
    assert set(booked.values_list("registration", flat=True)) == set(
        allotted.values_list("pk", flat=True)
    )
    by_hand = booked.filter(allotted_by__isnull=False)
    assert by_hand.count() + results[0].allotted == 2 * SEATS_LEFT


def test_control_without_the_locks_the_harness_sees_the_oversell(
    raipur, raipur_village, nearly_full
):
    waiting = [_waiting(raipur_village) for _ in range(14)]
    by_hand = waiting[:9]
    # allot() would mark them allotted first; do it here so the allocator leaves
    # them to the officials and only the seat count goes unprotected.
    Registration.objects.filter(pk__in=[p.pk for p in by_hand]).update(
        status=Registration.Status.ALLOTTED
    )
    first = nearly_full[0]

    def official(people):
        for someone in people:
            unlocked_allot(registration=someone, session=first)

    run_together(
        lambda: allocate_district(district_id=raipur.pk, batch_size=2),
        lambda: official(by_hand[:3]),
        lambda: official(by_hand[3:6]),
        lambda: official(by_hand[6:]),
    )

    assert first.pk in oversold()
