"""Response headers every page gets unless its view says otherwise."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
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

    Never queued: the paths in WAITING_ROOM_OPEN_PATHS (officials' admin and
    check-in, /healthz, /metrics, static files, the SMS gateway, the language
    switch), a request with a pass that let it in, and anyone with a session
    (signed in, or a sign-in code asked for): a journey once begun is never
    interrupted. A POST with any pass of ours goes through too, so what a
    person typed is never lost to the waiting page.

    Placed before CSRF and authentication, so the waiting page costs no more
    than the Redis script: no database query, no session read for a person
    without a session cookie, no session write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.WAITING_ROOM_ACTIVE or request.path_info.startswith(
            settings.WAITING_ROOM_OPEN_PATHS
        ):
            return self.get_response(request)
        held = waiting_room.read_pass(request)
        if (
            held
            and held.admitted
            and (held.age < settings.WAITING_ROOM_PASS_SECONDS or request.method == "POST")
        ):
            return self._let_in(request, held)
        if _has_session(request):
            return self.get_response(request)
        if held and not held.admitted and request.method == "POST":
            return self.get_response(request)
        fresh = held if held and held.age < settings.WAITING_ROOM_PASS_SECONDS else None
        place = waiting_room.enter(fresh.ticket if fresh and not fresh.admitted else None)
        if place.admitted:
            response = self.get_response(request)
            waiting_room.give_pass(response, place.ticket, admitted=True)
            return response
        response = waiting_page(request, place)
        waiting_room.give_pass(response, place.ticket, admitted=False)
        return response

    def _let_in(self, request: HttpRequest, held: waiting_room.Pass) -> HttpResponse:
        waiting_room.touch(held.ticket)
        response = self.get_response(request)
        if held.age > waiting_room.RESIGN_SECONDS:
            waiting_room.give_pass(response, held.ticket, admitted=True)
        return response


def _has_session(request: HttpRequest) -> bool:
    """Signed in, or a sign-in code asked for: a session with something in
    it. Read from Redis (the database if Redis misses), and only for a
    request that brings a session cookie."""
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME) and request.session.keys())
