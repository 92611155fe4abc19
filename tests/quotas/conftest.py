"""The shipped May 2021 example policy, turned on for the coming weeks, and
people of each category in one village."""

import datetime
import importlib
import itertools

import pytest
from django.apps import apps
from django.utils import timezone

from quotas.models import Category, Policy
from registrations.models import PriorityGroup, RationCard
from tests.admin.conftest import role_groups  # noqa: F401 - a fixture
from tests.slots.conftest import Places, _english, person, places, session_at  # noqa: F401 - fixtures

_shipped = importlib.import_module("quotas.migrations.0002_may_2021_policy")
EXAMPLE = "18-44, May 2021 (example)"
_minutes = itertools.count(1)


@pytest.fixture
def may_2021(db) -> Policy:
    """The data migration's example, on for the next month."""
    if not Policy.objects.filter(name_en=EXAMPLE).exists():
        # A transactional test emptied the tables: made again as migrating did.
        _shipped.add_example(apps, None)
    policy = Policy.objects.get(name_en=EXAMPLE)
    today = timezone.localdate()
    policy.starts_on, policy.ends_on = today, today + datetime.timedelta(days=30)
    policy.active = True
    policy.save()
    return policy


def category(policy: Policy, name_en: str) -> Category:
    return policy.categories.get(name_en=name_en)


def queued(where: Places, kind: str, **overrides):
    """A person of a category (F frontline, K Antyodaya, B BPL, A APL, N no
    card), each one later in the queue than the one made before."""
    cards = {
        "F": RationCard.BPL,  # a frontline worker with a BPL card: frontline first
        "K": RationCard.ANTYODAYA,
        "B": RationCard.BPL,
        "A": RationCard.APL,
        "N": RationCard.NONE,
    }
    priority = PriorityGroup.FRONTLINE_WORKER if kind == "F" else PriorityGroup.EVERYONE
    overrides.setdefault("birth_year", timezone.localdate().year - 30)
    overrides.setdefault(
        "queue_at", timezone.now() - datetime.timedelta(days=30, minutes=-next(_minutes))
    )
    return person(where.home, ration_card=cards[kind], priority=priority, **overrides)


def session_18_44(where: Places, **overrides):
    overrides.setdefault("max_age", 44)
    return session_at(where.home, **overrides)
