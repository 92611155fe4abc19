"""A person's place within their quota category in their block or town is the
allocator's order among their category's people, and stays so as people
register, are allotted, cancel, withdraw and are deleted.

The May 2021 example (frontline workers, then Antyodaya, BPL and APL ration
cards, in that order: a frontline worker with a BPL card is a frontline
worker), in Raipur district: block B (home and neighbouring villages), town T.
All aged 30, dose 1 unless said; days are UTC days before today.

    who  card       group      where       joined        state
    f1   BPL        frontline  B home      day-3 15:00   waiting   (frontline, 1)
    b1   BPL        everyone   B home      day-4 10:00   waiting   (BPL 1)
    b2   BPL        everyone   B neighb.   day-3 09:10   waiting   (BPL 2)
    a1   APL        everyone   B home      day-3 09:20   waiting   (APL 1)
    b3   BPL        everyone   T           day-3 09:25   waiting   (BPL 1 in T)
    k1   Antyodaya  everyone   B home      day-3 09:30   waiting   (Antyodaya 1)
    b4   BPL        everyone   B home      day-3 09:35   allotted  (not counted)
    b5   BPL        everyone   B home      day-3 09:40   waiting for dose 2, due
    b6   BPL        everyone   B home      day-3 09:45   waiting for dose 2, not yet due
    b10  BPL        everyone   B home      day-3 09:47   waiting for dose 2, due
    b7   BPL        everyone   B home      day-3 09:50   paused    (not counted)
    n1   none       everyone   B home      day-3 09:55   waiting   (in no category)
    b8   BPL        everyone   B home      day-3 09:58   waiting   (BPL 3: b1, b2 ahead)
    f2   Antyodaya  frontline  B neighb.   day-2 08:00   waiting   (frontline 2)
    b9   BPL        aged 60+   B home      day-1 11:00   waiting   (BPL 1: a better group)

BPL in B, dose 1: b9, b1, b2, b8 (b9 first: aged 60 or over). Dose 2: b5 1,
b6 2 (not due itself, but b5, who is due, is ahead), b10 2 (b6 is not due:
the allocator passes over them, so they are not counted ahead). A session in the home
village with 10 seats (2, 1, 5, 2): frontline f1, f2; Antyodaya k1; BPL b9,
b1, b2, b8, b3 (T has no session: the district's); APL a1, and APL's second
seat rolls over to whoever waits next for a first dose: n1, in none.
Afterwards a newcomer with a BPL card is BPL 1 in B. Each place is checked
against a count by SQL written here.
"""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from quotas import standing as standings
from quotas.models import Category, Policy
from registrations.models import PriorityGroup, RationCard, Registration
from registrations.services import register_person, withdraw_registration
from slots.services import cancel_for_another_date
from tests.registrations.helpers import details
from tests.slots.conftest import allocate, person, session_at

pytestmark = pytest.mark.django_db

TODAY = timezone.now().astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
THIRTY = timezone.localdate().year - 30

# Each category of the example by hand: who is in it (the first of the
# policy's order they qualify for).
MAY_2021 = {
    "Frontline workers": "priority = 2",
    "Antyodaya ration card holders": "ration_card = 'antyodaya' AND priority <> 2",
    "BPL ration card holders": "ration_card = 'bpl' AND priority <> 2",
    "APL ration card holders": "ration_card = 'apl' AND priority <> 2",
}

# Ahead of `me` in its block or town among `members`: the allocator's order,
# for the same dose (a second dose only for whom it is due), waiting.
_AHEAD = """
    SELECT count(*) FROM registrations_registration o, registrations_registration me
    WHERE me.id = %s AND o.area_id = me.area_id AND o.status = 'waiting'
      AND o.doses_received = me.doses_received
      AND (me.doses_received = 0 OR (o.last_vaccine = 'COVISHIELD' AND o.last_dose_date <= %s)
           OR (o.last_vaccine = 'COVAXIN' AND o.last_dose_date <= %s))
      AND (o.priority, o.queue_at, o.reference) < (me.priority, me.queue_at, me.reference)
      AND o.id IN (SELECT id FROM registrations_registration WHERE {members})
"""


def _at(days_before: int, hour: int, minute: int = 0) -> datetime.datetime:
    return TODAY - datetime.timedelta(days=days_before, hours=-hour, minutes=-minute)


def _first_dose(days_ago: int) -> dict:
    return {
        "doses_received": 1,
        "last_vaccine": "COVISHIELD",
        "last_dose_date": timezone.localdate() - datetime.timedelta(days=days_ago),
    }


@pytest.fixture
def scene(places, may_2021):
    cards = {"K": RationCard.ANTYODAYA, "B": RationCard.BPL, "A": RationCard.APL}
    cards["N"] = RationCard.NONE

    def one(card, where, when, priority=PriorityGroup.EVERYONE, **extra):
        at = _at(*when)
        extra.setdefault("birth_year", THIRTY)
        return person(
            where,
            ration_card=cards[card],
            priority=priority,
            queue_at=at,
            registered_at=at,
            **extra,
        )

    home, neighbour, town = places.home, places.neighbour, places.town
    frontline, older = PriorityGroup.FRONTLINE_WORKER, PriorityGroup.AGED_60_PLUS
    return {
        "f1": one("B", home, (3, 15), frontline),
        "b1": one("B", home, (4, 10)),
        "b2": one("B", neighbour, (3, 9, 10)),
        "a1": one("A", home, (3, 9, 20)),
        "b3": one("B", town, (3, 9, 25)),
        "k1": one("K", home, (3, 9, 30)),
        "b4": one("B", home, (3, 9, 35), status=Registration.Status.ALLOTTED),
        "b5": one("B", home, (3, 9, 40), **_first_dose(90)),
        "b6": one("B", home, (3, 9, 45), **_first_dose(10)),
        "b10": one("B", home, (3, 9, 47), **_first_dose(100)),
        "b7": one("B", home, (3, 9, 50), status=Registration.Status.PAUSED),
        "n1": one("N", home, (3, 9, 55)),
        "b8": one("B", home, (3, 9, 58)),
        "f2": one("K", neighbour, (2, 8), frontline),
        "b9": one("B", home, (1, 11), older),
    }


def _standing(registration: Registration):
    fresh = Registration.objects.get(pk=registration.pk)
    return standings.standing(fresh, today=timezone.localdate())


def _places(people: dict, *names: str) -> dict[str, tuple[str, int]]:
    found = {}
    for name in names:
        mine = _standing(people[name])
        found[name] = (mine.category.name_en, mine.place_in_area)
    return found


def _by_sql(registration: Registration, members: str) -> int:
    today = timezone.localdate()
    due = [today - datetime.timedelta(days=84), today - datetime.timedelta(days=28)]
    with connection.cursor() as cursor:
        cursor.execute(_AHEAD.format(members=members), [registration.pk, *due])
        return cursor.fetchone()[0] + 1


def _every_place_matches_sql(by_hand: dict[str, str]) -> int:
    """Each waiting or paused person with a category: their place is what SQL
    counts ahead of them in their category. Returns how many were checked."""
    checked = 0
    people = Registration.objects.filter(status__in=["waiting", "paused"], doses_received__lt=2)
    for registration in people:
        mine = _standing(registration)
        if mine is None or mine.category is None:
            continue
        assert mine.place_in_area == _by_sql(registration, by_hand[mine.category.name_en]), (
            registration.name,
            mine.category.name_en,
        )
        checked += 1
    return checked


_WAITING = (
    "SELECT area_id, doses_received, priority, (queue_at AT TIME ZONE 'UTC')::date,{hour}"
    " ration_card, last_vaccine, last_dose_date, count(*) FROM registrations_registration"
    " WHERE status = 'waiting' AND doses_received < 2 GROUP BY {columns}"
)
_KEPT = (
    "SELECT area_id, doses_received, priority, day,{hour} ration_card, last_vaccine,"
    " last_dose_date, waiting FROM {table} WHERE waiting <> 0"
)
_BY_HOUR = " extract(hour FROM queue_at AT TIME ZONE 'UTC')::int,"


def _counts_by_card_match_the_table() -> None:
    """The blocks' counts by day and hour keep the ration card: each matches
    a count of the people waiting by SQL (days that emptied may stay, at 0)."""
    if connection.vendor != "postgresql":
        return  # the embedded SQLite counts directly
    with connection.cursor() as cursor:
        for waiting, kept in (
            (
                _WAITING.format(hour="", columns="1, 2, 3, 4, 5, 6, 7"),
                _KEPT.format(hour="", table="registrations_queueday"),
            ),
            (
                _WAITING.format(hour=_BY_HOUR, columns="1, 2, 3, 4, 5, 6, 7, 8"),
                _KEPT.format(hour=" hour,", table="registrations_queuehour"),
            ),
        ):
            cursor.execute(waiting)
            counted = set(cursor.fetchall())
            cursor.execute(kept)
            assert set(cursor.fetchall()) == counted, kept


def _booked(registration: Registration) -> bool:
    return registration.appointments.filter(status="booked").exists()


BPL, FRONTLINE = "BPL ration card holders", "Frontline workers"


def test_places_in_a_category_follow_the_hand_worked_order(scene):
    assert _places(scene, "b9", "b1", "b2", "b8", "b3") == {
        "b9": (BPL, 1),
        "b1": (BPL, 2),
        "b2": (BPL, 3),
        "b8": (BPL, 4),
        "b3": (BPL, 1),
    }
    assert _places(scene, "f1", "f2", "k1", "a1") == {
        "f1": (FRONTLINE, 1),
        "f2": (FRONTLINE, 2),
        "k1": ("Antyodaya ration card holders", 1),
        "a1": ("APL ration card holders", 1),
    }
    assert _places(scene, "b5", "b6", "b10") == {"b5": (BPL, 1), "b6": (BPL, 2), "b10": (BPL, 2)}
    assert _standing(scene["n1"]).category is None
    assert _every_place_matches_sql(MAY_2021) == 13
    _counts_by_card_match_the_table()


def test_the_allocator_seats_each_category_in_its_place_order(scene, places):
    session_at(places.home, capacity=10, max_age=44)
    allocate(places.home)
    seated = {name for name, registration in scene.items() if _booked(registration)}
    # b4 was allotted before (by hand, no appointment).
    assert seated == {"f1", "f2", "k1", "b9", "b1", "b2", "b8", "b3", "a1", "n1"}
    newcomer = register_person(
        account=None, details=details(places.home, ration_card=RationCard.BPL, birth_year=THIRTY)
    )
    scene["new"] = newcomer
    assert _places(scene, "new", "b5", "b6") == {"new": (BPL, 1), "b5": (BPL, 1), "b6": (BPL, 2)}
    assert _every_place_matches_sql(MAY_2021) == 5  # and b7, paused, and b10
    _counts_by_card_match_the_table()


def test_places_stay_right_after_cancelling_withdrawing_and_deleting(scene, places):
    session_at(places.home, capacity=10, max_age=44)
    allocate(places.home)
    newcomer = register_person(
        account=None, details=details(places.home, ration_card=RationCard.BPL, birth_year=THIRTY)
    )
    scene["new"] = newcomer

    # b8 cancels for another date: back to their place, ahead of the newcomer.
    cancel_for_another_date(appointment=scene["b8"].appointments.get(status="booked"), by=None)
    assert _places(scene, "b8", "new") == {"b8": (BPL, 1), "new": (BPL, 2)}
    assert _every_place_matches_sql(MAY_2021) == 6
    _counts_by_card_match_the_table()

    # b9 too (a better group: first again); then b8 withdraws.
    cancel_for_another_date(appointment=scene["b9"].appointments.get(status="booked"), by=None)
    withdraw_registration(registration=scene["b8"], by=None, reason="moved away")
    assert _places(scene, "b9", "new") == {"b9": (BPL, 1), "new": (BPL, 2)}
    assert _every_place_matches_sql(MAY_2021) == 6
    _counts_by_card_match_the_table()

    # b5, next for a second dose, is deleted: b6 is next.
    Registration.objects.filter(pk=scene["b5"].pk).delete()
    assert _places(scene, "b6", "b10") == {"b6": (BPL, 1), "b10": (BPL, 1)}
    # An official changes a person's card: the counts follow.
    Registration.objects.filter(pk=scene["b6"].pk).update(ration_card=RationCard.APL)
    assert _places(scene, "b6") == {"b6": ("APL ration card holders", 1)}
    assert _every_place_matches_sql(MAY_2021) == 5
    _counts_by_card_match_the_table()


# A policy whose categories overlap more: a card and an occupation together,
# an occupation alone, a card alone; earlier ones exclude later ones.
MIXED = {
    "Frontline with BPL": "ration_card = 'bpl' AND priority = 2",
    "Health workers": "priority = 1",
    "Frontline": "priority = 2 AND NOT (ration_card = 'bpl')",
    "Antyodaya": "ration_card = 'antyodaya' AND priority NOT IN (1, 2)",
    "BPL": "ration_card = 'bpl' AND priority NOT IN (1, 2)",
}


@pytest.fixture
def mixed(may_2021) -> Policy:
    may_2021.active = False
    may_2021.save()
    today = timezone.localdate()
    policy = Policy.objects.create(
        name_en="Mixed",
        name_hi="Mixed",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
        active=True,
    )
    rows = [
        ("Frontline with BPL", "bpl", PriorityGroup.FRONTLINE_WORKER),
        ("Health workers", "", PriorityGroup.HEALTH_WORKER),
        ("Frontline", "", PriorityGroup.FRONTLINE_WORKER),
        ("Antyodaya", "antyodaya", None),
        ("BPL", "bpl", None),
    ]
    for position, (name, card, occupation) in enumerate(rows, start=1):
        Category.objects.create(
            policy=policy,
            position=position,
            name_en=name,
            name_hi=name,
            share=20,
            ration_card=card,
            occupation=occupation,
            document_en="-",
            document_hi="-",
        )
    return policy


def test_places_under_a_policy_of_cards_and_occupations_together(places, mixed):
    cards = [RationCard.BPL, RationCard.ANTYODAYA, RationCard.APL, RationCard.NONE, ""]
    groups = [PriorityGroup.HEALTH_WORKER, PriorityGroup.FRONTLINE_WORKER, PriorityGroup.EVERYONE]
    spots = [places.home, places.neighbour, places.town]
    for n in range(60):
        at = _at(3 - n % 3, 6 + n % 5, (n * 7) % 60)
        extra = _first_dose(90 if n % 4 else 10) if n % 7 == 3 else {}
        if n % 11 == 5:
            extra["status"] = Registration.Status.ALLOTTED
        person(
            spots[n % 3],
            ration_card=cards[n % 5],
            priority=groups[n % 3 if n % 2 else 2],
            queue_at=at,
            registered_at=at,
            birth_year=THIRTY,
            **extra,
        )
    assert _every_place_matches_sql(MIXED) == 32
    _counts_by_card_match_the_table()

    session_at(places.home, capacity=12)
    allocate(places.home)
    assert _every_place_matches_sql(MIXED) == 20  # 12 seated
    _counts_by_card_match_the_table()


def test_the_category_place_is_read_from_the_counts(scene):
    """The place within a category is summed from the counts the database
    keeps, not counted along the queue: counts off by 100 for the BPL cards of
    b8's block, on an earlier day, put b8 100 places further back."""
    if connection.vendor != "postgresql":
        pytest.skip("the embedded SQLite counts directly")
    before = _standing(scene["b8"]).place_in_area
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registrations_queueday SET waiting = waiting + 100"
            " WHERE area_id = %s AND ration_card = 'bpl' AND day = %s AND doses_received = 0",
            [scene["b1"].area_id, _at(4, 10).date()],
        )
    assert _standing(scene["b8"]).place_in_area == before + 100
