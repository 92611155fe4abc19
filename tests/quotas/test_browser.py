"""The shares on a phone, in Hindi: the rules page with its table, and a
person's page with their category (Chromium, looked at as screenshots)."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from districts import roles
from quotas.models import Policy
from teeka.sms import read_file_outbox
from tests import factories
from tests.admin.conftest import staff_user
from tests.conftest import ARTIFACTS, screenshot

from .conftest import queued

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_rules_page_with_the_shares_fits_a_phone_in_hindi(live_server, phone, may_2021):
    phone.context.add_cookies([{"name": "django_language", "value": "hi", "url": live_server.url}])
    phone.goto(live_server.url + "/how-slots-are-allotted/#shares")

    assert phone.locator("table.shares").is_visible()
    assert phone.locator("table.shares tbody tr").count() == 4
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "rules-shares-phone-hi")
    top = phone.evaluate("document.getElementById('shares').getBoundingClientRect().top + scrollY")
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(
        path=str(ARTIFACTS / "rules-shares-section-phone-hi.png"),
        full_page=True,
        clip={"x": 0, "y": top, "width": 360, "height": 1100},
    )


def test_the_state_administrator_turns_the_policy_on_in_hindi(
    live_server, desk, raipur, role_groups, may_2021
):
    Policy.objects.filter(pk=may_2021.pk).update(active=False)
    staff_user("state-admin", roles.STATE_ADMIN, raipur)
    desk.context.add_cookies([{"name": "django_language", "value": "hi", "url": live_server.url}])
    desk.goto(live_server.url + "/admin/login/?next=/admin/quotas/policy/")
    desk.locator("input[name=username]").fill("state-admin")
    desk.locator("input[name=password]").fill("correct horse battery")
    desk.locator("input[type=submit]").click()
    desk.get_by_role("link", name="18-44, मई 2021 (उदाहरण)").click()
    desk.locator("input[name=active]").check()
    screenshot(desk, "quota-policy-change-desk-hi")
    desk.locator("input[name=_save]").click()

    expect(desk.locator(".messagelist")).to_be_visible()
    assert Policy.objects.get(pk=may_2021.pk).active
    screenshot(desk, "quota-policy-list-desk-hi")


def test_a_person_sees_their_category_on_a_phone_in_hindi(live_server, phone, places, may_2021):
    account = factories.make_account("+919812345670")
    queued(places, "B")
    b2 = queued(places, "B", account=account, seat=1)
    cache.clear()
    phone.goto(live_server.url + "/")
    phone.get_by_role("button", name="हिन्दी").click()
    phone.get_by_role("link", name="पंजीकरण / साइन इन").click()
    phone.fill("input[name=mobile]", "9812345670")
    phone.get_by_role("button", name="कोड भेजें").click()
    phone.wait_for_selector("input[name=code]")
    code = re.search(r"\b(\d{6})\b", read_file_outbox()[-1]["text"]).group(1)
    phone.fill("input[name=code]", code)
    phone.get_by_role("button", name="साइन इन करें").click()
    phone.goto(live_server.url + f"/my/{b2.reference}/")

    card = phone.locator("section.category")
    expect(card).to_contain_text("बीपीएल (गरीबी रेखा से नीचे) राशन कार्ड धारक")
    expect(card).to_contain_text("इस श्रेणी में नंबर 2")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "person-category-phone-hi")
