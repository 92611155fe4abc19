"""ID numbers and mobiles, judged by python-stdnum and phonenumbers.

The oracle is never this project's code: Aadhaar numbers are made with
stdnum's Verhoeff (`stdnum.verhoeff.calc_check_digit`) and voter IDs with
its Luhn, and every verdict is compared with `stdnum.in_.*.is_valid`.
Hypothesis writes the numbers as people type them: Devanagari, full-width
and ASCII digits mixed, with spaces, dots and dashes.
"""

import random

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn, verhoeff
from stdnum.in_ import aadhaar, epic, pan

from registrations import ids
from registrations.validators import (
    normalise_mobile,
    validate_id_number,
    validate_mobile,
    validate_pincode,
)

DEVANAGARI, FULL_WIDTH = 0x0966, 0xFF10


def valid_aadhaar_numbers(count: int, seed: int) -> list[str]:
    """Random Aadhaar numbers that python-stdnum accepts, its check digit appended."""
    rng, numbers = random.Random(seed), []
    while len(numbers) < count:
        body = str(rng.randrange(2 * 10**10, 10**11))
        number = body + verhoeff.calc_check_digit(body)
        if aadhaar.is_valid(number):  # stdnum also refuses palindromes
            numbers.append(number)
    return numbers


def valid_epic_numbers(count: int, seed: int) -> list[str]:
    rng, numbers = random.Random(seed), []
    while len(numbers) < count:
        letters = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
        serial = f"{rng.randrange(10**6):06d}"
        numbers.append(letters + serial + luhn.calc_check_digit(serial))
    assert all(epic.is_valid(n) for n in numbers)
    return numbers


def accepted(id_type: str, typed: str) -> bool:
    try:
        validate_id_number(id_type, typed)
    except ValidationError:
        return False
    return True


def one_digit_changed(number: str, digits: range) -> list[str]:
    return [
        number[:i] + str(d) + number[i + 1 :]
        for i in digits
        for d in range(10)
        if str(d) != number[i]
    ]


def neighbours_swapped(number: str, digits: range) -> list[str]:
    return [
        number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        for i in digits[:-1]
        if number[i] != number[i + 1]
    ]


# Aadhaar -------------------------------------------------------------------------


def test_ten_thousand_valid_aadhaar_numbers_are_all_accepted():
    numbers = valid_aadhaar_numbers(10_000, seed=11)
    refused = [n for n in numbers if not accepted("AADHAAR", n)]
    assert refused == []


def test_no_mistyped_digit_or_swapped_pair_of_a_thousand_aadhaar_numbers_is_accepted():
    checked = 0
    for number in valid_aadhaar_numbers(1_000, seed=12):
        for wrong in one_digit_changed(number, range(12)) + neighbours_swapped(number, range(12)):
            # Verhoeff catches every one of these; stdnum is the judge.
            assert not aadhaar.is_valid(wrong)
            assert not accepted("AADHAAR", wrong), wrong
            checked += 1
    assert checked > 100_000


def test_published_aadhaar_examples():
    # python-stdnum's own examples (tests/test_in_aadhaar.doctest, module docs).
    assert validate_id_number("AADHAAR", "2341 2341 2346") == "234123412346"
    for wrong in ["234123412347", "123412341234", "643343121", "222222222222"]:
        assert not aadhaar.is_valid(wrong)
        assert not accepted("AADHAAR", wrong)


def test_what_stdnum_refuses_is_refused_with_a_reason():
    palindrome = "2" + "34567" + "76543" + "2"  # valid Verhoeff shape aside, stdnum refuses
    assert not aadhaar.is_valid(palindrome)
    with pytest.raises(ValidationError, match="not valid"):
        validate_id_number("AADHAAR", palindrome)
    with pytest.raises(ValidationError, match="does not start with 0 or 1"):
        validate_id_number("AADHAAR", "1" + valid_aadhaar_numbers(1, seed=3)[0][1:])
    with pytest.raises(ValidationError, match="12 digits"):
        validate_id_number("AADHAAR", "23456789")


# Voter ID (EPIC) and PAN -----------------------------------------------------------


def test_valid_voter_ids_are_accepted_and_agree_with_stdnum_on_every_mistype():
    for number in valid_epic_numbers(2_000, seed=21)[:300]:
        assert accepted("VOTER", number.lower())
        changed = one_digit_changed(number, range(3, 10))
        for wrong in changed:
            # Luhn catches every single wrong digit.
            assert not epic.is_valid(wrong)
            assert not accepted("VOTER", wrong)
        for wrong in neighbours_swapped(number, range(3, 10)):
            # Luhn misses 09 <-> 90; whatever stdnum says is what we say.
            assert accepted("VOTER", wrong) == epic.is_valid(wrong)
    assert all(accepted("VOTER", n) for n in valid_epic_numbers(2_000, seed=22))


def test_published_voter_id_examples():
    assert validate_id_number("VOTER", "wkh 1186253") == "WKH1186253"
    for wrong in ["WKH118624", "1231186253", "WKH1186263"]:
        assert not epic.is_valid(wrong)
        assert not accepted("VOTER", wrong)


def valid_personal_pans(count: int, seed: int) -> list[str]:
    rng, letters, numbers = random.Random(seed), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", []
    while len(numbers) < count:
        serial = f"{rng.randrange(1, 10**4):04d}"
        head = "".join(rng.choice(letters) for _ in range(3))
        numbers.append(f"{head}P{rng.choice(letters)}{serial}{rng.choice(letters)}")
    return numbers


def test_personal_pans_that_stdnum_accepts_are_accepted_and_mistypes_follow_stdnum():
    for number in valid_personal_pans(200, seed=31):
        assert pan.is_valid(number)
        assert accepted("PAN", number)
        for i in range(10):
            for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
                typed = number[:i] + char + number[i + 1 :]
                # A person's PAN: stdnum's verdict, for the holder type P.
                assert accepted("PAN", typed) == (pan.is_valid(typed) and typed[3] == "P")


def test_published_pan_examples():
    assert validate_id_number("PAN", "acupa 7085r") == "ACUPA7085R"
    assert validate_id_number("PAN", "AAPPV8261K") == "AAPPV8261K"
    for wrong in ["ACUPA7085RR", "ABMPA32111", "ABMXA3211G", "ACUPA0000R"]:
        assert not pan.is_valid(wrong)
        assert not accepted("PAN", wrong)


def test_a_pan_of_a_company_is_not_a_persons_photo_id():
    assert pan.is_valid("AAACT2727Q")  # a company's (C): stdnum accepts it
    with pytest.raises(ValidationError, match="the fourth is P"):
        validate_id_number("PAN", "AAACT2727Q")


@pytest.mark.parametrize(
    ("id_type", "good", "bad"),
    [
        ("DRIVING", "CG04 20110012345", "CG04 18000012345"),
        ("DRIVING", "cg-04-2011-0012345", "CG04 2011001234"),
        ("PASSPORT", "K1234567", "K0234567"),
        ("PASSPORT", "k 123 4567", "12345678"),
        ("RATION", "2210-0123-4567", "ABCDEFGHIJ"),
    ],
)
def test_ids_without_a_check_digit_have_their_documented_shape(id_type, good, bad):
    assert validate_id_number(id_type, good)
    with pytest.raises(ValidationError):
        validate_id_number(id_type, bad)


# One normal form -----------------------------------------------------------------

SEPARATORS = st.sampled_from(["", "", "", " ", "  ", "-", ".", "\u00a0", "\u2013", " - "])


def typed_as_people_do(number: str):
    """`number` with each digit in ASCII, Devanagari or full-width, letters in
    either case or full-width, and spaces, dots or dashes between characters."""

    def char(c: str):
        if c.isdigit():
            return st.sampled_from([c, chr(DEVANAGARI + int(c)), chr(FULL_WIDTH + int(c))])
        if c.isalpha():
            return st.sampled_from([c, c.lower(), chr(0xFF21 + ord(c) - ord("A"))])
        return st.just(c)

    parts = [st.tuples(char(c), SEPARATORS).map("".join) for c in number]
    return st.tuples(SEPARATORS, *parts).map("".join)


@st.composite
def aadhaar_typed(draw):
    body = str(draw(st.integers(2 * 10**10, 10**11 - 1)))
    number = body + verhoeff.calc_check_digit(body)
    if not aadhaar.is_valid(number):
        number = "23412341234" + verhoeff.calc_check_digit("23412341234")
    return number, draw(typed_as_people_do(number))


@st.composite
def epic_typed(draw):
    letters = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
    serial = f"{draw(st.integers(0, 10**6 - 1)):06d}"
    number = letters + serial + luhn.calc_check_digit(serial)
    return number, draw(typed_as_people_do(number))


@st.composite
def pan_typed(draw):
    letters = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1)
    head = "".join(draw(letters) for _ in range(3))
    serial = f"{draw(st.integers(1, 9999)):04d}"
    number = f"{head}P{draw(letters)}{serial}{draw(letters)}"
    assert pan.is_valid(number)
    return number, draw(typed_as_people_do(number))


@settings(max_examples=300, deadline=None)
@given(pan_typed())
def test_any_spelling_of_a_pan_is_one_number_with_one_hash(case):
    number, typed = case
    assert validate_id_number("PAN", typed) == number
    assert ids.hash_id_number("PAN", typed) == ids.hash_id_number("PAN", number)


@settings(max_examples=300, deadline=None)
@given(aadhaar_typed())
def test_any_spelling_of_an_aadhaar_number_is_one_number_with_one_hash(case):
    number, typed = case
    assert validate_id_number("AADHAAR", typed) == number
    assert ids.hash_id_number("AADHAAR", typed) == ids.hash_id_number("AADHAAR", number)
    assert ids.id_last4(typed) == number[-4:]


@settings(max_examples=300, deadline=None)
@given(epic_typed())
def test_any_spelling_of_a_voter_id_is_one_number_with_one_hash(case):
    number, typed = case
    assert validate_id_number("VOTER", typed) == number
    assert ids.hash_id_number("VOTER", typed) == ids.hash_id_number("VOTER", number)
    assert ids.id_last4(typed) == number[-4:]


def test_the_stored_last_4_are_always_ascii():
    typed = "२३४१ २३४१ २३४६"
    assert ids.id_last4(typed) == "2346"
    assert ids.normalise_id_number("ｃｇｘ１２３４５６７") == "CGX1234567"


# Mobiles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("98765 43210", "+919876543210"),
        ("+91 98765-43210", "+919876543210"),
        ("09876543210", "+919876543210"),
        ("0091 98765 43210", "+919876543210"),
        ("९८७६५४३२१०", "+919876543210"),
        ("९८७६५ ४३२१०", "+919876543210"),
        ("+९१ ९८७६५-४३२१०", "+919876543210"),
        ("９８７６５４３２１０", "+919876543210"),
        ("5876543210", None),
        ("98765", None),
        ("98765ABCDE", None),
    ],
)
def test_mobile_numbers_are_read_as_people_type_them(typed, expected):
    assert normalise_mobile(typed) == expected


@pytest.mark.parametrize("typed", ["0771-2234567", "0788 2234567", "07712234567", "0771 223 4567"])
def test_a_landline_is_refused_as_a_landline(typed):
    with pytest.raises(ValidationError, match="landline") as refused:
        validate_mobile(typed)
    assert refused.value.code == "landline"
    assert normalise_mobile(typed) is None


def test_a_mobile_series_that_shares_digits_with_landlines_is_a_mobile():
    # phonenumbers calls 7208... "fixed line or mobile"; its carrier data
    # names the mobile operator, so it is taken.
    assert normalise_mobile("72087 53924") == "+917208753924"


def test_a_number_abroad_is_refused_with_its_own_reason():
    with pytest.raises(ValidationError, match="Indian mobile"):
        validate_mobile("+1 202 555 0143")


@st.composite
def mobile_typed(draw):
    import phonenumbers

    number = f"{draw(st.sampled_from('6789'))}{draw(st.integers(0, 10**9 - 1)):09d}"
    parsed = phonenumbers.parse(number, "IN")
    kind = phonenumbers.number_type(parsed)
    prefix = draw(st.sampled_from(["", "+91", "0", "91", "0091", "+91 "]))
    return number, kind, draw(typed_as_people_do(prefix + number).filter(lambda t: t.strip()))


@settings(max_examples=300, deadline=None)
@given(mobile_typed())
def test_any_spelling_of_a_mobile_is_one_number(case):
    import phonenumbers

    number, kind, typed = case
    ascii_form = normalise_mobile(number)
    assert normalise_mobile(typed) == ascii_form
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        # phonenumbers, the oracle, says it is a mobile: it is taken.
        assert ascii_form == "+91" + number


def test_pin_codes_must_be_in_chhattisgarh():
    assert validate_pincode("492 001") == "492001"
    assert validate_pincode("४९२००१") == "492001"
    assert validate_pincode("") == ""
    with pytest.raises(ValidationError):
        validate_pincode("110001")
