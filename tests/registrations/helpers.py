"""A `_details(**overrides)` builder for register_person, with real ID numbers."""

import itertools

from stdnum import verhoeff

from registrations.models import PriorityGroup
from registrations.services import PersonDetails

_serial = itertools.count(100)


def aadhaar_number(n: int | None = None) -> str:
    """A valid Aadhaar number, its check digit made by python-stdnum (the
    oracle), never by the code under test. The body ends in 1, so the number
    is never a palindrome (which Aadhaar refuses)."""
    body = f"2{(n if n is not None else next(_serial)):09d}1"
    return body + verhoeff.calc_check_digit(body)


def details(locality, **overrides) -> PersonDetails:
    fields = {
        "name": f"Asha Devi {next(_serial)}",
        "gender": "F",
        "birth_year": 1985,
        "id_type": "AADHAAR",
        "id_number": aadhaar_number(),
        "priority": PriorityGroup.EVERYONE,
        "district_id": locality.area.district_id,
        "area_id": locality.area_id,
        "locality_id": locality.pk,
        "address_line": "Near the temple",
        "pincode": "492001",
    }
    fields.update(overrides)
    return PersonDetails(**fields)
