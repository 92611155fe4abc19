import pytest
from django.db.models import Count, F

from districts.models import Area
from registrations.models import Account, Registration
from slots.models import Centre, Session
from teeka.demo import seed_demo

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:
    return list(
        Registration.objects.order_by("reference").values_list(
            "reference", "name", "birth_year", "priority", "locality_id", "account__mobile"
        )
    )


def _wipe() -> None:
    Registration.objects.all().delete()
    Account.objects.all().delete()
    Session.objects.all().delete()
    Centre.objects.all().delete()


def test_it_makes_exactly_what_was_asked(geography):
    result = seed_demo(registrations=500, seed=7)
    assert Registration.objects.count() == result.registrations == 500
    # A centre in every block and town that has villages or wards.
    assert (
        Centre.objects.count() == Area.objects.filter(localities__isnull=False).distinct().count()
    )
    assert Session.objects.filter(published=True).count() == Centre.objects.count() * 7
    people_per_account = Account.objects.annotate(n=Count("registrations")).values_list(
        "n", flat=True
    )
    assert set(people_per_account) <= {1, 2, 3, 4}


def test_the_same_seed_gives_the_same_people(geography):
    seed_demo(registrations=300, seed=3)
    first = _snapshot()
    _wipe()
    seed_demo(registrations=300, seed=3)
    assert _snapshot() == first
    _wipe()
    seed_demo(registrations=300, seed=4)
    assert _snapshot() != first


def test_people_are_spread_by_population(geography):
    seed_demo(registrations=2000, seed=1)
    raipur = Registration.objects.filter(district_id=387).count()  # 4.06 million in 2011
    bijapur = Registration.objects.filter(district_id=636).count()  # 0.26 million in 2011
    assert raipur > 5 * bijapur > 0


def test_areas_and_districts_of_people_agree(geography):
    seed_demo(registrations=300, seed=2)
    mismatched = Registration.objects.exclude(area__district=F("district")).exclude(
        locality__area=F("area")
    )
    assert not mismatched.exists()
