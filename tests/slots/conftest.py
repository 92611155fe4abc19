"""A small district map for the allocator's tests: a home village, a
neighbouring village in the same block, a ward of Raipur town (same district,
another area) and a village in Bastar (another district)."""

from dataclasses import dataclass

import pytest
from django.utils import translation

from districts.models import Locality
from registrations.models import Registration
from slots.allocation import allocate_district
from slots.models import Appointment
from tests import factories


@dataclass
class Places:
    home: Locality
    neighbour: Locality
    town: Locality
    elsewhere: Locality


@pytest.fixture
def places(raipur_block, raipur_town, bastar_village) -> Places:
    home, neighbour = raipur_block.localities.order_by("pk")[:2]
    return Places(
        home=home,
        neighbour=neighbour,
        town=factories.first_locality(raipur_town),
        elsewhere=bastar_village,
    )


def person(locality: Locality, **overrides) -> Registration:
    """A waiting person with their own mobile, so they get SMS."""
    overrides.setdefault("account", factories.make_account())
    return factories.make_registration(locality=locality, **overrides)


def session_at(locality: Locality, **overrides):
    centre = overrides.pop("centre", None) or factories.make_centre(locality=locality)
    return factories.make_session(centre=centre, **overrides)


def allocate(locality_or_district_id, **kwargs):
    district_id = getattr(locality_or_district_id, "area", None)
    district_id = district_id.district_id if district_id else locality_or_district_id
    return allocate_district(district_id=district_id, **kwargs)


def seat_of(registration: Registration):
    """The session of the person's booked appointment, or None."""
    appointment = Appointment.objects.filter(
        registration=registration, status=Appointment.Status.BOOKED
    ).first()
    return appointment.session if appointment else None


@pytest.fixture(autouse=True)
def _english():
    # A Hindi page fetched by an earlier test leaves Hindi active in the thread.
    with translation.override("en"):
        yield
