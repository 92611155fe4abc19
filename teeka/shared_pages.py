"""Public pages that are the same for every visitor in a language (the home
page, the sign-in page), kept ready in each web process for a minute.

Every journey begins with them, before any session exists, and drawing them
afresh was most of their cost. Only a visitor they are truly the same for
gets the kept copy: a GET of the bare path (no query string), with no
session cookie (so nobody signed in, nor half-way through signing in, nor
with messages kept in a session) and no messages cookie. Everyone else gets
the page drawn for them, as before.

The one thing on these pages that is each visitor's own is the CSRF token of
their forms (the language switch, the sign-in form): one token per page, the
same in every form of it. The copy is kept with a placeholder where the
token was, and each visitor gets their own token in its place, as
`{% csrf_token %}` would have given it (which also sets their CSRF cookie,
as before).
"""

import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

KEEP_SECONDS = 60

# Where {% csrf_token %} puts the token (letters and digits only).
_TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
# Never in a page: braces are neither in a token nor left unescaped by us.
_PLACEHOLDER = "{csrf-token}"

_store: dict[tuple[str, str], tuple[float, str]] = {}


def _same_for_everyone(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
    )


def _keepable(response: HttpResponse) -> str | None:
    """The page with its token taken out, if it is an ordinary page."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    page = response.content.decode()
    found = _TOKEN_INPUT.search(page)
    return page.replace(found.group(1), _PLACEHOLDER) if found else page


def shared_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's page as drawn for this path and language in the last
    minute, for a visitor it is the same for."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _same_for_everyone(request):
            return view(request, *args, **kwargs)
        key, now = (request.path, get_language()), time.monotonic()
        kept = _store.get(key)
        if kept is not None and kept[0] > now:
            return HttpResponse(kept[1].replace(_PLACEHOLDER, get_token(request)))
        response = view(request, *args, **kwargs)
        page = _keepable(response)
        if page is not None:
            _store[key] = (now + KEEP_SECONDS, page)
        return response

    return wrapper


def forget() -> None:
    _store.clear()
