"""Every spelling of one number is one number, on PostgreSQL, through the
citizen's pages: an ID typed in ASCII on one mobile and in Devanagari digits
on another is "already registered"; every spelling of one mobile shares one
set of sign-in limits and signs into one account; a landline is refused in
Hindi and in English."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import translation
from stdnum import luhn

from registrations import ids, otp
from registrations.models import Account, Registration, SignInCode
from registrations.validators import LANDLINE_MESSAGE
from teeka.sms import read_file_outbox

from .helpers import aadhaar_number, form_payload

pytestmark = pytest.mark.django_db

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
MOBILE = "9812345678"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    # A request in Hindi leaves Hindi active in this thread for the next test.
    translation.deactivate()


def _code_for(mobile_e164: str) -> str:
    text = [m for m in read_file_outbox() if m["to"] == mobile_e164][-1]["text"]
    return re.search(r"\b(\d{6})\b", text).group(1)


def _sign_in(client, typed: str, *, code_typed=lambda code: code):
    client.post(reverse("registrations:sign_in"), {"mobile": typed})
    code = code_typed(_code_for("+91" + typed.translate(str.maketrans("०१२३४५६७८९", "0123456789"))))
    return client.post(reverse("registrations:sign_in_code"), {"code": code})


def _payload(locality, **overrides) -> dict:
    return form_payload(locality, **overrides)


def _epic() -> str:
    serial = "482913"
    return "CGX" + serial + luhn.calc_check_digit(serial)


@pytest.mark.parametrize(
    ("id_type", "ascii_form", "other_spelling"),
    [
        ("AADHAAR", "{n}", lambda n: f"{n[:4]} {n[4:8]} {n[8:]}".translate(DEVANAGARI)),
        ("VOTER", "EPIC", lambda n: n.lower().translate(DEVANAGARI)),
        ("PAN", "ABCPE1234F", lambda n: n[:5].lower() + "-" + n[5:].translate(DEVANAGARI)),
        ("AADHAAR", "{n}", lambda n: n.translate(FULL_WIDTH)),
    ],
)
def test_one_id_typed_in_ascii_and_in_devanagari_on_two_mobiles_is_one_registration(
    client, raipur_village, id_type, ascii_form, other_spelling
):
    number = {"{n}": aadhaar_number(), "EPIC": _epic()}.get(ascii_form, ascii_form)
    _sign_in(client, "9812345671")
    first = client.post(
        reverse("registrations:add_person"),
        _payload(raipur_village, id_type=id_type, id_number=number),
    )
    assert first.status_code == 302
    client.post(reverse("registrations:sign_out"))
    _sign_in(client, "9812345672")
    again = client.post(
        reverse("registrations:add_person"),
        _payload(raipur_village, name="Sunita", id_type=id_type, id_number=other_spelling(number)),
    )
    page = again.content.decode()
    assert again.status_code == 200
    assert "already registered" in page
    # Counted in SQL: one row for the ID, its last 4 in ASCII.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), min(id_last4) FROM registrations_registration")
        assert cursor.fetchone() == (1, number[-4:])


def test_a_registration_stores_ascii_last_4_and_the_same_hash_for_any_spelling(
    client, raipur_village
):
    number = aadhaar_number()
    _sign_in(client, MOBILE)
    typed = f"{number[:4]}-{number[4:8]}.{number[8:]}".translate(DEVANAGARI)
    assert (
        client.post(
            reverse("registrations:add_person"), _payload(raipur_village, id_number=typed)
        ).status_code
        == 302
    )
    person = Registration.objects.get()
    assert person.id_last4 == number[-4:]
    assert person.id_hash == ids.hash_id_number("AADHAAR", number)


SPELLINGS = [
    "9812345678",
    "९८१२३४५६७८",
    "९८१२३ ४५६७८",
    "+९१ ९८१२३-४५६७८",
    "０９８１２３４５６７８",
    "+91 98123 45678",
    "098123-45678",
]


def test_the_send_limit_holds_across_every_spelling_of_one_mobile(client):
    refused = []
    for typed in SPELLINGS:
        page = client.post(reverse("registrations:sign_in"), {"mobile": typed})
        if page.status_code == 200:
            refused.append(typed)
    # Three codes per number per window, whatever digits were typed.
    assert len([m for m in read_file_outbox() if m["to"] == "+919812345678"]) == 3
    assert len(refused) == len(SPELLINGS) - 3
    assert list(SignInCode.objects.values_list("mobile", flat=True)) == ["+919812345678"]


def test_wrong_codes_lock_the_number_whatever_spelling_tries_them(client):
    client.post(reverse("registrations:sign_in"), {"mobile": SPELLINGS[0]})
    code = _code_for("+919812345678")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for typed in SPELLINGS[1:6]:
        with pytest.raises(otp.OtpRefused):
            otp.verify_code(mobile=typed, code=wrong.translate(DEVANAGARI), ip="10.0.0.9")
    page = client.post(reverse("registrations:sign_in_code"), {"code": code}).content.decode()
    assert "locked" in page
    assert not Account.objects.exists()


def test_a_devanagari_mobile_and_a_devanagari_code_sign_into_the_one_account(client):
    account = Account.objects.create(mobile="+919812345678")
    response = _sign_in(client, "९८१२३४५६७८", code_typed=lambda code: code.translate(DEVANAGARI))
    assert response.status_code == 302
    assert response.url == reverse("registrations:account")
    assert list(Account.objects.all()) == [account]


def test_a_code_typed_with_a_space_in_full_width_digits_is_understood(client):
    response = _sign_in(
        client, MOBILE, code_typed=lambda code: (code[:3] + " " + code[3:]).translate(FULL_WIDTH)
    )
    assert response.url == reverse("registrations:account")


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("landline", ["0771-2234567", "0788 2234567"])
def test_a_landline_is_refused_with_a_clear_message_in_hindi_and_english(
    client, language, landline
):
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    page = client.post(reverse("registrations:sign_in"), {"mobile": landline})
    text = page.content.decode()
    assert page.status_code == 200
    with translation.override(language):
        message = str(LANDLINE_MESSAGE)
    assert message in text
    assert ("लैंडलाइन" in message) if language == "hi" else ("landline" in message)
    assert read_file_outbox() == []
    assert not SignInCode.objects.exists()


def test_a_wrong_id_is_told_at_once_even_when_another_field_is_missing(client, raipur_village):
    number = aadhaar_number()
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    _sign_in(client, MOBILE)
    response = client.post(
        reverse("registrations:add_person"),
        _payload(raipur_village, id_number=wrong.translate(DEVANAGARI), district=""),
    )
    errors = response.context["form"].errors
    assert "This Aadhaar number is not valid. Please check each digit." in errors["id_number"]
    assert "district" in errors
    page = response.content.decode()
    assert wrong not in page and wrong.translate(DEVANAGARI) not in page
