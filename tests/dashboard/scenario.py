"""A small hand-made scenario whose counts the tests work out by hand.

Raipur block:  r1 waiting (registered 20 days ago), r2 allotted (dose 1
booked), r3 both doses given, r4 waiting after a no-show, r5 withdrawn with a
cancelled appointment, r6 a duplicate (never counted).
Raipur town:   t1 waiting for dose 2 (dose 1 given at the Raipur block's
               centre, so that dose counts in the block), t2 allotted.
Bastar:        b1 waiting, b2 dose 1 given.
Seats in the coming week: Raipur block centre 10 published, 3 booked; Bastar
20 published, 5 booked; an unpublished, a cancelled and a too-late session
that do not count.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from districts.models import Locality
from registrations.models import Gender, PriorityGroup, Registration
from slots.models import Appointment, Session
from tests import factories

Status = Registration.Status
Visit = Appointment.Status


@dataclass
class Scenario:
    raipur_block_id: int
    raipur_town_id: int
    today: datetime.date


def _appointment(registration, session, dose: int, status: str) -> Appointment:
    return Appointment.objects.create(
        registration=registration, session=session, dose=dose, status=status
    )


def build(raipur_village: Locality, raipur_ward: Locality, bastar_village: Locality) -> Scenario:
    today = timezone.localdate()
    person = factories.make_registration
    r1 = person(locality=raipur_village, registered_at=timezone.now() - datetime.timedelta(days=20))
    r2 = person(locality=raipur_village, status=Status.ALLOTTED)
    r3 = person(
        locality=raipur_village,
        status=Status.COMPLETED,
        doses_received=2,
        gender=Gender.MALE,
        priority=PriorityGroup.HEALTH_WORKER,
    )
    r4 = person(locality=raipur_village, no_show_count=1)
    r5 = person(locality=raipur_village, status=Status.WITHDRAWN)
    person(locality=raipur_village, status=Status.DUPLICATE, duplicate_of=r1)
    t1 = person(
        locality=raipur_ward,
        doses_received=1,
        gender=Gender.MALE,
        priority=PriorityGroup.AGED_60_PLUS,
    )
    t2 = person(locality=raipur_ward, status=Status.ALLOTTED)
    person(locality=bastar_village)
    b2 = person(locality=bastar_village, doses_received=1)

    raipur_centre = factories.make_centre(locality=raipur_village)
    bastar_centre = factories.make_centre(locality=bastar_village)
    past = factories.make_session(centre=raipur_centre, days_ahead=-5, capacity=50)
    past2 = factories.make_session(centre=raipur_centre, days_ahead=-1, dose=2, capacity=50)
    soon = factories.make_session(centre=raipur_centre, days_ahead=2, capacity=10)
    bastar_past = factories.make_session(centre=bastar_centre, days_ahead=-3, capacity=50)
    bastar_soon = factories.make_session(centre=bastar_centre, days_ahead=6, capacity=20)
    factories.make_session(centre=raipur_centre, days_ahead=3, capacity=40, published=False)
    factories.make_session(centre=raipur_centre, days_ahead=4, capacity=40, status="cancelled")
    factories.make_session(centre=raipur_centre, days_ahead=7, capacity=40)

    _appointment(r2, soon, 1, Visit.BOOKED)
    _appointment(r3, past, 1, Visit.ATTENDED)
    _appointment(r3, past2, 2, Visit.ATTENDED)
    _appointment(r4, past, 1, Visit.NO_SHOW)
    _appointment(r5, soon, 1, Visit.CANCELLED)
    _appointment(t1, past, 1, Visit.ATTENDED)
    _appointment(t2, soon, 1, Visit.BOOKED)
    _appointment(b2, bastar_past, 1, Visit.ATTENDED)
    Session.objects.filter(pk=soon.pk).update(booked=3)
    Session.objects.filter(pk=bastar_soon.pk).update(booked=5)
    return Scenario(raipur_village.area_id, raipur_ward.area_id, today)


# Worked out by hand from the story above: people by their home, doses,
# no-shows and cancellations by the centre's block or town.
COLUMNS = ("registered", "waiting", "allotted", "dose1", "dose2", "no_show", "cancelled")
RAIPUR_BLOCK = dict(zip(COLUMNS, (5, 2, 1, 2, 1, 1, 1), strict=True))
RAIPUR_TOWN = dict(zip(COLUMNS, (2, 1, 1, 0, 0, 0, 0), strict=True))
RAIPUR = dict(zip(COLUMNS, (7, 3, 2, 2, 1, 1, 1), strict=True))
BASTAR = dict(zip(COLUMNS, (2, 2, 0, 1, 0, 0, 0), strict=True))
STATE = dict(zip(COLUMNS, (9, 5, 2, 3, 1, 1, 1), strict=True))
