"""Identifiers: the keyed hash of photo-ID numbers and the registration reference."""

import hashlib
import hmac
import re
import secrets
import unicodedata

from django.conf import settings

# Crockford's base 32: no I, L, O or U, so a reference read out on the phone
# cannot be mistaken. Its check symbol is the body's value mod 37, which would
# use five more symbols, *~$=U; a new reference is drawn so that its check is
# one of the 32 plain ones, to be read out on the helpline and typed on a
# phone keypad. The check is the same, so references issued with those
# symbols before keep working.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHECK_ALPHABET = _ALPHABET + "*~$=U"
_REFERENCE_BODY = 8


# What goes from a typed ID number: any space, dots, slashes, and every kind
# of dash (hyphen, en and em dash, minus sign), and invisible format
# characters such as the zero-width space a phone keyboard can leave behind.
_ID_SEPARATORS = re.compile(
    r"[\s./\-\u2010-\u2015\u2212\ufe58\ufe63\u00ad\u200b-\u200d\u2060\ufeff]"
)


def ascii_digits(text: str) -> str:
    """`text` with every Unicode decimal digit as its ASCII digit: Devanagari
    (०-९), full-width (０-９) and any other script's. NFKC first folds
    full-width letters and other compatibility forms to their plain ones."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.digit(c)) if c.isdecimal() else c for c in text)


def normalise_id_number(number: str) -> str:
    """The one normal form of a typed ID number, applied before it is checked,
    hashed, cut to its last 4 or searched for: ASCII digits, no spaces, dots,
    slashes or dashes, letters upper case. Every spelling of one number is
    one number; for what was typed in ASCII it is what it always was, so
    the hashes stored before stay the same."""
    return _ID_SEPARATORS.sub("", ascii_digits(number)).upper()


def hash_id_number(id_type: str, number: str) -> str:
    message = f"{id_type}:{normalise_id_number(number)}".encode()
    return hmac.new(settings.ID_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def id_last4(number: str) -> str:
    return normalise_id_number(number)[-4:]


class KeyedId(str):
    """An ID number already reduced to what Teeka keeps of it: the keyed hash
    and the last 4 characters. An import's preview masks the file's ID column
    into these as soon as it reads it, so the number itself is never kept,
    and the confirmed import registers the same hash."""

    def __new__(cls, id_hash: str, last4: str) -> "KeyedId":
        keyed = super().__new__(cls, f"••••{last4}")
        keyed.id_hash, keyed.last4 = id_hash, last4
        return keyed

    @classmethod
    def of(cls, id_type: str, number: str) -> "KeyedId":
        return cls(hash_id_number(id_type, number), id_last4(number))


def _check_symbol(body: str) -> str:
    value = 0
    for char in body:
        value = value * 32 + _ALPHABET.index(char)
    return _CHECK_ALPHABET[value % 37]


def new_reference() -> str:
    # One read of the system's CSPRNG (8 symbols of 5 bits are 5 random bytes),
    # again in 5 cases of 37, when the check would not be a plain symbol.
    while True:
        value = int.from_bytes(secrets.token_bytes(5))
        if value % 37 < len(_ALPHABET):
            return _reference_from_bits(value)


def reference_for_serial(serial: int) -> str:
    """A repeatable reference for demo data, distinct for every serial below
    2**35: an odd multiplier is a bijection on 35 bits, and each 32 of those
    values are spread over 37, leaving out the five with another check."""
    scrambled = (serial * 0x9E3779B97F) % (1 << 35)
    return _reference_from_bits(scrambled // 32 * 37 + scrambled % 32)


def _reference_from_bits(value: int) -> str:
    body = "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(_REFERENCE_BODY)))
    return body + _check_symbol(body)


def clean_reference(typed: str) -> str | None:
    """The canonical reference for what a person typed, or None if it is not one.

    Accepts lower case, spaces and dashes, and Crockford's look-alikes (O for 0,
    I and L for 1).
    """
    text = re.sub(r"[\s\-]", "", ascii_digits(typed)).upper().translate(str.maketrans("OIL", "011"))
    if len(text) != _REFERENCE_BODY + 1 or any(c not in _ALPHABET for c in text[:-1]):
        return None
    return text if _check_symbol(text[:-1]) == text[-1] else None


def format_reference(reference: str) -> str:
    """Groups of three for reading aloud: ABC-DEF-GHJ."""
    return "-".join(reference[i : i + 3] for i in range(0, len(reference), 3))
