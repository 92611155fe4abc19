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
from slots.models import Appointment, SkippedSession
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


@pytest.fixture
def second_dose_scene(settings, now, raipur_village):
    """A second dose of Covaxin (28 days) due on D+2, worked by hand: the
    sessions at the person's centre, dose 2 and Covaxin unless said.

        D+1 11:00   4 free   before the dose is due                -> 0
        D+2 11:00   3 free                                          -> total 3
        D+2 12:00 100 free   Covishield                             -> 0
        D+3 11:00   5 free   (6 seats, 1 booked)                    -> total 8
        D+4 11:00   7 free   a session the person cancelled (skipped) -> 0
        D+5 11:00 100 free   dose 1                                 -> 0
    """
    settings.TEEKA_NOTICE_HOURS = 24
    day = now.date()
    centre = factories.make_centre(locality=raipur_village)

    def session(days, capacity, hour=11, **extra):
        fields = {"dose": 2, "vaccine": "COVAXIN", **extra}
        return factories.make_session(
            centre=centre,
            date=day + datetime.timedelta(days=days),
            start_time=datetime.time(hour, 0),
            capacity=capacity,
            **fields,
        )

    session(1, 4)
    session(2, 3)
    session(2, 100, hour=12, vaccine="COVISHIELD")
    session(3, 6, booked=1)
    skipped = session(4, 7)
    session(5, 100, dose=1)
    person = factories.make_registration(
        locality=raipur_village,
        birth_year=now.year - 40,
        doses_received=1,
        last_vaccine="COVAXIN",
        last_dose_date=day - datetime.timedelta(days=26),
    )
    SkippedSession.objects.create(session=skipped, registration=person)
    return person


@pytest.mark.parametrize(
    ("place", "days", "published"),
    [(1, 2, 3), (3, 2, 3), (4, 3, 8), (8, 3, 8), (9, None, 8)],
)
def test_a_second_dose_counts_its_vaccine_from_its_day_and_not_a_skipped_session(
    second_dose_scene, now, place, days, published
):
    estimate = estimate_slot(registration=second_dose_scene, place_in_area=place, now=now)
    assert (estimate.days, estimate.seats_published) == (days, published)


@pytest.mark.parametrize(("place", "days", "published"), [(1, 3, 5), (5, 3, 5), (6, None, 5)])
def test_no_seats_are_counted_before_the_day_the_person_asked_for(
    second_dose_scene, now, place, days, published
):
    second_dose_scene.not_before = now.date() + datetime.timedelta(days=3)
    estimate = estimate_slot(registration=second_dose_scene, place_in_area=place, now=now)
    assert (estimate.days, estimate.seats_published) == (days, published)
