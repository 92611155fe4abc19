"""The public page that explains the allocator, in English and Hindi."""

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.django_db


def test_the_rules_page_states_the_numbers_the_allocator_uses(client, settings):
    settings.TEEKA_NOTICE_HOURS = 36
    settings.TEEKA_DOSE_INTERVAL_DAYS = {"COVISHIELD": 84, "COVAXIN": 28}

    page = client.get("/how-slots-are-allotted/").content.decode()

    assert "36 hours" in page
    assert "Covishield: 84 days" in page
    assert "Covaxin: 28 days" in page
    assert page.index("Health worker") < page.index("Everyone else")


def test_the_rules_page_is_linked_from_the_home_page(client):
    assert 'href="/how-slots-are-allotted/"' in client.get("/").content.decode()


def test_the_rules_page_in_hindi(client):
    client.post("/i18n/setlang/", {"language": "hi", "next": "/"})

    page = client.get("/how-slots-are-allotted/").content.decode()

    assert 'lang="hi"' in page
    assert "स्लॉट कैसे दिए जाते हैं" in page
    assert "पहले किसे" in page


@pytest.mark.browser
def test_the_rules_page_fits_a_phone(live_server, phone):
    phone.goto(live_server.url + "/how-slots-are-allotted/")

    assert phone.locator("h1").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "how-slots-are-allotted-phone")


def test_the_rules_page_explains_the_three_choices_in_english(client):
    page = client.get("/how-slots-are-allotted/").content.decode()
    for words in ("Another date", "Pause", "Withdraw", "never held against you"):
        assert words in page


def test_the_rules_page_explains_the_three_choices_in_hindi(client):
    client.cookies["django_language"] = "hi"
    page = client.get("/how-slots-are-allotted/").content.decode()
    for words in ("दूसरी तारीख़", "रोक दें", "पंजीकरण वापस लें", "फिर शुरू करें", "कोई नुकसान नहीं"):
        assert words in page
