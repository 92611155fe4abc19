"""The waiting room's door: the waiting pages answered without Django's
handler, its middleware or the database.

On launch day most requests are waiting pages: first visits and the pages
in line refreshing themselves. Each is one Redis script and a page made
from a skeleton (teeka.views.waiting_page), well under a millisecond; made
by Django's handler and its whole middleware stack it cost about 1.5 ms of
CPU, and made by the journeys' own workers it waits for one of them to be
free. So the door answers them, in one of two places:

- `DoorPool`, a process pool of its own (teeka/door_wsgi.py,
  deploy/gunicorn-door.conf.py) that nginx sends every GET or HEAD without a
  session cookie or a pass that let its holder in (deploy/nginx/teeka.conf).
  A waiting page it answers itself; a request it lets in, or that is not
  the room's business (an official's page, a host Django does not serve),
  it hands to Django's workers through nginx (`X-Accel-Redirect` to the
  `@teeka_django` location, the same request with its method, address and
  cookies), with its word in `X-Teeka-Entered` for a person let in: their
  place, signed.
- `WaitingRoomDoor`, around Django's application in each web worker
  (teeka/wsgi.py): it takes the door pool's word, and decides itself for a
  request that did not come through the door pool (a POST without a
  session or a pass, the door pool down, a web node without nginx in front).

Both read the path, the method and the cookies (`waiting_room.sort`, the
same sorting as the middleware) and, for a request the room decides, ask
Redis. A person let in goes on to Django with their place in the request
(`waiting_room.ENTERED`), where the middleware gives them their pass;
everything else goes to Django untouched and is decided there (a session
cookie: only the session says whether it holds anything).

The waiting page keeps the headers every page gets (security, CSP, no
framing) through the same Django middlewares, run on it alone. A request
that Django would refuse or redirect first (a host not allowed, plain HTTP
when HTTPS is required) goes to Django.
"""

from collections.abc import Callable, Iterable

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import translation

from . import waiting_room
from .views import waiting_page

# nginx's named location that proxies to Django's workers (teeka.conf).
TO_DJANGO = "@teeka_django"
# The door pool's word that it let this person in: their pass, signed.
ENTERED_HEADER = "X-Teeka-Entered"
_ENTERED_META = "HTTP_" + ENTERED_HEADER.upper().replace("-", "_")


def _the_page(request: HttpRequest) -> HttpResponse:
    return request.waiting_page


# What Django's middleware adds to every page, for the waiting page alone.
_headers = SecurityMiddleware(CSPMiddleware(XFrameOptionsMiddleware(_the_page)))


def _asking(request: WSGIRequest) -> waiting_room.Asking | None:
    """How the room sorts a request, if it is the room's to decide."""
    if not settings.WAITING_ROOM_ACTIVE or not _ours(request):
        return None
    asking = waiting_room.sort(request)
    return asking if asking.way is waiting_room.Way.ENTER else None


def _ours(request: WSGIRequest) -> bool:
    """Not a request Django answers before any page: a host it does not
    serve (400), or plain HTTP where HTTPS is required (a redirect)."""
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return request.is_secure() or not settings.SECURE_SSL_REDIRECT


def _waiting(
    request: WSGIRequest, place: waiting_room.Place, start_response: Callable
) -> Iterable[bytes]:
    language = translation.get_language_from_request(request)
    with translation.override(language):
        request.waiting_page = waiting_page(request, place, language)
        response = _headers(request)
    waiting_room.give_pass(response, place.ticket, admitted=False)
    start_response(
        f"{response.status_code} {response.reason_phrase}",
        [
            *response.items(),
            *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
        ],
    )
    return [response.content]


class WaitingRoomDoor:
    """The door in each web worker, around Django's application."""

    def __init__(self, application: Callable) -> None:
        self.application = application

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not settings.WAITING_ROOM_ACTIVE:
            return self.application(environ, start_response)
        entered = self._door_pools_word(environ)
        if entered is not None:
            environ[waiting_room.ENTERED] = waiting_room.Place(entered, 0)
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        asking = _asking(request)
        if asking is None:
            return self.application(environ, start_response)
        place = waiting_room.enter(asking.ticket)
        if place.admitted:
            environ[waiting_room.ENTERED] = place
            return self.application(environ, start_response)
        return _waiting(request, place, start_response)

    @staticmethod
    def _door_pools_word(environ: dict) -> int | None:
        """The ticket the door pool let in, if its word is genuine and
        fresh (a request is stopped long before: nginx's read timeout)."""
        word = environ.pop(_ENTERED_META, "")
        held = waiting_room.unsign_pass(word) if word else None
        if held and held.admitted and held.age < waiting_room.IN_FLIGHT_SECONDS:
            return held.ticket
        return None


class DoorPool:
    """The door alone, in a process pool of its own behind nginx: no
    Django handler, no middleware, no database."""

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = WSGIRequest(environ)
        asking = _asking(request)
        if asking is None:
            return self._to_django(start_response)
        place = waiting_room.enter(asking.ticket)
        if place.admitted:
            # Counted as in while nginx waits for one of Django's workers.
            waiting_room.touch(place.ticket)
            return self._to_django(start_response, entered=place.ticket)
        return _waiting(request, place, start_response)

    @staticmethod
    def _to_django(start_response: Callable, entered: int | None = None) -> Iterable[bytes]:
        """nginx sends the same request on to Django's workers (as a GET:
        nginx makes it one, and only GETs and HEADs come here)."""
        headers = [("X-Accel-Redirect", TO_DJANGO), ("Content-Length", "0")]
        if entered is not None:
            word = waiting_room.sign_pass(entered, admitted=True)
            headers.append((ENTERED_HEADER, word))
        start_response("200 OK", headers)
        return []
