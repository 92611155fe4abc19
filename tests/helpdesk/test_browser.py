"""In Chromium: a citizen raises a ticket in Hindi on a phone, an operator of
the help desk replies in the admin, and the citizen sees the reply."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from helpdesk.models import Ticket
from teeka.sms import read_file_outbox
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPLY = "आपका कोड दोबारा भेज दिया गया है। कृपया फिर से साइन इन करें।"


@pytest.fixture
def operator(raipur_helpdesk, help_desk_group):
    # A transactional test flushes the groups' permissions with every table,
    # so grant again what the data migration grants (tested elsewhere).
    help_desk_group.permissions.add(*Permission.objects.filter(content_type__app_label="helpdesk"))
    return raipur_helpdesk


def _citizen_raises_a_ticket_in_hindi(phone, base: str, raipur) -> str:
    phone.goto(base + "/help/")
    phone.get_by_role("button", name="हिन्दी").click()
    assert phone.locator("html").get_attribute("lang") == "hi"
    screenshot(phone, "helpdesk-faq-phone-hi")
    phone.get_by_role("link", name="टिकट दर्ज करें").first.click()
    phone.get_by_label("मोबाइल नंबर").fill("98123 45678")
    phone.get_by_label("मुझे कोड या SMS नहीं मिला").check()
    phone.get_by_label("आपका ज़िला").select_option(str(raipur.pk))
    phone.get_by_label("क्या हुआ?").fill("साइन इन का कोड मेरे फ़ोन पर नहीं आया।")
    screenshot(phone, "helpdesk-form-phone-hi")
    phone.get_by_role("button", name="भेजें").click()
    expect(phone.get_by_role("heading", name="आपका टिकट दर्ज हो गया है")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "helpdesk-raised-phone-hi")
    return phone.locator("#ticket-reference").inner_text().strip()


def _operator_replies(desk, base: str, reference: str) -> None:
    desk.goto(base + "/admin/login/?next=/admin/helpdesk/ticket/")
    desk.fill("#id_username", "raipur-official")
    desk.fill("#id_password", "correct horse battery")
    desk.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(desk.get_by_role("link", name=reference)).to_be_visible()
    screenshot(desk, "helpdesk-admin-queue")
    desk.get_by_role("link", name=reference).click()
    screenshot(desk, "helpdesk-admin-ticket")
    desk.get_by_role("button", name="Assign to me").click()
    desk.get_by_label("Reply to the citizen").fill(REPLY)
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.get_by_text("Reply sent to the citizen by SMS.")).to_be_visible()
    screenshot(desk, "helpdesk-admin-replied")


def _citizen_sees_the_reply(phone, reference: str) -> None:
    phone.get_by_role("link", name="टिकट की स्थिति देखें").click()
    assert phone.get_by_label("टिकट नंबर").input_value() == reference
    phone.get_by_label("मोबाइल नंबर").fill("9812345678")
    phone.get_by_role("button", name="मुझे कोड भेजें").click()
    code = re.search(r"\b(\d{6})\b", read_file_outbox()[-1]["text"]).group(1)
    phone.get_by_label("SMS में आया कोड").fill(code)
    phone.get_by_role("button", name="मेरा टिकट दिखाएँ").click()
    expect(phone.get_by_text(REPLY)).to_be_visible()
    expect(phone.get_by_text("जवाब दिया गया")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "helpdesk-reply-phone-hi")


def test_a_citizen_raises_a_ticket_in_hindi_and_sees_the_operators_reply(
    live_server, phone, desk, raipur, operator
):
    reference = _citizen_raises_a_ticket_in_hindi(phone, live_server.url, raipur)
    ticket = Ticket.objects.get()
    assert reference == ticket.display_reference and ticket.language == "hi"
    _operator_replies(desk, live_server.url, reference)
    _citizen_sees_the_reply(phone, reference)
