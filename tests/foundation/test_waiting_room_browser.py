"""The waiting page in Chromium on a phone with JavaScript off: it refreshes
itself and lets the person in when their turn comes, in Hindi and English."""

import http.client
from urllib.parse import urlsplit

import pytest

from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("locale", "waiting", "home"),
    [
        ("en-IN", "You are number 1 in line", "Get your Covid-19 vaccine"),
        ("hi-IN", "कतार में आपका नंबर 1 है", "कोविड-19 का टीका लगवाएँ"),
    ],
)
def test_the_page_lets_a_person_in_by_itself_when_their_turn_comes(
    room, live_server, settings, browser, locale, waiting, home
):
    settings.WAITING_ROOM_IDLE_SECONDS = 3
    settings.WAITING_ROOM_REFRESH_SECONDS = (1, 3)
    for _ in range(2):  # two people come first, and are let in
        connection = http.client.HTTPConnection(urlsplit(live_server.url).netloc)
        connection.request("GET", "/")
        assert b'http-equiv="refresh"' not in connection.getresponse().read()
        connection.close()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale=locale, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert waiting in page.locator("main").inner_text()
    screenshot(page, f"waiting-room-{locale}")

    # The two inside stop counting after 3 s; the page, refreshing by
    # itself, becomes the page the person asked for.
    page.locator("h1", has_text=home).wait_for(timeout=15_000)
    assert page.url == live_server.url + "/"
    context.close()
