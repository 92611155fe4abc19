"""A new citizen registers in Hindi on a phone, with and without JavaScript."""

import re

import pytest
from django.core.cache import cache
from django.utils import translation

from registrations.models import Registration
from teeka.sms import read_file_outbox
from tests.conftest import screenshot

from .helpers import aadhaar_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_js_phone(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-IN", java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


def _sign_in_in_hindi(page, base_url: str, mobile: str) -> None:
    cache.clear()
    page.goto(base_url + "/")
    page.get_by_role("button", name="हिन्दी").click()
    page.get_by_role("link", name="पंजीकरण / साइन इन").click()
    page.fill("input[name=mobile]", mobile)
    page.get_by_role("button", name="कोड भेजें").click()
    page.wait_for_selector("input[name=code]")
    code = re.search(r"\b(\d{6})\b", read_file_outbox()[-1]["text"]).group(1)
    assert "कोड" in read_file_outbox()[-1]["text"]
    page.fill("input[name=code]", code)
    page.get_by_role("button", name="साइन इन करें").click()
    page.get_by_role("link", name="व्यक्ति जोड़ें").click()


def _fill_person(page) -> None:
    page.fill("input[name=name]", "सुनीता साहू")
    page.check("input[name=gender][value=F]")
    page.check("input[name=ration_card][value=bpl]")
    page.fill("input[name=birth_year]", "1962")
    page.select_option("select[name=id_type]", "AADHAAR")
    page.fill("input[name=id_number]", aadhaar_number())


def _finish(page, village) -> None:
    page.fill("input[name=address_line]", "मकान 12, गांधी चौक")
    page.fill("input[name=pincode]", "492001")
    page.get_by_role("button", name="पंजीकरण करें").click()
    page.wait_for_selector(".place")
    text = page.inner_text("main")
    assert "सुनीता साहू का पंजीकरण हो गया" in text
    with translation.override("hi"):
        assert f"{village.area.name} की कतार में नंबर 1" in text
        assert f"{village.area.district.name} ज़िले में नंबर 1" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    person = Registration.objects.get()
    assert person.priority == 3  # 60 or over, derived from the year of birth
    assert person.account.language == "hi"


def test_a_new_citizen_registers_in_hindi_on_a_phone(live_server, phone, geography, raipur_village):
    _sign_in_in_hindi(phone, live_server.url, "9876501234")
    _fill_person(phone)
    area = raipur_village.area
    phone.select_option("select[name=district]", str(area.district_id))
    phone.wait_for_selector(f'select[name=area] option[value="{area.pk}"]', state="attached")
    phone.select_option("select[name=area]", str(area.pk))
    phone.wait_for_selector(
        f'select[name=locality] option[value="{raipur_village.pk}"]', state="attached"
    )
    phone.select_option("select[name=locality]", str(raipur_village.pk))
    screenshot(phone, "registration-form-phone-hi")
    _finish(phone, raipur_village)
    screenshot(phone, "registration-status-phone-hi")


def test_a_new_citizen_registers_in_hindi_without_javascript(
    live_server, no_js_phone, geography, raipur_village
):
    page = no_js_phone
    _sign_in_in_hindi(page, live_server.url, "9876505678")
    _fill_person(page)
    area = raipur_village.area
    page.select_option("select[name=district]", str(area.district_id))
    page.get_by_role("button", name="ब्लॉक और नगर दिखाएँ").click()
    page.select_option("select[name=area]", str(area.pk))
    page.get_by_role("button", name="गाँव और वार्ड दिखाएँ").click()
    # What was typed before the steps is still there.
    assert page.input_value("input[name=name]") == "सुनीता साहू"
    page.select_option("select[name=locality]", str(raipur_village.pk))
    _finish(page, raipur_village)
    screenshot(page, "registration-status-phone-hi-nojs")
