"""Response headers every page gets unless its view says otherwise."""

import functools
from collections.abc import Callable

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control

from . import waiting_room
from .views import waiting_page


class PrivateByDefaultMiddleware:
    """`Cache-Control: private, no-store` on every answer whose view set no
    caching of its own: the officials' lists, day lists, dashboard and its
    downloads, the check-in pages and the citizens' own pages show a person
    or a count that no shared cache (nor the browser's disk on an office
    computer) should keep. Pages meant to be cached say so (the place lists'
    `cache_control(public=True)`); static files never reach here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class WaitingRoomMiddleware:
    """When the server is full, a first visit waits its turn (teeka.waiting_room).

    Who is never queued is `waiting_room.sort`'s to say: the open paths, a
    pass that let its holder in, anyone with a session (signed in, or a
    sign-in code asked for: a journey once begun is never interrupted), a
    POST with any pass of ours.

    In production the WSGI door (teeka.door) has already answered the
    waiting pages before Django's middleware, and left the place of a
    person it let in in the request (`waiting_room.ENTERED`); this
    middleware decides for a request that did not come through the door
    (the test client, `runserver`), and for a session cookie whose session
    turned out empty. Placed before CSRF and authentication, so the waiting
    page costs no more than the Redis script: no database query, no session
    read for a person without a session cookie, no session write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.WAITING_ROOM_ACTIVE:
            return self.get_response(request)
        entered = request.META.pop(waiting_room.ENTERED, None)
        if entered is not None:
            return self._first_page(request, entered)
        asking = waiting_room.sort(request)
        if asking.way is waiting_room.Way.SESSION:
            if _has_session(request):
                return self.get_response(request)
            asking = waiting_room.without_session(asking.held, request.method == "POST")
        if asking.way is waiting_room.Way.OPEN:
            return self.get_response(request)
        if asking.way is waiting_room.Way.LET_IN:
            return self._let_in(request, asking.held)
        place = waiting_room.enter(asking.ticket)
        if place.admitted:
            return self._first_page(request, place)
        response = waiting_page(request, place)
        waiting_room.give_pass(response, place.ticket, admitted=False)
        return response

    def _first_page(self, request: HttpRequest, place: waiting_room.Place) -> HttpResponse:
        response = self.get_response(request)
        waiting_room.touch(place.ticket, answered=True)
        waiting_room.give_pass(response, place.ticket, admitted=True)
        return response

    def _let_in(self, request: HttpRequest, held: waiting_room.Pass) -> HttpResponse:
        waiting_room.touch(held.ticket)
        response = self.get_response(request)
        waiting_room.touch(held.ticket, answered=True)
        if held.age > waiting_room.RESIGN_SECONDS:
            waiting_room.give_pass(response, held.ticket, admitted=True)
        return response


def _has_session(request: HttpRequest) -> bool:
    """Signed in, or a sign-in code asked for: a session with something in
    it. Read from Redis (the database if Redis misses), and only for a
    request that brings a session cookie."""
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME) and request.session.keys())


# What a view may set to change its own policy (csp.decorators).
_PER_VIEW_POLICY = tuple(
    f"_csp_{what}{ro}" for what in ("config", "update", "replace") for ro in ("", "_ro")
)


@functools.cache
def _settings_policies() -> tuple[str, str]:
    """The policy and the report-only policy the settings give: the same for
    every page without a nonce or a view's own changes."""
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.cache_clear()


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, with the settings' policy built once per process.

    django-csp builds the header afresh for every response (its policy
    dataclasses copied and joined twice over: a third of what the whole
    middleware stack cost on a citizen's page). Every page of ours but one
    with a nonce or a view's own policy gets the same header, so that one is
    kept; the others go through django-csp as before."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        custom = getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _PER_VIEW_POLICY
        )
        if custom or (settings.DEBUG and response.status_code in (404, 500)):
            return super().process_response(request, response)
        policy, report_only = _settings_policies()
        for header, value, exempt, prefixes_from in (
            (HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                HEADER_REPORT_ONLY,
                report_only,
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            prefixes = (getattr(settings, prefixes_from, None) or {}).get("EXCLUDE_URL_PREFIXES")
            if (
                value
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(tuple(prefixes or ()))
            ):
                response[header] = value
        # As django-csp does: a nonce asked for after the header is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
