"""Checks for what citizens type: mobile numbers and photo-ID numbers.

Each ID check takes the number as typed, and raises ValidationError with a
message that says what the number should look like.
"""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .ids import normalise_id_number
from .models import IdType

# Verhoeff's dihedral-group tables (the Aadhaar check digit).
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 7, 6, 8, 0],
    [4, 2, 8, 7, 5, 6, 1, 3, 9, 0],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_valid(digits: str) -> bool:
    check = 0
    for i, char in enumerate(reversed(digits)):
        check = _D[check][_P[i % 8][int(char)]]
    return check == 0


def verhoeff_digit(digits: str) -> str:
    """The check digit to append to `digits` (used to make test numbers)."""
    check = 0
    for i, char in enumerate(reversed(digits)):
        check = _D[check][_P[(i + 1) % 8][int(char)]]
    return str(_INV[check])


def _aadhaar(number: str) -> None:
    # UIDAI never issues numbers starting with 0 or 1.
    if not re.fullmatch(r"[2-9]\d{11}", number):
        raise ValidationError(_("An Aadhaar number has 12 digits and does not start with 0 or 1."))
    if not verhoeff_valid(number):
        raise ValidationError(_("This Aadhaar number is not valid. Please check each digit."))


def _voter(number: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}\d{7}", number):
        raise ValidationError(
            _("A voter ID (EPIC) number has 3 letters and then 7 digits, like ABC1234567.")
        )


def _pan(number: str) -> None:
    # The fourth letter is the holder's kind; P is an individual person.
    if not re.fullmatch(r"[A-Z]{3}P[A-Z]\d{4}[A-Z]", number):
        raise ValidationError(
            _(
                "A personal PAN has 5 letters (the fourth is P), 4 digits and a letter, "
                "like ABCPE1234F."
            )
        )


def _driving(number: str) -> None:
    # State code, RTO number, year of issue, serial: CG04 20110012345.
    match = re.fullmatch(r"[A-Z]{2}\d{2}(\d{4})\d{7}", number)
    if not match or not 1950 <= int(match.group(1)) <= timezone.now().year:
        raise ValidationError(
            _("A driving licence number has 2 letters and 13 digits, like CG04 20110012345.")
        )


def _passport(number: str) -> None:
    if not re.fullmatch(r"[A-Z][1-9]\d{5}[1-9]", number):
        raise ValidationError(_("A passport number has a letter and then 7 digits, like K1234567."))


def _ration(number: str) -> None:
    # Ration card numbers differ by state and scheme, so this only checks the
    # shape they share; the keyed hash still dedupes the exact number.
    if not re.fullmatch(r"[A-Z0-9]{10,15}", number) or sum(c.isdigit() for c in number) < 6:
        raise ValidationError(
            _("A ration card number has 10 to 15 letters and digits, mostly digits.")
        )


_CHECKS = {
    IdType.AADHAAR: _aadhaar,
    IdType.VOTER: _voter,
    IdType.PAN: _pan,
    IdType.DRIVING: _driving,
    IdType.PASSPORT: _passport,
    IdType.RATION: _ration,
}


def validate_id_number(id_type: str, typed: str) -> str:
    """The normalised number, or ValidationError saying what is wrong."""
    number = normalise_id_number(typed)
    if not number:
        raise ValidationError(_("Please type the number on the ID."))
    _CHECKS[IdType(id_type)](number)
    return number


def normalise_mobile(typed: str) -> str | None:
    """+91XXXXXXXXXX for an Indian mobile number as people type it, else None."""
    digits = re.sub(r"[\s\-()]", "", typed)
    digits = re.sub(r"^(\+91|0091|91|0)(?=\d{10}$)", "", digits)
    return "+91" + digits if re.fullmatch(r"[6-9]\d{9}", digits) else None


def validate_pincode(typed: str) -> str:
    pincode = re.sub(r"\s", "", typed)
    # Chhattisgarh's PIN codes start with 49.
    if pincode and not re.fullmatch(r"49\d{4}", pincode):
        raise ValidationError(_("A PIN code in Chhattisgarh has 6 digits and starts with 49."))
    return pincode
