"""The estimate ("a slot in about N days") counts only seats the allocator
can give, with the notice rule to the minute. Worked by hand:

It is 10:00 on day D; TEEKA_NOTICE_HOURS is 24, so nothing before D+1 10:00.
Sessions in the person's block (all at the person's village, dose 1, 18+):

    D+1 09:00   50 free   starts before D+1 10:00: too soon      -> 0
    D+1 11:00    2 free                                           -> total 2
    D+2 09:00    3 free                                           -> total 5
    D+3 14:00    5 free                                           -> total 10
    and, not counted: D+2 dose 2 (100), D+2 unpublished (100), D+2 cancelled
    (100), D+3 for 60 and over (100; the person is 40), D+2 at a closed
    centre (100), D+1 11:00 in another block of the district (100).

Place 1 or 2 -> about 1 day; 3 to 5 -> 2 days; 6 to 10 -> 3 days; 11 -> none
yet, 10 seats published (the block's, the only ones the estimate counts).
Then the allocator, run at that moment for ten people in the village, gives
exactly those days.
"""

import datetime

import pytest
from django.utils import timezone

from slots.allocation import allocate_district
from slots.estimates import estimate_slot
from slots.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture
def scene(settings, now, raipur_village, raipur_town):
    settings.TEEKA_NOTICE_HOURS = 24
    day = now.date()
    centre = factories.make_centre(locality=raipur_village)
    closed = factories.make_centre(locality=raipur_village, active=False)
    elsewhere = factories.make_centre(locality=factories.first_locality(raipur_town))

    def session(days, hour, capacity, centre=centre, **extra):
        return factories.make_session(
            centre=centre,
            date=day + datetime.timedelta(days=days),
            start_time=datetime.time(hour, 0),
            end_time=datetime.time(17, 0),
            capacity=capacity,
            **extra,
        )

    counted = [session(1, 11, 2), session(2, 9, 3), session(3, 14, 5)]
    session(1, 9, 50)
    session(2, 9, 100, dose=2)
    session(2, 10, 100, published=False)
    session(2, 11, 100, status="cancelled")
    session(3, 9, 100, min_age=60)
    session(2, 9, 100, centre=closed)
    session(1, 11, 100, centre=elsewhere)
    return counted


@pytest.mark.parametrize(
    ("place", "days"),
    [(1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (10, 3), (11, None)],
)
def test_the_estimate_counts_only_seats_the_allocator_can_give(
    scene, now, raipur_village, place, days
):
    someone = factories.make_registration(locality=raipur_village, birth_year=now.year - 40)
    estimate = estimate_slot(registration=someone, place_in_area=place, now=now)
    assert estimate.days == days
    if days is None:
        assert estimate.seats_published == 10


def test_the_allocator_gives_the_days_the_estimate_said(scene, now, raipur_village):
    start = now - datetime.timedelta(days=5)
    people = [
        factories.make_registration(
            locality=raipur_village,
            birth_year=now.year - 40,
            queue_at=start + datetime.timedelta(minutes=i),
        )
        for i in range(10)
    ]
    estimates = [
        estimate_slot(registration=p, place_in_area=place, now=now).days
        for place, p in enumerate(people, start=1)
    ]
    allocate_district(district_id=raipur_village.area.district_id, now=now)
    given = []
    for p in people:
        appointment = Appointment.objects.filter(registration=p).select_related("session").first()
        given.append((appointment.session.date - now.date()).days if appointment else None)
    assert given == estimates == [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]
