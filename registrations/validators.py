"""Checks for what citizens type: mobile numbers and photo-ID numbers.

Every number is first put in its one normal form (`ids.normalise_id_number`,
`ids.ascii_digits`): Devanagari or full-width digits, spaces, dots and dashes
never make a second number of one. Check digits are python-stdnum's
(Aadhaar, voter ID, PAN) and mobiles are phonenumbers', never our own tables;
the other IDs have no public check digit, so only their documented shape is
checked. Each refusal says what the number should look like.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberType, carrier
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.in_ import aadhaar, epic, pan

from .ids import ascii_digits, normalise_id_number
from .models import IdType


def _aadhaar(number: str) -> None:
    if not re.fullmatch(r"[0-9]{12}", number):
        raise ValidationError(_("An Aadhaar number has 12 digits."))
    if number[0] in "01":
        # UIDAI never issues numbers starting with 0 or 1.
        raise ValidationError(_("An Aadhaar number has 12 digits and does not start with 0 or 1."))
    try:
        aadhaar.validate(number)
    except StdnumError:
        raise ValidationError(
            _("This Aadhaar number is not valid. Please check each digit.")
        ) from None


def _voter(number: str) -> None:
    try:
        epic.validate(number)
    except InvalidChecksum:
        raise ValidationError(
            _("This voter ID (EPIC) number is not valid. Please check each digit.")
        ) from None
    except StdnumError:
        raise ValidationError(
            _("A voter ID (EPIC) number has 3 letters and then 7 digits, like ABC1234567.")
        ) from None


def _pan(number: str) -> None:
    try:
        pan.validate(number)
    except StdnumError:
        valid = False
    else:
        # The fourth letter is the holder's kind; P is an individual person
        # (the others are companies, trusts, families): a person's photo ID.
        valid = number[3] == "P"
    if not valid:
        raise ValidationError(
            _(
                "A personal PAN has 5 letters (the fourth is P), 4 digits and a letter, "
                "like ABCPE1234F."
            )
        )


def _driving(number: str) -> None:
    # The national format (MoRTH, Sarathi): state code, RTO number, year of
    # issue, 7-digit serial: CG04 20110012345.
    match = re.fullmatch(r"[A-Z]{2}[0-9]{2}([0-9]{4})[0-9]{7}", number)
    if not match or not 1950 <= int(match.group(1)) <= timezone.now().year:
        raise ValidationError(
            _("A driving licence number has 2 letters and 13 digits, like CG04 20110012345.")
        )


def _passport(number: str) -> None:
    # A letter, then 7 digits; the first and last digits are never 0.
    if not re.fullmatch(r"[A-Z][1-9][0-9]{5}[1-9]", number):
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


def id_types_of(typed: str) -> list[tuple[str, str]]:
    """(ID type, normalised number) for every kind of ID `typed` could be."""
    found = []
    for id_type in IdType.values:
        try:
            found.append((id_type, validate_id_number(id_type, typed)))
        except ValidationError:
            pass
    return found


# Mobiles ---------------------------------------------------------------------

MOBILE_MESSAGE = _("Please type a 10-digit mobile number starting with 6, 7, 8 or 9.")
LANDLINE_MESSAGE = _(
    "This is a landline number, and a landline cannot get our SMS. Please type a mobile "
    "number: 10 digits starting with 6, 7, 8 or 9."
)
ABROAD_MESSAGE = _("Please type an Indian mobile number: 10 digits starting with 6, 7, 8 or 9.")


def _is_mobile(number: phonenumbers.PhoneNumber) -> bool:
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.MOBILE:
        return True
    # Some Indian mobile series share their first digits with a landline's
    # area code and STD number (phonenumbers says "fixed line or mobile" for
    # 7208... as for Raipur's 0771-...): its carrier data names an operator
    # only for the mobile series.
    return kind == PhoneNumberType.FIXED_LINE_OR_MOBILE and bool(
        carrier.name_for_valid_number(number, "en")
    )


def validate_mobile(typed: str) -> str:
    """+91XXXXXXXXXX for an Indian mobile number as people type it, in any
    script's digits; else ValidationError saying why (a landline, abroad)."""
    text = ascii_digits(typed).strip()
    # Letters are not read as digits (phonenumbers would take 1-800-FLOWERS).
    if not text or not re.fullmatch(r"[0-9+\s().\-\u2010-\u2015\u2212]+", text):
        raise ValidationError(MOBILE_MESSAGE, code="mobile")
    try:
        number = phonenumbers.parse(text, "IN")
    except phonenumbers.NumberParseException:
        raise ValidationError(MOBILE_MESSAGE, code="mobile") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(MOBILE_MESSAGE, code="mobile")
    if number.country_code != 91:
        raise ValidationError(ABROAD_MESSAGE, code="abroad")
    if not _is_mobile(number):
        raise ValidationError(LANDLINE_MESSAGE, code="landline")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_mobile(typed: str) -> str | None:
    """+91XXXXXXXXXX for an Indian mobile number as people type it, else None."""
    try:
        return validate_mobile(typed)
    except ValidationError:
        return None


def normalise_code(typed: str) -> str:
    """A sign-in code as typed, in ASCII digits without spaces or dashes."""
    return re.sub(r"[\s\-]", "", ascii_digits(typed))


# Free text -------------------------------------------------------------------

# Runs of digits (any script) with at most a few spaces, dots or dashes
# between them: an Aadhaar number is written 2341 2341 2346, 2341-2341-2346,
# or in one piece.
_DIGIT_RUNS = re.compile(r"\d+(?:[\s.\-\u2010-\u2015\u2212]{1,3}\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")


def mask_aadhaar_numbers(text: str) -> str:
    """`text` with every Aadhaar number python-stdnum accepts written as
    XXXX XXXX 1234, in whatever digits and grouping it was typed, so free
    text never stores one whole. Twelve digits inside a longer number are not
    an Aadhaar number and stay. Any 12 digits that happen to pass the check
    (a mobile and two more digits, one time in ten) are masked too."""
    spans = []
    for run in _DIGIT_RUNS.finditer(text):
        groups = list(_DIGIT_GROUP.finditer(run.group()))
        spans += [(run.start() + a, run.start() + b, last4) for a, b, last4 in _aadhaar_in(groups)]
    for start, end, last4 in reversed(spans):
        text = text[:start] + "XXXX XXXX " + last4 + text[end:]
    return text


def _aadhaar_in(groups: list[re.Match]) -> list[tuple[int, int, str]]:
    """(start, end, last 4) of each run of whole groups that is an Aadhaar number."""
    found, i = [], 0
    while i < len(groups):
        digits, end = "", None
        for j in range(i, len(groups)):
            digits += ascii_digits(groups[j].group())
            if len(digits) >= 12:
                end = j if len(digits) == 12 and aadhaar.is_valid(digits) else None
                break
        if end is not None:
            found.append((groups[i].start(), groups[end].end(), digits[-4:]))
            i = end + 1
        else:
            i += 1
    return found


def validate_pincode(typed: str) -> str:
    pincode = re.sub(r"\s", "", ascii_digits(typed))
    # Chhattisgarh's PIN codes start with 49.
    if pincode and not re.fullmatch(r"49[0-9]{4}", pincode):
        raise ValidationError(_("A PIN code in Chhattisgarh has 6 digits and starts with 49."))
    return pincode
