import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import outbox

logger = logging.getLogger(__name__)


@require_GET
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

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=settings.REDIS_TIMEOUT,
            socket_connect_timeout=settings.REDIS_TIMEOUT,
        )
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
