"""The shares on a phone, in Hindi: the rules page with its table, and a
person's page with their category (Chromium, looked at as screenshots)."""

import pytest

from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_rules_page_with_the_shares_fits_a_phone_in_hindi(live_server, phone, may_2021):
    phone.context.add_cookies([{"name": "django_language", "value": "hi", "url": live_server.url}])
    phone.goto(live_server.url + "/how-slots-are-allotted/#shares")

    assert phone.locator("table.shares").is_visible()
    assert phone.locator("table.shares tbody tr").count() == 4
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "rules-shares-phone-hi")
