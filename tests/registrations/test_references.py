"""References are read out on the 104 helpline and typed on a phone keypad:
only digits and capital letters, never = $ ~ * (nor U). References issued
before, which may end in one of those, keep working."""

import re

from hypothesis import given
from hypothesis import strategies as st

from registrations import ids

# Crockford's base 32 and its check symbols, as his specification lists
# them (https://www.crockford.com/base32.html): the value mod 37.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CROCKFORD_CHECK = CROCKFORD + "*~$=U"
PLAIN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{9}$")


def _crockford_check(body: str) -> str:
    return CROCKFORD_CHECK[int("".join(f"{CROCKFORD.index(c):05b}" for c in body), 2) % 37]


def test_new_references_are_plain_and_carry_crockfords_check():
    references = [ids.new_reference() for _ in range(5000)]
    for reference in references:
        assert PLAIN.match(reference), reference
        assert _crockford_check(reference[:8]) == reference[8]
    # The five left-out checks cost no variety: every plain check appears.
    assert {r[8] for r in references} == set(CROCKFORD)


def test_demo_references_are_plain_and_distinct():
    references = [ids.reference_for_serial(n) for n in range(1, 100_001)]
    assert len(set(references)) == len(references)
    assert all(PLAIN.match(r) and _crockford_check(r[:8]) == r[8] for r in references)


@given(st.integers(min_value=0, max_value=(1 << 40) - 1))
def test_references_issued_before_keep_working(value):
    body = "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(8)))
    old = body + _crockford_check(body)  # may end in * ~ $ = or U
    assert ids.clean_reference(old) == old
    assert ids.clean_reference(ids.format_reference(old).lower()) == old
