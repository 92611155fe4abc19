"""The waiting room's door, in front of Django (teeka/wsgi.py wraps the
application in it).

On launch day most requests are waiting pages: first visits and the pages
in line refreshing themselves. Each is one Redis script and a page made
from a skeleton (teeka.views.waiting_page), well under a millisecond; made
by Django's handler and its whole middleware stack it cost about 1.5 ms of
CPU. So the door answers them itself: it reads the path, the method and
the cookies (`waiting_room.sort`, the same sorting as the middleware) and,
for a request the room decides, asks Redis. A person it lets in goes on to
Django with their place in the request (`waiting_room.ENTERED`), where the
middleware gives them their pass; everything else goes to Django untouched
and is decided there (a session cookie: only the session says whether it
holds anything).

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


def _the_page(request: HttpRequest) -> HttpResponse:
    return request.waiting_page


# What Django's middleware adds to every page, for the waiting page alone.
_headers = SecurityMiddleware(CSPMiddleware(XFrameOptionsMiddleware(_the_page)))


class WaitingRoomDoor:
    def __init__(self, application: Callable) -> None:
        self.application = application

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not settings.WAITING_ROOM_ACTIVE:
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        if not self._ours(request):
            return self.application(environ, start_response)
        asking = waiting_room.sort(request)
        if asking.way is not waiting_room.Way.ENTER:
            return self.application(environ, start_response)
        place = waiting_room.enter(asking.ticket)
        if place.admitted:
            environ[waiting_room.ENTERED] = place
            return self.application(environ, start_response)
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

    @staticmethod
    def _ours(request: WSGIRequest) -> bool:
        """Not a request Django answers before any page: a host it does not
        serve (400), or plain HTTP where HTTPS is required (a redirect)."""
        try:
            request.get_host()
        except DisallowedHost:
            return False
        return request.is_secure() or not settings.SECURE_SSL_REDIRECT
