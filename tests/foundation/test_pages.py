import json

import pytest
from django.db import connection
from django.db.utils import OperationalError

from tests.conftest import screenshot

pytestmark = pytest.mark.django_db


def test_home_page_says_what_a_citizen_can_do(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Register once with your mobile number" in response.content.decode()


def test_home_page_in_hindi_after_switching(client):
    response = client.post("/i18n/setlang/", {"language": "hi", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert 'lang="hi"' in page
    assert "टीका" in page


def test_footer_shows_state_and_helpline(client):
    page = client.get("/").content.decode()
    assert "Chhattisgarh" in page
    assert 'href="tel:104"' in page


def test_healthz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["database"] is False


def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] is False


@pytest.mark.browser
def test_home_page_at_phone_width(live_server, phone):
    phone.goto(live_server.url + "/")
    assert phone.locator("h1").is_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("button", name="हिन्दी").click()
    assert phone.locator("html").get_attribute("lang") == "hi"
    screenshot(phone, "home-phone-hi")
