import functools
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import outbox, waiting_room
from .shared_pages import shared_page

logger = logging.getLogger(__name__)


@require_GET
@shared_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "teeka/home.html")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _redis_ok() -> bool | None:
    """Redis (cache, sessions' fast copy, Celery's broker), asked directly
    with the app's own short timeout: a frozen Redis must not freeze this."""
    if not settings.REDIS_URL:
        return None
    import redis
    from redis.connection import parse_url
    from redis.sentinel import Sentinel

    try:
        timeouts = {
            "socket_timeout": settings.REDIS_TIMEOUT,
            "socket_connect_timeout": settings.REDIS_TIMEOUT,
        }
        if settings.REDIS_SENTINELS:  # the master the Sentinels name now
            url = parse_url(settings.REDIS_URL)
            master = {k: url[k] for k in ("username", "password", "db") if k in url}
            sentinel = Sentinel(settings.REDIS_SENTINELS, **timeouts)
            client = sentinel.master_for(settings.REDIS_SENTINEL_MASTER, **timeouts, **master)
        else:
            client = redis.Redis.from_url(settings.REDIS_URL, **timeouts)
        return bool(client.ping())
    except redis.RedisError:
        logger.warning("healthz: redis check failed", exc_info=True)
        return False


def _sms_state() -> dict | None:
    """Counts, not a verdict: a gateway that is down shows as messages
    overdue (due over 15 minutes ago and still waiting) and expired."""
    try:
        return {"overdue": outbox.overdue_count(), "expired": outbox.undelivered_count()}
    except DatabaseError:
        return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Which part is down: the database and Redis each say ok or not (503 if
    either is down); the SMS outbox gives its counts."""
    checks = {"database": _database_ok()}
    redis_state = _redis_ok()
    if redis_state is not None:
        checks["redis"] = redis_state
    healthy = all(checks.values())
    down = [part for part, ok in checks.items() if not ok]
    body = {"status": "ok" if healthy else "unavailable", "checks": checks, "down": down}
    if checks["database"]:
        body["sms"] = _sms_state()
    return JsonResponse(body, status=200 if healthy else 503)


# Error pages -------------------------------------------------------------------
# The 500 and 503 pages are rendered from settings alone: no database, no
# session, no context processors (any of them may be what failed). The page is
# in the visitor's language, from the language cookie or the browser, with one
# line in the other language for whoever cannot read it.

RETRY_AFTER_SECONDS = 60


def _visitor_language(request: HttpRequest | None) -> str:
    if request is None:
        return settings.LANGUAGE_CODE
    try:
        return translation.get_language_from_request(request)
    except Exception:  # a malformed header must not break the error page
        logger.exception("error page: could not read the visitor's language")
        return settings.LANGUAGE_CODE


def _stylesheet() -> str | None:
    # The manifest storage raises for a file it does not list (collectstatic
    # not run): the page then goes without styles rather than fail.
    try:
        return static("teeka/site.css")
    except ValueError:
        return None


def render_error_page(request: HttpRequest | None, *, status: int) -> HttpResponse:
    """The 500 or 503 page (templates/500.html, 503.html) for `request`."""
    language = _visitor_language(request)
    context = {
        "STATE_NAME": settings.TEEKA_STATE_NAME,
        "HELPLINE": settings.TEEKA_HELPLINE,
        "stylesheet": _stylesheet(),
        "status": status,
    }
    other = "en" if language.startswith("hi") else "hi"
    with translation.override(other):
        line = loader.render_to_string("teeka/_error_in_other_language.html", context)
    with translation.override(language):
        body = loader.render_to_string(
            f"{status}.html", {**context, "other_language": SafeString(line)}
        )
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Content-Language"] = language
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500."""
    return render_error_page(request, status=500)


def service_unavailable(request: HttpRequest | None = None) -> HttpResponse:
    """The 503 page, for a part that cannot serve while a service it needs
    (the database, Redis) is down; it asks the browser to retry in a minute."""
    return render_error_page(request, status=503)


def waiting_page(
    request: HttpRequest, place: waiting_room.Place, language: str | None = None
) -> HttpResponse:
    """The waiting room's page, in the visitor's language (the active one
    unless given) with the other one below it: no database, no session, no
    context processors. It refreshes itself (no JavaScript) at the address
    the person asked for. On launch day it is asked for many times a second,
    so it is a skeleton rendered once (`_waiting_skeleton`) with the numbers
    and the address put in: about 20 times cheaper than rendering it."""
    language = language or translation.get_language()
    again = request.get_full_path() if request.method == "GET" else request.path
    minutes = place.minutes()
    style = (settings.TEEKA_STATE_NAME, settings.TEEKA_HELPLINE, _stylesheet())
    skeleton = _waiting_skeleton(language, place.exact, minutes == 1, place.refresh == 1, *style)
    if skeleton is None:
        with translation.override(language):
            body = _render_waiting(place, minutes, again, language)
    else:
        body = (
            skeleton.replace(_MARKS[0], str(place.ahead))
            .replace(_MARKS[1], str(minutes))
            .replace(_MARKS[2], str(place.refresh))
            .replace(_MARKS[3], escape(again))
        )
    response = HttpResponse(body)
    response["Content-Language"] = language
    patch_cache_control(response, private=True, no_store=True)
    return response


# Where the skeleton's numbers and address go: values no page shows (a count
# of 1 is rendered as itself: its plural form differs).
_MARKS = ("987000001", "987000002", "987000003", "/987000004/")


@functools.lru_cache(maxsize=64)
def _waiting_skeleton(
    language: str, exact: bool, one_minute: bool, one_second: bool, *style: object
) -> str | None:
    """The waiting page with marks for its numbers, per language, per whether
    the line can be counted and per plural form of its two counts (`style`:
    what else it shows, so a change of settings renders it again). None if a
    mark did not come through as written (a number formatted otherwise)."""
    ahead, minutes, refresh, again = _MARKS
    place = waiting_room.Place(
        0, int(ahead), refresh=1 if one_second else int(refresh), exact=exact
    )
    with translation.override(language):
        body = _render_waiting(place, 1 if one_minute else int(minutes), again, language)
    wanted = [again] + [ahead] * exact + [minutes] * (exact and not one_minute)
    wanted += [refresh] * (not one_second)
    return body if all(mark in body for mark in wanted) else None


def _render_waiting(place: waiting_room.Place, minutes: int, again: str, language: str) -> str:
    other = "en" if language.startswith("hi") else "hi"
    context = {
        "place": place,
        "minutes": minutes,
        "refresh": place.refresh,
        "again": again,
        "STATE_NAME": settings.TEEKA_STATE_NAME,
        "HELPLINE": settings.TEEKA_HELPLINE,
        "stylesheet": _stylesheet(),
        "other": other,
    }
    with translation.override(other):
        below = {**context, "heading": "h2"}
        context["other_text"] = loader.render_to_string("teeka/_waiting_text.html", below)
    context["heading"] = "h1"
    return loader.render_to_string("teeka/waiting.html", context)
