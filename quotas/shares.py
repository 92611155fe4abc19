"""The share arithmetic of a quota policy, apart from the database: which
category a person is in, and how many of a session's seats each category gets.

Shares are kept in hundredths of a percent (basis points, 10000 = 100%), so
the rounding is exact integer arithmetic and the same on every machine."""

from collections.abc import Sequence
from dataclasses import dataclass

WHOLE = 10_000


@dataclass(frozen=True, slots=True)
class Rule:
    """One category of a policy, as the allocator needs it."""

    id: int
    share: int  # basis points
    ration_card: str = ""  # blank: any
    occupation: int | None = None  # a PriorityGroup; None: any

    def admits(self, *, ration_card: str, priority: int) -> bool:
        if self.ration_card and ration_card != self.ration_card:
            return False
        return self.occupation is None or priority == self.occupation


def category_of(rules: Sequence[Rule], *, ration_card: str, priority: int) -> int | None:
    """The first category of the policy's order that the person qualifies for;
    None for a person who qualifies for none (served only by rollover)."""
    for rule in rules:
        if rule.admits(ration_card=ration_card, priority=priority):
            return rule.id
    return None


def split(seats: int, shares: Sequence[int]) -> list[int]:
    """`seats` divided by `shares` (basis points adding up to WHOLE, in the
    policy's order) by the largest remainder: each category gets the whole
    part of its exact share, and the seats left over go one each to the
    largest fractional parts; equal fractions go to the category earlier in
    the policy's order. The parts add up to `seats` exactly, and each is
    within one seat of its exact share."""
    if sum(shares) != WHOLE or any(share < 0 for share in shares):
        raise ValueError(f"shares must be non-negative and add up to {WHOLE}: {shares}")
    exact = [seats * share for share in shares]
    parts = [e // WHOLE for e in exact]
    by_fraction = sorted(range(len(shares)), key=lambda i: (-(exact[i] % WHOLE), i))
    for i in by_fraction[: seats - sum(parts)]:
        parts[i] += 1
    return parts
