"""On a phone in Hindi, numbers are typed the way people type them: a landline
is refused saying so, a mobile and its code in Devanagari digits sign in, and
a refused ID number is not shown back."""

import re

import pytest
from django.core.cache import cache
from stdnum import verhoeff

from registrations.models import Account, Registration
from teeka.sms import read_file_outbox
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def test_numbers_typed_in_devanagari_on_a_phone_in_hindi(live_server, phone, geography):
    cache.clear()
    phone.goto(live_server.url + "/")
    phone.get_by_role("button", name="हिन्दी").click()
    phone.get_by_role("link", name="पंजीकरण / साइन इन").click()
    phone.fill("input[name=mobile]", "०७७१-२२३४५६७")
    phone.get_by_role("button", name="कोड भेजें").click()
    assert "यह लैंडलाइन नंबर है" in phone.inner_text("main")
    screenshot(phone, "sign-in-landline-refused-phone-hi")
    assert read_file_outbox() == []

    phone.fill("input[name=mobile]", "९८७६५ ४३२१०")
    phone.get_by_role("button", name="कोड भेजें").click()
    phone.wait_for_selector("input[name=code]")
    code = re.search(r"\b(\d{6})\b", read_file_outbox()[-1]["text"]).group(1)
    phone.fill("input[name=code]", code.translate(DEVANAGARI))
    phone.get_by_role("button", name="साइन इन करें").click()
    phone.get_by_role("link", name="व्यक्ति जोड़ें").click()
    assert str(Account.objects.get().mobile) == "+919876543210"

    body = "49273501841"
    wrong = (body + str((int(verhoeff.calc_check_digit(body)) + 1) % 10)).translate(DEVANAGARI)
    phone.fill("input[name=name]", "सुनीता साहू")
    phone.check("input[name=gender][value=F]")
    phone.check("input[name=ration_card][value=bpl]")
    phone.fill("input[name=birth_year]", "1962")
    phone.select_option("select[name=id_type]", "AADHAAR")
    phone.fill("input[name=id_number]", wrong)
    phone.get_by_role("button", name="पंजीकरण करें").click()
    phone.wait_for_selector("[role=alert]")
    text = phone.inner_text("main")
    assert "यह आधार नंबर सही नहीं है" in text
    assert "कृपया उसे फिर से लिखें" in text
    assert phone.input_value("input[name=id_number]") == ""
    assert phone.input_value("input[name=name]") == "सुनीता साहू"
    assert wrong not in phone.content()
    screenshot(phone, "registration-id-refused-phone-hi")
    assert not Registration.objects.exists()
