"""Builders for registering in tests: details for register_person, a browser's
form for /my/add/, and signing in with the code from the SMS file; ID numbers
made by python-stdnum."""

import itertools
import re

from django.urls import reverse
from stdnum import verhoeff

from registrations.models import PriorityGroup
from registrations.services import PersonDetails
from teeka.sms import read_file_outbox

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


def form_payload(place, /, **overrides) -> dict:
    """What a citizen posts to /my/add/, as a browser sends it."""
    data = {
        "name": "Sunita Sahu",
        "gender": "F",
        "birth_year": "1979",
        "id_type": "AADHAAR",
        "id_number": aadhaar_number(),
        "occupation": "5",
        "ration_card": "bpl",
        "district": place.area.district_id,
        "area": place.area_id,
        "locality": place.pk,
        "address_line": "House 12, Gandhi Chowk",
        "pincode": "492001",
    }
    data.update(overrides)
    return data


def sign_in(client, mobile: str):
    """Asks for a code and signs in with the one the SMS file got last."""
    client.post(reverse("registrations:sign_in"), {"mobile": mobile})
    code = re.search(r"\b(\d{6})\b", read_file_outbox()[-1]["text"]).group(1)
    return client.post(reverse("registrations:sign_in_code"), {"code": code})
