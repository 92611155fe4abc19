import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache

from dashboard import summaries
from districts.roles import DISTRICT_OFFICIAL, HEALTH_DEPARTMENT
from tests import factories

from . import scenario as story


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def raipur_ward(raipur_town):
    return factories.first_locality(raipur_town)


@pytest.fixture
def scenario(raipur_village, raipur_ward, bastar_village):
    built = story.build(raipur_village, raipur_ward, bastar_village)
    summaries.refresh()
    return built


@pytest.fixture
def health_officer(db) -> User:
    user = User.objects.create_user("health-officer", password="correct horse battery")
    user.is_staff = True
    user.save()
    group, _ = Group.objects.get_or_create(name=HEALTH_DEPARTMENT)
    user.groups.add(group)
    return user


@pytest.fixture
def raipur_official(raipur_official) -> User:
    # The matrix gives the counts to roles, not to a bare district profile.
    raipur_official.groups.add(Group.objects.get_or_create(name=DISTRICT_OFFICIAL)[0])
    return raipur_official
