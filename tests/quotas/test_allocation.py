"""The allocator under the May 2021 shares, on PostgreSQL: scenarios small
enough to work out by hand, counted with plain SQL."""

import pytest
from django.db import connection

from quotas.models import Policy, Rollover
from registrations.models import Registration
from slots.models import Appointment, Session
from slots.services import call_standby, cancel_appointment
from tests.slots.conftest import allocate, session_at

from .conftest import category, queued, session_18_44

pytestmark = pytest.mark.django_db


def seated(session) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registration_id FROM slots_appointment"
            " WHERE session_id = %s AND status = 'booked'",
            [session.pk],
        )
        return {row[0] for row in cursor.fetchall()}


def rollovers(session) -> set[tuple]:
    """(giver's English name, taker's or None, seats)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT g.name_en, t.name_en, r.seats FROM quotas_rollover r
            JOIN quotas_category g ON g.id = r.from_category_id
            LEFT JOIN quotas_category t ON t.id = r.to_category_id
            WHERE r.session_id = %s
            """,
            [session.pk],
        )
        return set(cursor.fetchall())


def ids(*people) -> set[int]:
    return {p.pk for p in people}


def test_each_category_gets_its_share_of_ten_seats_in_its_own_queue_order(places, may_2021):
    # Shares of 10: frontline 2, Antyodaya 1, BPL 5, APL 2 (worked in test_shares).
    f = [queued(places, "F") for _ in range(3)]
    b = [queued(places, "B") for _ in range(6)]
    a = [queued(places, "A") for _ in range(3)]
    k = [queued(places, "K") for _ in range(2)]
    session = session_18_44(places, capacity=10)

    allocate(places.home)

    assert seated(session) == ids(f[0], f[1], k[0], *b[:5], a[0], a[1])
    assert rollovers(session) == set()


def test_a_share_its_category_cannot_fill_rolls_over_in_queue_order(places, may_2021):
    # Nobody is a frontline worker. In queue order: N1, B1..B8, A1..A4, N2, K1.
    n1 = queued(places, "N")
    b = [queued(places, "B") for _ in range(8)]
    a = [queued(places, "A") for _ in range(4)]
    queued(places, "N")
    k1 = queued(places, "K")
    session = session_18_44(places, capacity=10)

    summary = allocate(places.home)

    # Shares first: K1 (1), B1..B5 (5), A1, A2 (2). The frontline share's 2
    # seats roll over to the next in the queue of those still waiting: N1 and
    # B6; B7, B8, A3, A4 and N2 wait.
    assert seated(session) == ids(k1, *b[:6], a[0], a[1], n1)
    assert summary.allotted == 10
    assert summary.still_waiting == 5
    assert rollovers(session) == {
        ("Frontline workers", None, 1),
        ("Frontline workers", "BPL ration card holders", 1),
    }
    # Each seat counts against the share it came from.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.name_en, count(*) FROM slots_appointment a
            JOIN quotas_category c ON c.id = a.share_of_id
            WHERE a.session_id = %s GROUP BY c.name_en
            """,
            [session.pk],
        )
        assert dict(cursor.fetchall()) == {
            "Frontline workers": 2,
            "Antyodaya ration card holders": 1,
            "BPL ration card holders": 5,
            "APL ration card holders": 2,
        }


def test_no_seat_is_left_empty_while_an_eligible_person_waits(places, may_2021):
    # Twenty BPL people, then five of no category at all (later in the queue).
    b = [queued(places, "B") for _ in range(20)]
    n = [queued(places, "N") for _ in range(5)]
    # Seven seats on day 3 (shares 1, 1, 4, 1), thirty-three on day 4 (7, 4, 17, 5).
    seven = session_18_44(places, capacity=7)
    thirty_three = session_18_44(places, capacity=33, days_ahead=4)

    allocate(places.home)

    # Shares first: B1..B4 take day 3's BPL share, B5..B20 sixteen of day 4's
    # seventeen. Then the rollover, in queue order, earliest day first: N1..N3
    # take day 3's three other seats, N4 and N5 two of day 4's. Nobody
    # waits; 33 - 16 - 2 = 15 seats stay open.
    assert seated(seven) == ids(*b[:4], *n[:3])
    assert seated(thirty_three) == ids(*b[4:], n[3], n[4])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registrations_registration"
            " WHERE locality_id = %s AND status = 'waiting'",
            [places.home.pk],
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT capacity - booked FROM slots_session WHERE id = %s", [thirty_three.pk]
        )
        assert cursor.fetchone()[0] == 15


def test_a_category_short_of_people_gives_its_share_to_whoever_waits_next(places, may_2021):
    # Seven seats (1, 1, 4, 1) and twenty BPL people only: BPL's own 4, then
    # the three other shares roll over to the next three BPL people.
    b = [queued(places, "B") for _ in range(20)]
    seven = session_18_44(places, capacity=7)

    allocate(places.home)

    assert seated(seven) == ids(*b[:7])
    assert rollovers(seven) == {
        ("Frontline workers", "BPL ration card holders", 1),
        ("Antyodaya ration card holders", "BPL ration card holders", 1),
        ("APL ration card holders", "BPL ration card holders", 1),
    }


def test_a_hundred_seats_follow_the_shares_exactly(places, may_2021):
    people = {kind: [queued(places, kind) for _ in range(60)] for kind in "FKBA"}
    session = session_18_44(places, capacity=100)

    allocate(places.home)

    expected = {"F": 20, "K": 12, "B": 52, "A": 16}
    assert seated(session) == {p.pk for kind, n in expected.items() for p in people[kind][:n]}


def test_without_an_active_policy_the_queue_order_alone_decides(places, may_2021):
    Policy.objects.update(active=False)
    b = [queued(places, "B") for _ in range(4)]
    queued(places, "A")
    session = session_18_44(places, capacity=4)

    allocate(places.home)

    assert seated(session) == ids(*b)
    assert not Appointment.objects.filter(share_of__isnull=False).exists()


def test_a_session_outside_the_policys_age_band_has_no_shares(places, may_2021):
    b = [queued(places, "B") for _ in range(4)]
    queued(places, "A")
    session = session_at(places.home, capacity=4)  # 18 and over: not within 18-44

    allocate(places.home)

    assert seated(session) == ids(*b)


def test_the_same_data_gives_the_same_allotment_however_the_run_is_batched(places, may_2021):
    for kind in "NBBKABNBAABBFBNBAB":
        queued(places, kind)
    session = session_18_44(places, capacity=10)

    allocate(places.home, dry_run=True)  # writes nothing
    allocate(places.home, batch_size=3)
    in_batches = seated(session)
    Appointment.objects.all().delete()
    Registration.objects.update(status="waiting")
    Session.objects.filter(pk=session.pk).update(booked=0)
    Rollover.objects.all().delete()
    allocate(places.home)

    assert seated(session) == in_batches
    assert len(in_batches) == 10


def test_a_dry_run_counts_what_a_real_run_then_does(places, may_2021):
    for kind in "NBBKABNBAABBFBNBAB":
        queued(places, kind)
    session_18_44(places, capacity=7)
    session_18_44(places, capacity=5, days_ahead=5)

    dry = allocate(places.home, dry_run=True)
    real = allocate(places.home)

    assert (dry.allotted, dry.still_waiting, dry.seats_left) == (12, 6, 0)
    assert (real.allotted, real.still_waiting, real.seats_left) == (12, 6, 0)


def test_a_seat_freed_by_a_cancellation_goes_back_to_its_share(places, may_2021):
    # Ten seats, shares 2, 1, 5, 2: B1..B5 hold BPL's share. B1 cancels: the
    # seat is BPL's again, so B6 has it, not A3 though A3 is earlier in the queue.
    f = [queued(places, "F") for _ in range(2)]
    k = queued(places, "K")
    a = [queued(places, "A") for _ in range(3)]
    b = [queued(places, "B") for _ in range(6)]
    session = session_18_44(places, capacity=10)
    allocate(places.home)
    assert seated(session) == ids(*f, k, a[0], a[1], *b[:5])

    cancel_appointment(
        appointment=Appointment.objects.get(registration=b[0]), by=None, reason="moved away"
    )
    Registration.objects.filter(pk=b[0].pk).update(status="withdrawn", seat=None)
    allocate(places.home)

    assert seated(session) == ids(*f, k, a[0], a[1], *b[1:6])


def test_the_shares_are_filled_across_the_batches_of_a_run(places, may_2021):
    # Batches of three people: the shares hold across them, and the frontline
    # share (no frontline workers) rolls over once the queue is through.
    b = [queued(places, "B") for _ in range(7)]
    a = [queued(places, "A") for _ in range(3)]
    session = session_18_44(places, capacity=10)

    allocate(places.home, batch_size=3)

    # BPL 5 and APL 2 first; then Antyodaya's 1 and the frontline 2 roll over
    # in queue order: B6, B7, A3.
    assert seated(session) == ids(*b, *a)
    assert rollovers(session) == {
        ("Frontline workers", "BPL ration card holders", 2),
        ("Antyodaya ration card holders", "APL ration card holders", 1),
    }
    assert category(may_2021, "Frontline workers").share == 20


def test_a_standby_call_does_not_look_at_the_shares(places, may_2021):
    # A session today under the shares: the doses left in an open vial go to
    # the nearest waiting people in queue order whatever their category (no
    # category, APL, BPL alike), as many as the call asks for with its margin.
    queue = [queued(places, kind) for kind in "BNABNKFA"]
    session = session_18_44(places, capacity=10, days_ahead=0, standby_margin=0)

    called = call_standby(session=session, doses=2, by=None)

    assert 2 <= called < len(queue)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registration_id FROM slots_standbycall WHERE session_id = %s", [session.pk]
        )
        texted = {row[0] for row in cursor.fetchall()}
    # The frontline worker is first in the queue (priority group 2), then the
    # others in the order they joined.
    in_order = [queue[6], *queue[:6], queue[7]]
    assert texted == ids(*in_order[:called])


def test_a_rolled_over_seat_given_up_and_allotted_again_is_counted_once(places, may_2021):
    # As in the scenario above: the frontline share's 2 seats roll over to N1
    # and B6. N1 gives the seat up (a NO to the reminder): the record drops to
    # what the appointments hold; the next run gives it to B7, the first still
    # waiting, and the record counts that seat once, not twice.
    n1 = queued(places, "N")
    b = [queued(places, "B") for _ in range(8)]
    [queued(places, "A") for _ in range(4)]
    queued(places, "N")
    queued(places, "K")
    session = session_18_44(places, capacity=10)
    allocate(places.home)
    assert rollovers(session) == {
        ("Frontline workers", None, 1),
        ("Frontline workers", "BPL ration card holders", 1),
    }

    cancel_appointment(
        appointment=Appointment.objects.get(registration=n1), by=None, reason="replied NO"
    )
    Registration.objects.filter(pk=n1.pk).update(status="withdrawn", seat=None)
    assert rollovers(session) == {
        ("Frontline workers", None, 0),
        ("Frontline workers", "BPL ration card holders", 1),
    }

    allocate(places.home)

    assert b[6].pk in seated(session)
    assert rollovers(session) == {
        ("Frontline workers", None, 0),
        ("Frontline workers", "BPL ration card holders", 2),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM slots_appointment WHERE session_id = %s"
            " AND status <> 'cancelled' AND share_of_id IS DISTINCT FROM category_id",
            [session.pk],
        )
        assert cursor.fetchone()[0] == 2

    # B7 does not come: the seat was given all the same, and stays on the record.
    Appointment.objects.filter(registration=b[6]).update(status="no_show")
    assert ("Frontline workers", "BPL ration card holders", 2) in rollovers(session)
