import pytest
from django.core.exceptions import ValidationError

from registrations.validators import (
    normalise_mobile,
    validate_id_number,
    validate_pincode,
    verhoeff_digit,
    verhoeff_valid,
)


def aadhaar(first11: str = "23456789012") -> str:
    return first11 + verhoeff_digit(first11)


def test_verhoeff_matches_the_textbook_example():
    assert verhoeff_digit("236") == "3"
    assert verhoeff_valid("2363")
    assert not verhoeff_valid("2364")


def test_it_accepts_an_aadhaar_number_with_spaces():
    number = aadhaar()
    typed = f"{number[:4]} {number[4:8]} {number[8:]}"
    assert validate_id_number("AADHAAR", typed) == number


@pytest.mark.parametrize("typed", ["1234 5678 9012", "23456789", "2345678901234"])
def test_it_rejects_aadhaar_numbers_of_the_wrong_shape(typed):
    with pytest.raises(ValidationError, match="12 digits"):
        validate_id_number("AADHAAR", typed)


def test_it_rejects_an_aadhaar_number_with_one_digit_wrong():
    number = aadhaar()
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(ValidationError, match="not valid"):
        validate_id_number("AADHAAR", wrong)


@pytest.mark.parametrize(
    ("id_type", "good", "bad"),
    [
        ("VOTER", "abc1234567", "AB12345678"),
        ("PAN", "ABCPE1234F", "ABCDE1234F"),
        ("DRIVING", "CG04 20110012345", "CG04 18000012345"),
        ("PASSPORT", "K1234567", "K0234567"),
        ("RATION", "2210-0123-4567", "ABCDEFGHIJ"),
    ],
)
def test_each_id_type_has_its_own_pattern(id_type, good, bad):
    assert validate_id_number(id_type, good)
    with pytest.raises(ValidationError):
        validate_id_number(id_type, bad)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("98765 43210", "+919876543210"),
        ("+91 98765-43210", "+919876543210"),
        ("09876543210", "+919876543210"),
        ("5876543210", None),
        ("98765", None),
    ],
)
def test_mobile_numbers_are_read_as_people_type_them(typed, expected):
    assert normalise_mobile(typed) == expected


def test_pin_codes_must_be_in_chhattisgarh():
    assert validate_pincode("492 001") == "492001"
    assert validate_pincode("") == ""
    with pytest.raises(ValidationError):
        validate_pincode("110001")
