"""A person's category under the quota policy in force for their age, and
their place among the people of that category, for their status page."""

import datetime
import time
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from registrations.models import Registration
from registrations.services import place_in_area_among

from .models import Category, Policy

# The active policies (a handful, changed by the state administrator now and
# then) are read once a minute per process for the status pages, which every
# waiting person opens: an edit empties this process's copy at once (signals),
# the other processes' within POLICIES_SECONDS.
POLICIES_SECONDS = 60

_kept: list = []  # [(read until, the policies with their categories)]


@dataclass
class Standing:
    policy: Policy
    category: Category | None  # None: in no category, served only by rollover
    place_in_area: int | None = None  # within the category, in the block or town


def _active_policies() -> list[tuple[Policy, list[Category]]]:
    now = time.monotonic()
    if _kept and _kept[0][0] > now:
        return _kept[0][1]
    policies = [
        (policy, list(policy.categories.order_by("position", "id")))
        for policy in Policy.objects.filter(active=True).order_by("id")
    ]
    _kept[:] = [(now + POLICIES_SECONDS, policies)]
    return policies


def forget() -> None:
    _kept.clear()


@receiver(post_save, sender=Policy)
@receiver(post_save, sender=Category)
@receiver(post_delete, sender=Policy)
@receiver(post_delete, sender=Category)
def _policies_changed(**kwargs) -> None:
    forget()


def policy_for(
    registration: Registration, *, today: datetime.date
) -> tuple[Policy, list[Category]] | None:
    """The active policy that covers the sessions of the person's age from
    today on (the first made, as the allocator takes it), with its categories
    in order."""
    age = registration.age_on(today)
    for policy, categories in _active_policies():
        if policy.ends_on >= today and policy.min_age <= age:
            if policy.max_age is None or policy.max_age >= age:
                return policy, categories
    return None


def standing(registration: Registration, *, today: datetime.date) -> Standing | None:
    found = policy_for(registration, today=today)
    if found is None:
        return None
    policy, categories = found
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


def _qualifies(category: Category) -> tuple[str, list]:
    parts, params = [], []
    if category.ration_card:
        parts.append("ration_card = %s")
        params.append(category.ration_card)
    if category.occupation is not None:
        parts.append("priority = %s")
        params.append(category.occupation)
    return "(" + (" AND ".join(parts) or "TRUE") + ")", params


def in_category(category: Category, categories: list[Category]) -> tuple[str, list]:
    """SQL true for the people whose category this is (they qualify for it
    and for none before it in the policy's order), and its parameters. It
    names only the ration card and the priority group, which the queue's
    counts by block keep (registrations_queueday, _queuehour)."""
    sql, params = _qualifies(category)
    for earlier in categories[: categories.index(category)]:
        not_sql, not_params = _qualifies(earlier)
        sql, params = f"{sql} AND NOT {not_sql}", [*params, *not_params]
    return sql, params


def _place(registration: Registration, mine: Category, categories: list[Category]) -> int:
    """1 = next of the category in the block or town: those of the category
    waiting for the same dose (a second dose: for whom it is due) ahead of
    the person in the allocator's order, summed from the block's counts by
    day, hour and ration card as the block's place is."""
    return place_in_area_among(registration=registration, among=in_category(mine, categories))
