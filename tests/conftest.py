"""The shared cast: two districts (Raipur, Bastar), a block and a town in
Raipur, their officials, and a citizen's account."""

import pytest
from django.contrib.auth.models import User

from districts.geography import load_geography
from districts.models import Area, District, Locality, OfficialProfile

from . import factories

RAIPUR, BASTAR = 387, 374


@pytest.fixture(autouse=True)
def _isolated_outputs(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms-outbox.jsonl"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def geography(db) -> None:
    # Transactional tests flush every table, so load again when it is gone
    # (about a second); ordinary tests find it already there.
    if not District.objects.exists():
        load_geography()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_geography()


@pytest.fixture
def raipur(geography) -> District:
    return District.objects.get(lgd_code=RAIPUR)


@pytest.fixture
def bastar(geography) -> District:
    return District.objects.get(lgd_code=BASTAR)


@pytest.fixture
def raipur_block(raipur) -> Area:
    return raipur.areas.filter(kind=Area.Kind.BLOCK).order_by("lgd_code").first()


@pytest.fixture
def raipur_town(raipur) -> Area:
    return raipur.areas.get(kind=Area.Kind.TOWN, name_en__iexact="Raipur")


@pytest.fixture
def raipur_village(raipur_block) -> Locality:
    return factories.first_locality(raipur_block)


@pytest.fixture
def bastar_village(bastar) -> Locality:
    block = bastar.areas.filter(kind=Area.Kind.BLOCK).order_by("lgd_code").first()
    return factories.first_locality(block)


def _official(username: str, district: District) -> User:
    user = User.objects.create_user(username, password="correct horse battery", is_staff=True)
    OfficialProfile.objects.create(user=user).districts.add(district)
    return user


@pytest.fixture
def raipur_official(raipur) -> User:
    return _official("raipur-official", raipur)


@pytest.fixture
def bastar_official(bastar) -> User:
    return _official("bastar-official", bastar)


@pytest.fixture
def account(db):
    return factories.make_account("+919876543210")
