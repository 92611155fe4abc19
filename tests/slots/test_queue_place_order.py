"""The place the status page shows is the allocator's order, and stays so as
people register, are allotted, cancel and withdraw.

Raipur district: the home block B (home and neighbouring villages), Raipur town
T; Bastar elsewhere. Days are UTC days before today; all dose 1 unless said.

    who  where      group      joined         state
    p1   B home     everyone   day-2 10:00    waiting
    p2   B home     aged 60+   day-1 09:00    waiting   (better group: first)
    p3   T          everyone   day-3 08:00    waiting
    p4   B neighb.  everyone   day-2 09:00    waiting   (p1's day, earlier)
    p5   B home     everyone   day-2 10:00    waiting   (p1's moment, later reference)
    p6   B home     everyone   day-3 12:00    allotted  (not waiting: not counted)
    p7   B home     everyone   day-1 08:00    waiting for dose 2 (another queue)
    p8   Bastar     everyone   day-3 08:00    waiting   (another district)
    p9   B home     everyone   day-1 11:00    paused    (not counted)
    p10  B home     everyone   day-2 08:00    waiting for dose 2, due (Covaxin 40 days ago)
    p11  T          everyone   day-1 10:00    waiting for dose 2, due (Covishield 90 days ago)

The district's first-dose queue: p2, p3, p4, p1, p5. In B: p2, p4, p1, p5.
Second doses: p10 first (1, 1); p7 next in B and the district (2, 2: it is not
due yet, but those due ahead of it are counted); p11 (1 in T, 2 in the district).

A session in the home village with 3 seats: the allocator seats the first three
of the district (p3 by the district fallback, T having no session): p2, p3, p4.
Then B and the district: p1 1, p5 2. A newcomer joins at the back (3 and 3).
p4 cancels for another date: back at the front (1), p1 2, p5 3, newcomer 4.
p1 withdraws: p4 1, p5 2, newcomer 3. Each time the counts the database keeps
are checked against a count by SQL written here.
"""

import collections
import datetime
import threading

import pytest
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from registrations import ids
from registrations.models import Account, PriorityGroup, Registration
from registrations.services import queue_place, register_person, withdraw_registration
from slots.services import cancel_for_another_date
from tests.registrations.helpers import details, sign_in

from .conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    # The per-address sign-in limits count in the cache across tests.
    cache.clear()


TODAY = timezone.now().astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _at(days_before: int, hour: int) -> datetime.datetime:
    return TODAY - datetime.timedelta(days=days_before) + datetime.timedelta(hours=hour)


@pytest.fixture
def scene(places):
    first, second = sorted([ids.new_reference(), ids.new_reference()])

    def waiting(locality, days_before, hour, **extra):
        at = _at(days_before, hour)
        return person(locality, queue_at=at, registered_at=at, **extra)

    return {
        "p1": waiting(places.home, 2, 10, reference=first),
        "p2": waiting(places.home, 1, 9, priority=PriorityGroup.AGED_60_PLUS),
        "p3": waiting(places.town, 3, 8),
        "p4": waiting(places.neighbour, 2, 9),
        "p5": waiting(places.home, 2, 10, reference=second),
        "p6": waiting(places.home, 3, 12, status=Registration.Status.ALLOTTED),
        "p7": waiting(places.home, 1, 8, **_first_dose("COVISHIELD", 10)),
        "p8": waiting(places.elsewhere, 3, 8),
        "p9": waiting(places.home, 1, 11, status=Registration.Status.PAUSED),
        "p10": waiting(places.home, 2, 8, **_first_dose("COVAXIN", 40)),
        "p11": waiting(places.town, 1, 10, **_first_dose("COVISHIELD", 90)),
    }


def _first_dose(vaccine: str, days_ago: int) -> dict:
    return {
        "doses_received": 1,
        "last_vaccine": vaccine,
        "last_dose_date": timezone.localdate() - datetime.timedelta(days=days_ago),
    }


def _places(people: dict, *names: str) -> dict[str, tuple[int, int]]:
    found = {}
    for name in names:
        registration = Registration.objects.get(pk=people[name].pk)
        place = queue_place(registration=registration)
        found[name] = (place.in_area, place.in_district)
    return found


_WAITING_BY = (
    "SELECT area_id, doses_received, priority, (queue_at AT TIME ZONE 'UTC')::date,{hour}"
    " last_vaccine, last_dose_date, count(*) FROM registrations_registration"
    " WHERE status = 'waiting' AND doses_received < 2 GROUP BY {columns}"
)


_WAITING = (
    "SELECT district_id, area_id, doses_received, priority, queue_at, last_vaccine,"
    " last_dose_date FROM registrations_registration"
    " WHERE status = 'waiting' AND doses_received < 2"
)
WEEK, DAY, TEN_MINUTES = 10080, 1440, 10


def _spans_by_hand(cursor) -> collections.Counter:
    """The spans each waiting person counts in (registrations/0024), worked out
    here from their row: their block's week and their district's week, day
    and ten minutes (weeks from Monday, UTC); a first dose keeps no vaccine."""
    spans: collections.Counter = collections.Counter()
    cursor.execute(_WAITING)
    for district, area, doses, priority, queue_at, vaccine, first in cursor.fetchall():
        at = queue_at.astimezone(datetime.UTC)
        day = at.date()
        week = day - datetime.timedelta(days=day.weekday())
        due = ("", None) if doses == 0 else (vaccine, first)
        for where, span, start, minute in (
            (area, WEEK, week, 0),
            (None, WEEK, week, 0),
            (None, DAY, day, 0),
            (None, TEN_MINUTES, day, at.hour * 60 + at.minute // 10 * 10),
        ):
            spans[(district, where, doses, span, priority, start, minute, *due)] += 1
    return spans


def _counts_match_the_table() -> None:
    """The counts the database keeps by day and by hour in blocks and towns,
    and by week, day and ten minutes (QueueSpan), against the people waiting
    for a dose counted here (days that emptied may stay, at 0)."""
    with connection.cursor() as cursor:
        expected = _spans_by_hand(cursor)
        cursor.execute(
            "SELECT district_id, area_id, doses_received, span, priority, day, minute,"
            " last_vaccine, last_dose_date, waiting FROM registrations_queuespan"
            " WHERE waiting <> 0"
        )
        assert {row[:-1]: row[-1] for row in cursor.fetchall()} == dict(expected)
        cursor.execute(_WAITING_BY.format(hour="", columns="1, 2, 3, 4, 5, 6"))
        by_day = set(cursor.fetchall())
        # Kept by ration card as well (for the quota categories): summed here.
        cursor.execute(
            "SELECT area_id, doses_received, priority, day, last_vaccine, last_dose_date,"
            " sum(waiting) FROM registrations_queueday GROUP BY 1, 2, 3, 4, 5, 6"
            " HAVING sum(waiting) <> 0"
        )
        assert set(cursor.fetchall()) == by_day
        hour = " extract(hour FROM queue_at AT TIME ZONE 'UTC')::int,"
        cursor.execute(_WAITING_BY.format(hour=hour, columns="1, 2, 3, 4, 5, 6, 7"))
        by_hour = set(cursor.fetchall())
        cursor.execute(
            "SELECT area_id, doses_received, priority, day, hour, last_vaccine, last_dose_date,"
            " sum(waiting) FROM registrations_queuehour GROUP BY 1, 2, 3, 4, 5, 6, 7"
            " HAVING sum(waiting) <> 0"
        )
        assert set(cursor.fetchall()) == by_hour


def _booked(registration: Registration) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM slots_appointment WHERE registration_id = %s"
            " AND status = 'booked'",
            [registration.pk],
        )
        return cursor.fetchone()[0] == 1


def test_places_follow_the_hand_worked_order(scene):
    assert _places(scene, "p2", "p3", "p4", "p1", "p5") == {
        "p2": (1, 1),
        "p3": (1, 2),
        "p4": (2, 3),
        "p1": (3, 4),
        "p5": (4, 5),
    }
    assert _places(scene, "p8") == {"p8": (1, 1)}
    assert _places(scene, "p10", "p7", "p11") == {"p10": (1, 1), "p7": (2, 2), "p11": (1, 2)}
    _counts_match_the_table()


def test_the_allocator_seats_exactly_the_first_places_and_the_rest_move_up(scene, places):
    before = _places(scene, "p1", "p2", "p3", "p4", "p5")
    session_at(places.home, capacity=3)
    allocate(places.home)
    seated = {name for name in before if _booked(scene[name])}
    assert seated == {name for name, (_area, district) in before.items() if district <= 3}
    assert seated == {"p2", "p3", "p4"}
    assert _places(scene, "p1", "p5") == {"p1": (1, 1), "p5": (2, 2)}
    _counts_match_the_table()


def test_places_stay_right_after_registering_cancelling_and_withdrawing(scene, places):
    session_at(places.home, capacity=3)
    allocate(places.home)
    newcomer = register_person(account=None, details=details(places.home))
    scene["new"] = newcomer
    assert _places(scene, "new") == {"new": (3, 3)}
    _counts_match_the_table()

    p4 = scene["p4"]
    cancel_for_another_date(appointment=p4.appointments.get(status="booked"), by=None)
    assert _places(scene, "p4", "p1", "p5", "new") == {
        "p4": (1, 1),
        "p1": (2, 2),
        "p5": (3, 3),
        "new": (4, 4),
    }
    _counts_match_the_table()

    withdraw_registration(registration=scene["p1"], by=None, reason="moved away")
    assert _places(scene, "p4", "p5", "new") == {"p4": (1, 1), "p5": (2, 2), "new": (3, 3)}
    _counts_match_the_table()

    Registration.objects.filter(pk=scene["p5"].pk).delete()
    assert _places(scene, "new") == {"new": (2, 2)}
    _counts_match_the_table()


def test_the_status_page_shows_the_place(client, scene, places):
    session_at(places.home, capacity=3)
    allocate(places.home)
    sign_in(client, "98123 45678")
    mine = register_person(
        account=Account.objects.get(mobile="+919812345678"), details=details(places.home)
    )
    page = client.get(reverse("registrations:person", args=[mine.reference])).content.decode()
    # p1 and p5 are ahead of them, in B and in the district.
    assert "Number <strong>3</strong> in the queue of" in page
    assert "Number 3 in Raipur district" in page


# Everyone ahead, counted here by SQL from the table itself: the oracle for a
# busy hour, where the place is counted from either end of the person's hour.
_AHEAD_BY_SQL = """
    SELECT me.id,
        (SELECT count(*) FROM registrations_registration o WHERE o.status = 'waiting'
            AND o.doses_received = me.doses_received AND o.area_id = me.area_id AND {due}
            AND (o.priority, o.queue_at, o.reference) < (me.priority, me.queue_at, me.reference)
        ) + 1,
        (SELECT count(*) FROM registrations_registration o WHERE o.status = 'waiting'
            AND o.doses_received = me.doses_received AND o.district_id = me.district_id AND {due}
            AND (o.priority, o.queue_at, o.reference) < (me.priority, me.queue_at, me.reference)
        ) + 1
    FROM registrations_registration me WHERE me.status = 'waiting' AND me.doses_received < 2
"""
_DUE_BY_SQL = (
    "(me.doses_received = 0 OR (o.last_vaccine = 'COVISHIELD' AND o.last_dose_date <= %s)"
    " OR (o.last_vaccine = 'COVAXIN' AND o.last_dose_date <= %s))"
)


def test_places_in_a_busy_hour_counted_from_either_end(places):
    """Two hours of one day filled minute by minute, in both halves of each
    hour, with people of two groups, in the block, the town and the district,
    some allotted or paused, second doses due and not yet due: each waiting
    person's place is what SQL counts ahead of them."""
    hour = _at(1, 0) + datetime.timedelta(hours=14)
    spots = [places.home, places.neighbour, places.town]
    for minute in (0, 5, 10, 29, 30, 31, 44, 45, 59, 60, 61, 89, 90, 119):
        for n, locality in enumerate(spots):
            extra: dict = {}
            if n == 1 and minute % 2:
                extra["priority"] = PriorityGroup.AGED_60_PLUS
            if minute in (10, 45) and n == 0:
                extra["status"] = Registration.Status.ALLOTTED
            if minute in (31, 89) and n == 2:
                extra["status"] = Registration.Status.PAUSED
            if minute in (5, 44, 61, 119):
                days_ago = 100 if n else 20  # due, and (in B home) not yet due
                extra.update(_first_dose("COVISHIELD", days_ago))
            at = hour + datetime.timedelta(minutes=minute)
            person(locality, queue_at=at, registered_at=at, **extra)
            if n == 0:  # a second person in the same minute, after the first
                person(locality, queue_at=at, registered_at=at, **extra)
    today = timezone.localdate()
    due = [today - datetime.timedelta(days=84), today - datetime.timedelta(days=28)]
    with connection.cursor() as cursor:
        cursor.execute(_AHEAD_BY_SQL.format(due=_DUE_BY_SQL), due * 2)
        expected = {pk: (in_area, in_district) for pk, in_area, in_district in cursor.fetchall()}
    assert len(expected) >= 50
    found = {}
    for registration in Registration.objects.filter(pk__in=expected):
        place = queue_place(registration=registration)
        found[registration.pk] = (place.in_area, place.in_district)
    assert found == expected
    _counts_match_the_table()


def test_places_over_weeks_sum_whole_weeks_days_and_ten_minutes(places):
    """People over five weeks, in two groups, in the block, its neighbour
    village, the town and another district, on both sides of ten-minute and
    week boundaries (Mondays, UTC), some allotted or paused, second doses due
    and not yet due: each waiting person's place is what SQL counts ahead of
    them, before and after an allocator run, and so are the counts."""
    spots = [places.home, places.neighbour, places.town, places.elsewhere]
    for days_before in (1, 2, 6, 7, 8, 13, 14, 15, 22, 29, 33):
        for minute in (0, 9, 10, 19, 61, 9 * 60 + 59, 23 * 60 + 50):
            at = _at(days_before, 0) + datetime.timedelta(minutes=minute)
            n = (days_before + minute) % len(spots)
            extra: dict = {}
            if minute % 2:
                extra["priority"] = PriorityGroup.AGED_60_PLUS
            if (days_before, minute) in ((7, 10), (15, 61)):
                extra["status"] = Registration.Status.PAUSED
            if minute == 19 or days_before == 14:
                days_ago = 100 if days_before % 2 else 20  # due, and not yet due
                extra.update(_first_dose("COVISHIELD" if n else "COVAXIN", days_ago))
            person(spots[n], queue_at=at, registered_at=at, **extra)
            if minute == 10:  # in the town too, the same moment
                person(places.town, queue_at=at, registered_at=at, **extra)
    _places_match_a_count_by_sql()
    _counts_match_the_table()

    session_at(places.home, capacity=7)
    allocate(places.home)
    assert Registration.objects.filter(status=Registration.Status.ALLOTTED).count() == 7
    _places_match_a_count_by_sql()
    _counts_match_the_table()


def _places_match_a_count_by_sql() -> None:
    today = timezone.localdate()
    due = [today - datetime.timedelta(days=84), today - datetime.timedelta(days=28)]
    with connection.cursor() as cursor:
        cursor.execute(_AHEAD_BY_SQL.format(due=_DUE_BY_SQL), due * 2)
        expected = {pk: (in_area, in_district) for pk, in_area, in_district in cursor.fetchall()}
    found = {}
    for registration in Registration.objects.filter(pk__in=expected):
        place = queue_place(registration=registration)
        found[registration.pk] = (place.in_area, place.in_district)
    assert found == expected


def _at_once(*calls) -> list:
    """Runs the calls in threads released together; each one's result or error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as error:  # reported by the test
            results[i] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_the_counts_stay_exact_when_everyone_changes_the_same_district_at_once(scene, places):
    """Registrations in the block, its neighbour village and the town in the
    same hour (the same day and hour rows of the district), an allocator run,
    a cancellation and a withdrawal, all released at once: afterwards every
    count the database keeps is what SQL counts, and so is every place."""
    session_at(places.home, capacity=3)
    allocate(places.home)
    session_at(places.home, capacity=2)
    p4_seat = scene["p4"].appointments.get(status="booked")
    spots = [places.home, places.neighbour, places.town] * 3
    results = _at_once(
        *[lambda spot=spot: register_person(account=None, details=details(spot)) for spot in spots],
        lambda: allocate(places.home),
        lambda: cancel_for_another_date(appointment=p4_seat, by=None),
        lambda: withdraw_registration(registration=scene["p5"], by=None, reason="moved away"),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert Registration.objects.filter(registered_at__gte=TODAY).count() == len(spots)
    _counts_match_the_table()
    _places_match_a_count_by_sql()
