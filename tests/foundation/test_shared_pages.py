"""The home and sign-in pages are kept ready for visitors they are the same
for (teeka/shared_pages.py), and nobody can tell: each visitor's forms carry
their own CSRF token and post, each language gets its own page, and anyone
the page is not the same for (signed in, half-way through signing in, a
message waiting, a query string) gets theirs drawn for them."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.registrations.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    # The per-address limits on asking for codes live there.
    cache.clear()


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _visitor(**headers) -> Client:
    # As a browser: the CSRF token is checked, as in production.
    return Client(enforce_csrf_checks=True, **headers)


def _tokens(page: str) -> set[str]:
    return set(TOKEN.findall(page))


@pytest.mark.parametrize("path", ["/", "/sign-in/"])
def test_each_visitor_gets_their_own_token_on_a_kept_page(path):
    first, second = _visitor(), _visitor()
    pages = [first.get(path).content.decode(), second.get(path).content.decode()]
    first_tokens, second_tokens = (_tokens(page) for page in pages)
    # One token per page, in every form of it, and not the other visitor's.
    assert len(first_tokens) == len(second_tokens) == 1
    assert first_tokens != second_tokens
    assert TOKEN.sub("", pages[0]) == TOKEN.sub("", pages[1])
    assert "csrftoken" in first.cookies and "csrftoken" in second.cookies


def test_the_second_visitor_signs_in_with_the_form_of_the_kept_page():
    _visitor().get("/sign-in/")
    visitor = _visitor()
    (token,) = _tokens(visitor.get("/sign-in/").content.decode())
    response = visitor.post("/sign-in/", {"mobile": "98123 45678", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response.url == reverse("registrations:sign_in_code")


def test_the_language_switch_of_a_kept_page_works():
    _visitor().get("/")
    visitor = _visitor()
    (token,) = _tokens(visitor.get("/").content.decode())
    response = visitor.post(
        "/i18n/setlang/", {"language": "hi", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert 'lang="hi"' in visitor.get("/").content.decode()


@pytest.mark.parametrize("path", ["/", "/sign-in/"])
def test_each_language_gets_its_own_page(path):
    english = _visitor().get(path).content.decode()
    hindi = _visitor(headers={"accept-language": "hi"}).get(path).content.decode()
    again = _visitor().get(path).content.decode()
    assert 'lang="en"' in english and 'lang="en"' in again
    assert 'lang="hi"' in hindi
    assert "Sign in" not in hindi and "टीका" in hindi


def test_a_signed_in_person_is_sent_to_their_account_not_given_the_kept_page(client):
    _visitor().get("/sign-in/")
    sign_in(client, "98123 45678")
    response = client.get("/sign-in/")
    assert response.status_code == 302
    assert response.url == reverse("registrations:account")


def test_a_waiting_message_is_shown_on_the_page():
    _visitor().get("/")
    visitor = _visitor()
    # A message left for the next page, in the messages cookie (no session).
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.INFO, "Your code has expired.")
    carrier = HttpResponse()
    storage.update(carrier)
    visitor.cookies["messages"] = carrier.cookies["messages"].value
    assert "Your code has expired." in visitor.get("/").content.decode()


def test_a_query_string_gets_its_own_page():
    # The language switch comes back to the page as it was asked for.
    _visitor().get("/")
    page = _visitor().get("/?from=sms").content.decode()
    assert 'name="next" value="/?from=sms"' in page


@pytest.mark.parametrize("path", ["/", "/sign-in/"])
def test_the_second_visitor_gets_the_kept_page_without_drawing_it(path):
    assert _visitor().get(path).templates
    assert _visitor().get(path).templates == []


def test_the_kept_header_and_footer_are_in_each_pages_language():
    english = _visitor().get("/help/").content.decode()
    hindi = _visitor(headers={"accept-language": "hi"}).get("/help/").content.decode()
    english_again = _visitor().get("/help/").content.decode()
    for page in (english, english_again):
        assert "Skip to content" in page and "Government of Chhattisgarh" in page
        assert 'name="language" value="hi"' in page
    assert "Skip to content" not in hindi and "Government of" not in hindi
    assert "टीका" in hindi and 'name="language" value="en"' in hindi


def test_the_language_switch_comes_back_to_each_page():
    # The header is kept; where the switch comes back to is each page's own.
    for path in ("/help/", "/how-slots-are-allotted/", "/sign-in/code/"):
        page = _visitor().get(path, follow=True)
        assert f'name="next" value="{page.request["PATH_INFO"]}"' in page.content.decode()
