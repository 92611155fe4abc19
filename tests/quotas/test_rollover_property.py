"""Properties of the two passes (shares, then rollover) on any mix of people
and any session size, with Hypothesis, in memory: the allocator's own finder
over one session at one village, the oracle being the counts alone."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from quotas.shares import split
from slots.allocation import OpenSession, Person, ShareFinder, _assign

MAY_2021 = {1: 2000, 2: 1200, 3: 5200, 4: 1600}  # category id -> basis points
DAY = datetime.date(2030, 1, 7)


def session(capacity: int) -> OpenSession:
    s = OpenSession(
        id=1,
        centre_id=1,
        locality_id=1,
        area_id=1,
        date=DAY,
        start_time=datetime.time(9),
        vaccine="COVISHIELD",
        dose=1,
        min_age=18,
        max_age=44,
        seats=capacity,
    )
    s.policy = 1
    s.shares = dict(zip(MAY_2021, split(capacity, list(MAY_2021.values())), strict=True))
    return s


def people(categories: list[int | None]) -> list[Person]:
    return [
        Person(
            id=n,
            queue_key=(5, n, str(n)),
            birth_year=2000,
            locality_id=1,
            area_id=1,
            dose=1,
            categories={1: category},
        )
        for n, category in enumerate(categories, start=1)
    ]


def both_passes(s: OpenSession, queue: list[Person]) -> list[Person]:
    seated = _assign(ShareFinder([s], rollover=False), queue)
    taken = {p.id for p, _ in seated}
    seated += _assign(ShareFinder([s], rollover=True), [p for p in queue if p.id not in taken])
    return [p for p, _ in seated]


@settings(max_examples=200)
@given(
    capacity=st.integers(0, 60),
    queue=st.lists(st.sampled_from([1, 2, 3, 4, None]), max_size=80),
)
def test_shares_and_rollover(capacity, queue):
    s = session(capacity)
    share = dict(s.shares)
    eligible = {c: queue.count(c) for c in MAY_2021}

    seated = both_passes(s, people(queue))

    # No seat is left empty while someone waits; nobody is seated twice.
    assert len(seated) == min(capacity, len(queue))
    assert len({p.id for p in seated}) == len(seated)
    # Each seat counts against exactly one share, and no share gives more
    # than its seats: the parts still add up to the capacity.
    given_by = {c: sum(1 for p in seated if p.share == c) for c in MAY_2021}
    assert all(given_by[c] <= share[c] for c in MAY_2021)
    for c in MAY_2021:
        own = sum(1 for p in seated if p.category == c and p.share == c)
        # Each category gets its share, or everyone it has.
        assert own == min(share[c], eligible[c])
        rolled = sum(1 for p in seated if p.share == c and p.category != c)
        # A share rolls over only when its category has fewer people than it.
        if rolled:
            assert eligible[c] < share[c]
            assert rolled <= share[c] - eligible[c]
    # Within a category, queue order: those seated are its first ones.
    for c in MAY_2021:
        mine = [n for n, cat in enumerate(queue, start=1) if cat == c]
        assert (
            sorted(p.id for p in seated if p.category == c)
            == sorted(mine)[: len([p for p in seated if p.category == c])]
        )
