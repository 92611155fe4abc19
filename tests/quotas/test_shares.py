"""The share arithmetic, worked by hand: the May 2021 shares (frontline
workers 20%, Antyodaya 12%, BPL 52%, APL 16%) on a few capacities, and
properties over any shares and capacity (Hypothesis)."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quotas.shares import WHOLE, Rule, category_of, split
from registrations.models import PriorityGroup, RationCard

MAY_2021 = [2000, 1200, 5200, 1600]  # basis points, in the policy's order


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        # 7: exact 1.40, 0.84, 3.64, 1.12. Whole parts 1+0+3+1 = 5; the two
        # seats left go to the largest fractions, .84 (Antyodaya), .64 (BPL).
        (7, [1, 1, 4, 1]),
        # 10: exact 2.0, 1.2, 5.2, 1.6. Whole parts 9; the one left to .6 (APL).
        (10, [2, 1, 5, 2]),
        # 33: exact 6.60, 3.96, 17.16, 5.28. Whole parts 31; .96 then .60.
        (33, [7, 4, 17, 5]),
        # 100: exact.
        (100, [20, 12, 52, 16]),
        # 5: exact 1.0, 0.6, 2.6, 0.8. Whole parts 3; .8 (APL), then .6 and .6
        # tie: the earlier in the policy's order, Antyodaya, has it.
        (5, [1, 1, 2, 1]),
        # 1: exact .2, .12, .52, .16: the one seat to BPL.
        (1, [0, 0, 1, 0]),
        (0, [0, 0, 0, 0]),
    ],
)
def test_may_2021_shares_round_to_the_capacity_exactly(capacity, expected):
    assert split(capacity, MAY_2021) == expected


def test_equal_fractions_go_to_the_category_first_in_the_policy_order():
    # Three equal thirds of 4 seats: 1.33 each; the one left over to the first.
    assert split(4, [3334, 3333, 3333]) == [2, 1, 1]
    assert split(4, [3333, 3333, 3334]) == [1, 1, 2]


def test_shares_that_do_not_add_up_to_100_percent_are_refused():
    with pytest.raises(ValueError):
        split(10, [2000, 1200, 5200])


def test_a_person_in_several_categories_is_in_the_first_in_the_policy_order():
    frontline = Rule(id=1, share=2000, occupation=PriorityGroup.FRONTLINE_WORKER)
    bpl = Rule(id=3, share=5200, ration_card=RationCard.BPL)
    rules = [frontline, bpl]
    assert category_of(rules, ration_card="bpl", priority=PriorityGroup.FRONTLINE_WORKER) == 1
    assert category_of(rules, ration_card="bpl", priority=PriorityGroup.EVERYONE) == 3
    assert category_of(rules, ration_card="none", priority=PriorityGroup.EVERYONE) is None
    # Not asked (registered before the question): in no ration-card category.
    assert category_of(rules, ration_card="", priority=PriorityGroup.EVERYONE) is None


def test_a_category_may_ask_for_both_a_card_and_an_occupation():
    rule = Rule(id=1, share=WHOLE, ration_card="bpl", occupation=PriorityGroup.HEALTH_WORKER)
    assert rule.admits(ration_card="bpl", priority=PriorityGroup.HEALTH_WORKER)
    assert not rule.admits(ration_card="apl", priority=PriorityGroup.HEALTH_WORKER)
    assert not rule.admits(ration_card="bpl", priority=PriorityGroup.EVERYONE)


@st.composite
def shares(draw) -> list[int]:
    """Basis points adding up to 100%, in 1 to 6 categories (some may be 0)."""
    cuts = sorted(draw(st.lists(st.integers(0, WHOLE), min_size=0, max_size=5)))
    bounds = [0, *cuts, WHOLE]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300)
@given(capacity=st.integers(0, 5000), parts=shares())
def test_shares_add_up_to_the_capacity_each_within_one_seat_of_its_exact_share(capacity, parts):
    seats = split(capacity, parts)
    assert sum(seats) == capacity
    for got, share in zip(seats, parts, strict=True):
        exact = Fraction(capacity * share, WHOLE)
        assert abs(got - exact) < 1
        assert got >= 0
