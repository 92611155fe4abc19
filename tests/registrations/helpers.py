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


def form_payload(locality, **overrides) -> dict:
    """What a citizen posts to /my/add/, as a browser sends it."""
    data = {
        "name": "Sunita Sahu",
        "gender": "F",
        "birth_year": "1979",
        "id_type": "AADHAAR",
        "id_number": aadhaar_number(),
        "occupation": "5",
        "district": locality.area.district_id,
        "area": locality.area_id,
        "locality": locality.pk,
        "address_line": "House 12, Gandhi Chowk",
        "pincode": "492001",
    }
    data.update(overrides)
    return data
