import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache

from districts.roles import HELP_DESK, STATE_ADMIN
from helpdesk import services
from helpdesk.models import Category, Ticket


@pytest.fixture(autouse=True)
def _fresh_limits():
    # Rate-limit counters live in the cache (Redis in CI), which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def help_desk_group(db) -> Group:
    return Group.objects.get_or_create(name=HELP_DESK)[0]


@pytest.fixture
def raipur_helpdesk(raipur_official, help_desk_group) -> User:
    raipur_official.groups.add(help_desk_group)
    return raipur_official


@pytest.fixture
def bastar_helpdesk(bastar_official, help_desk_group) -> User:
    bastar_official.groups.add(help_desk_group)
    return bastar_official


@pytest.fixture
def state_admin(db) -> User:
    user = User.objects.create_user(
        "state-admin", password="correct horse battery", is_staff=True, email="state@cg.example"
    )
    user.groups.add(Group.objects.get_or_create(name=STATE_ADMIN)[0])
    return user


def make_ticket(*, district=None, registration=None, mobile="+919812345678", **overrides) -> Ticket:
    fields = {
        "mobile": mobile,
        "category": Category.OTHER,
        "description": "My slip shows the wrong centre.",
        "language": "en",
        "registration": registration,
        "district": district,
    }
    fields.update(overrides)
    return services.raise_ticket(**fields)
