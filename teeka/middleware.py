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
