"""Every page of a citizen's journey keeps its security headers, the
Content-Security-Policy among them, now that the policy is built once per
process (teeka.middleware.CSPMiddleware), and follows the settings."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.registrations.helpers import form_payload, sign_in

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _policy(response) -> set[str]:
    return {part.strip() for part in response["Content-Security-Policy"].split(";")}


def _journey(client, place) -> list:
    """The pages of benchmarks/journey.py, in its order."""
    pages = [client.get("/"), client.get(reverse("registrations:sign_in"))]
    pages.append(client.post(reverse("registrations:sign_in"), {"mobile": "98123 45678"}))
    pages.append(client.get(reverse("registrations:sign_in_code")))
    pages.append(sign_in(client, "98123 45678"))
    pages.append(client.get(reverse("registrations:account")))
    pages.append(client.get(reverse("registrations:add_person")))
    pages.append(client.get(f"/places/areas/?district={place.area.district_id}"))
    pages.append(client.get(f"/places/localities/?area={place.area_id}"))
    registered = client.post(reverse("registrations:add_person"), form_payload(place))
    pages += [registered, client.get(registered.url), client.get(reverse("registrations:account"))]
    return pages


def test_every_page_of_the_journey_has_the_policy_and_the_other_headers(client, raipur_village):
    for response in _journey(client, raipur_village):
        assert _policy(response) == POLICY, response
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_the_policy_follows_the_settings(client, settings):
    client.get("/")
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert _policy(client.get("/")) == {"default-src 'none'"}


def test_a_staff_session_ends_after_the_staff_idle_time(client, raipur_official, settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    settings.STAFF_IDLE_SECONDS = 30 * 60
    client.post(
        reverse("admin:login"),
        {"username": raipur_official.username, "password": "correct horse battery"},
    )
    assert client.session.get("_auth_user_id") == str(raipur_official.pk)
    assert client.session.get_expiry_age() == 30 * 60
    client.get(reverse("admin:index"))
    assert client.session.get_expiry_age() == 30 * 60
