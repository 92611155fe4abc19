"""A small hand-made scenario whose answers are worked out below.

Raipur block B and Raipur town T; times are minutes after t0.

    who  where    group        queue_at  state
    a    B        everyone     +1        waiting
    b    B        aged 60+     +5        waiting   (higher group: ahead despite later)
    c    T        everyone     +0        waiting   (same district, other area)
    d    B        everyone     +3        waiting   <- the person we ask about
    e    B        everyone     +4        waiting   (behind d)
    f    B        everyone     +2        allotted  (not waiting: not counted)
    g    B        everyone     +0        waiting for dose 2, not yet due (other queue)
    h    Bastar   everyone     +0        waiting   (other district)

d's place in B: b, a ahead -> 3.  In Raipur district: b, a, c ahead -> 4.

Sessions in B, notice 24 h so today's do not count:
    today      10 free            -> too soon
    today+1    capacity 2, booked 2 -> 0 free   running total 0
    today+3    capacity 2          -> 2 free    running total 2 (< 3)
    today+5    capacity 5, booked 1 -> 4 free   running total 6 (>= 3)  => about 5 days
    today+2    dose 2 only, today+2 unpublished, today+2 in town T -> ignored
"""

import datetime

import pytest
from django.utils import timezone

from registrations.models import PriorityGroup, Registration
from registrations.services import queue_place
from slots.estimates import estimate_slot
from tests import factories

pytestmark = pytest.mark.django_db

T0 = timezone.now() - datetime.timedelta(days=10)


def _at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.fixture
def scene(raipur_village, raipur_town, bastar_village):
    ward = factories.first_locality(raipur_town)

    def person(locality, minutes, **extra):
        return factories.make_registration(
            locality=locality, queue_at=_at(minutes), registered_at=_at(minutes), **extra
        )

    people = {
        "a": person(raipur_village, 1),
        "b": person(raipur_village, 5, priority=PriorityGroup.AGED_60_PLUS),
        "c": person(ward, 0),
        "d": person(raipur_village, 3),
        "e": person(raipur_village, 4),
        "f": person(raipur_village, 2, status=Registration.Status.ALLOTTED),
        "g": person(
            raipur_village,
            0,
            doses_received=1,
            last_vaccine="COVISHIELD",
            last_dose_date=timezone.localdate() - datetime.timedelta(days=10),
        ),
        "h": person(bastar_village, 0),
    }
    centre = factories.make_centre(locality=raipur_village)
    town_centre = factories.make_centre(locality=ward)
    factories.make_session(centre=centre, days_ahead=0, capacity=10)
    factories.make_session(centre=centre, days_ahead=1, capacity=2, booked=2)
    factories.make_session(centre=centre, days_ahead=3, capacity=2)
    factories.make_session(centre=centre, days_ahead=5, capacity=5, booked=1)
    factories.make_session(centre=centre, days_ahead=2, capacity=10, dose=2)
    factories.make_session(centre=centre, days_ahead=2, capacity=10, published=False)
    factories.make_session(centre=town_centre, days_ahead=2, capacity=10)
    return people


def test_place_in_block_and_district_follows_the_queue_order(scene):
    place = queue_place(registration=scene["d"])
    assert (place.in_area, place.in_district) == (3, 4)


def test_the_first_in_line_is_number_one(scene):
    assert queue_place(registration=scene["b"]).in_area == 1


def test_estimate_counts_free_published_seats_day_by_day(scene):
    estimate = estimate_slot(registration=scene["d"], place_in_area=3)
    assert estimate.days == 5


def test_estimate_says_so_when_published_seats_do_not_reach_the_person(scene):
    estimate = estimate_slot(registration=scene["d"], place_in_area=7)
    assert (estimate.days, estimate.seats_published) == (None, 6)


def test_estimate_says_so_when_nothing_is_published_in_the_area(scene, bastar_village):
    estimate = estimate_slot(registration=scene["h"], place_in_area=1)
    assert (estimate.days, estimate.seats_published) == (None, 0)
