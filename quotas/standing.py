"""A person's category under the quota policy in force for their age, and
their place among the people of that category, for their status page."""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from registrations.models import Registration

from .models import Category, Policy


@dataclass
class Standing:
    policy: Policy
    category: Category | None  # None: in no category, served only by rollover
    place_in_area: int | None = None  # within the category, in the block or town


def policy_for(registration: Registration, *, today: datetime.date) -> Policy | None:
    """The active policy that covers the sessions of the person's age from
    today on (the first made, as the allocator takes it)."""
    age = registration.age_on(today)
    policies = Policy.objects.filter(active=True, ends_on__gte=today, min_age__lte=age)
    policies = policies.filter(Q(max_age__isnull=True) | Q(max_age__gte=age)).order_by("id")
    return policies.first()


def standing(registration: Registration, *, today: datetime.date) -> Standing | None:
    policy = policy_for(registration, today=today)
    if policy is None:
        return None
    categories = list(policy.categories.order_by("position", "id"))
    mine = next((c for c in categories if _admits(c, registration)), None)
    if mine is None:
        return Standing(policy=policy, category=None)
    return Standing(
        policy=policy, category=mine, place_in_area=_place(registration, mine, categories)
    )


def _admits(category: Category, registration: Registration) -> bool:
    return category.rule().admits(
        ration_card=registration.ration_card, priority=registration.priority
    )


def _qualifies(category: Category) -> Q:
    q = Q()
    if category.ration_card:
        q &= Q(ration_card=category.ration_card)
    if category.occupation is not None:
        q &= Q(priority=category.occupation)
    return q


def in_category(category: Category, categories: list[Category]) -> Q:
    """The people whose category this is: they qualify for it and for none
    before it in the policy's order."""
    q = _qualifies(category)
    for earlier in categories[: categories.index(category)]:
        q &= ~_qualifies(earlier)
    return q


def _place(registration: Registration, mine: Category, categories: list[Category]) -> int:
    """1 = next of the category in the block or town: those of the category
    waiting for the same dose ahead of the person in the allocator's order,
    along the block's queue index (reg_area_queue)."""
    ahead = Registration.objects.filter(
        in_category(mine, categories),
        area_id=registration.area_id,
        status=Registration.Status.WAITING,
        doses_received=registration.doses_received,
    ).extra(
        where=["(priority, queue_at, reference) < (%s, %s, %s)"],
        params=[registration.priority, registration.queue_at, registration.reference],
    )
    return ahead.count() + 1
