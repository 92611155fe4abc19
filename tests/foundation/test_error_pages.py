"""The 404, 500 and 503 pages: in the visitor's language, with the helpline,
and the 500 page without the database or the request's context processors."""

import datetime

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client
from django.urls import path
from django.utils import formats, translation

from teeka import urls as teeka_urls
from teeka.views import service_unavailable
from tests.conftest import screenshot

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


def _busy(request):
    return service_unavailable(request)


urlpatterns = [
    path("boom/", _boom),
    path("busy/", _busy),
    *teeka_urls.urlpatterns,
]
handler500 = teeka_urls.handler500


def _broken_context_processor(request):
    raise OperationalError("the database is down")


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def hindi_client():
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "hi"
    return client


def test_an_unknown_page_says_so_in_hindi_with_the_helpline(production, hindi_client):
    response = hindi_client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'lang="hi"' in page
    assert "यह पेज मौजूद नहीं है" in page
    assert 'href="tel:104"' in page
    assert "Not Found" not in page


def test_an_unknown_page_in_english(production):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_a_server_error_is_a_hindi_page_with_the_helpline(production, hindi_client):
    response = hindi_client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'lang="hi"' in page
    assert "हमारी ओर से कुछ गड़बड़ हो गई" in page
    assert 'href="tel:104"' in page
    assert "Server Error" not in page
    # One line for a reader of the other language.
    assert 'lang="en"' in page and "Something went wrong." in page


def test_a_server_error_follows_the_browser_language_without_a_cookie(production):
    response = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9").get(
        "/boom/"
    )
    assert "हमारी ओर से कुछ गड़बड़ हो गई" in response.content.decode()


def test_the_500_page_needs_no_database_and_no_context_processors(
    production, settings, hindi_client, monkeypatch
):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                    f"{__name__}._broken_context_processor",
                ]
            },
        }
    ]

    def no_database(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", no_database)
    response = hindi_client.get("/boom/")
    assert response.status_code == 500
    assert "हेल्पलाइन 104" in response.content.decode()


def test_the_503_page_asks_to_retry_in_a_minute(production, hindi_client):
    response = hindi_client.get("/busy/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "टीका थोड़ी देर के लिए व्यस्त है" in page
    assert "Teeka is busy for a moment." in page  # the line for English readers
    assert 'href="tel:104"' in page


def test_the_503_page_in_english(production):
    page = Client().get("/busy/").content.decode()
    assert "Teeka is busy for a moment" in page
    assert 'lang="hi"' in page  # and one line in Hindi


def test_hindi_dates_spell_the_months_right():
    with translation.override("hi"):
        day = formats.date_format(datetime.date(2026, 11, 30), "l, j F Y")
        assert day == "सोमवार, 30 नवंबर 2026"
        assert formats.date_format(datetime.date(2026, 9, 1)) == "1 सितंबर 2026"
        assert formats.date_format(datetime.date(2026, 12, 1)) == "1 दिसंबर 2026"


@pytest.mark.parametrize(
    ("at", "hindi", "english"),
    [
        (datetime.time(9, 0), "सुबह 9:00", "9:00 AM"),
        (datetime.time(12, 30), "दोपहर 12:30", "12:30 PM"),
        (datetime.time(17, 0), "शाम 5:00", "5:00 PM"),
        (datetime.time(20, 15), "रात 8:15", "8:15 PM"),
        (datetime.time(2, 0), "रात 2:00", "2:00 AM"),
    ],
)
def test_times_tell_morning_from_evening(at, hindi, english):
    from teeka.templatetags.clock import clock

    with translation.override("hi"):
        assert clock(at) == hindi
    with translation.override("en"):
        assert clock(at) == english


def test_hindi_time_format_is_never_ambiguous():
    with translation.override("hi"):
        assert formats.time_format(datetime.time(17, 0)) == "17:00"
        assert "बजे" not in formats.time_format(datetime.time(9, 0), "g:i A")


@pytest.mark.browser
def test_error_pages_at_phone_width_in_hindi(live_server, phone, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    phone.context.add_cookies([{"name": "django_language", "value": "hi", "url": live_server.url}])
    for name, url, status in [
        ("404", "/no-such-page/", 404),
        ("500", "/boom/", 500),
        ("503", "/busy/", 503),
    ]:
        response = phone.goto(live_server.url + url)
        assert response.status == status
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        box = (
            phone.get_by_role("link", name="हेल्पलाइन 104 पर फ़ोन करें").bounding_box()
            if status != 404
            else None
        )
        if box:
            assert box["height"] >= 44
        screenshot(phone, f"error-{name}-phone-hi")
