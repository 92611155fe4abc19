"""Reads that may go to a read replica, and when they do.

A view marked `@replica_reads` (the dashboard, /stats/, exports, day lists)
reads from the `replica` database while that is configured and its replay lag
is under TEEKA_REPLICA_MAX_LAG_SECONDS; otherwise, and for every other view,
task and write, Django uses the primary (`default`). Who may see what (users,
sessions, officials' districts) is always read from the primary, so taking a
right away takes effect at once. A person who has just changed something is
pinned to the primary for as long as the replica may lag (a cookie set after
any POST), so what they changed is what they read back.

The lag is PostgreSQL's own: on a standby that is streaming, the age of the
last transaction it replayed, or 0 while it has replayed all it received; a
standby that is not streaming counts as behind by the age of its last replayed
transaction, so a replica cut off from its primary falls out of use. The
answer is kept for a few seconds per process, so a page costs no extra query.
"""

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import Counter

logger = logging.getLogger(__name__)

PRIMARY, REPLICA = "default", "replica"
PIN_COOKIE = "teeka_primary"
# Apps whose rows decide who may see what: read where they are written.
_PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "axes", "contenttypes", "admin"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# On a standby: 0 while it has replayed everything it received, else the age
# of the last transaction it replayed; NULL (unknown) if it has replayed none.
# A server that is not a standby (a test's mirror) is its own truth: 0.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())
END
"""

# Shown at /metrics (teeka/metrics.py): a rise of "default" is a lagging replica.
REPLICA_READS = Counter(
    "teeka_replica_routed_reads_total",
    "Reads of replica-eligible views, by the database that served them.",
    ["database"],
)

_replica_allowed: ContextVar[bool] = ContextVar("teeka_replica_allowed", default=False)
# (monotonic time of the check, whether the replica was fresh then)
_last_check: tuple[float, bool] = (float("-inf"), False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def measure_lag() -> float | None:
    """The replica's replay lag in seconds; None when it cannot answer."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("replica unavailable, reading from the primary: %s", error)
        connections[REPLICA].close()
        return None
    return None if lag is None else float(lag)


def replica_is_fresh() -> bool:
    global _last_check
    checked_at, fresh = _last_check
    now = time.monotonic()
    if now - checked_at < settings.TEEKA_REPLICA_CHECK_SECONDS:
        return fresh
    lag = measure_lag()
    fresh = lag is not None and lag < settings.TEEKA_REPLICA_MAX_LAG_SECONDS
    if not fresh:
        logger.warning("replica lag %s s: reading from the primary", lag)
    _last_check = (now, fresh)
    return fresh


def forget_replica_check() -> None:
    """The next read checks the replica again (tests; a changed setting)."""
    global _last_check
    _last_check = (float("-inf"), False)


class ReplicaRouter:
    """Primary for everything, except reads inside `replica_reads` while
    the replica is fresh. Both databases hold the same rows, so relations
    between objects read from either are allowed; migrations run on the primary
    (the replica follows it)."""

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        instance = hints.get("instance")
        if (
            _replica_allowed.get()
            and not _decides_access(model)
            # An official's districts are read through their profile.
            and not (instance is not None and _decides_access(type(instance)))
            and replica_configured()
        ):
            return REPLICA if _read_replica() else PRIMARY
        return PRIMARY

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == PRIMARY


def _decides_access(model: type[Model]) -> bool:
    return model._meta.app_label in _PRIMARY_ONLY_APPS or model._meta.model_name.startswith(
        "officialprofile"
    )


def _read_replica() -> bool:
    fresh = replica_is_fresh()
    REPLICA_READS.labels(database=REPLICA if fresh else PRIMARY).inc()
    return fresh


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Lets a read-only view read from the replica (see the module's doc).

    A lazy response is rendered inside, so its template's queries go to the
    replica too. A row the replica does not have yet (a 404) is looked for
    again on the primary.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method not in _SAFE_METHODS or PIN_COOKIE in request.COOKIES:
            return view(request, *args, **kwargs)
        token = _replica_allowed.set(True)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response
        except Http404:
            _replica_allowed.reset(token)
            token = None
            return view(request, *args, **kwargs)
        finally:
            if token is not None:
                _replica_allowed.reset(token)

    # Copied onto the decorators outside (functools.wraps), so a test can list
    # the pages that may read a little behind.
    wrapper.reads_from_replica = True
    return wrapper


class PinToPrimaryMiddleware:
    """After a request that may have changed something, the person's reads stay
    on the primary for as long as the replica may lag behind it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in _SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.TEEKA_REPLICA_MAX_LAG_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
