"""A circuit breaker for the cache's Redis connections.

A Redis that is down refuses at once, but a frozen one (a stopped process, a
dead network path) accepts the connection and never answers: each call then
waits out its socket timeout. A page makes several cache calls (the session,
the sign-in limits), so after one failure this process skips Redis for
OPEN_SECONDS: calls fail at once, django-redis turns that into "not there"
(IGNORE_EXCEPTIONS), and pages go on from the database. One log line per trip.
"""

import logging
import threading
import time

from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.sentinel import SentinelManagedConnection

logger = logging.getLogger(__name__)

OPEN_SECONDS = 5.0
_lock = threading.Lock()
_open_until = 0.0


def is_open() -> bool:
    return time.monotonic() < _open_until


def trip(error: Exception) -> None:
    global _open_until
    with _lock:
        if not is_open():
            logger.error("Redis failed (%s); skipping it for %.0f s", error, OPEN_SECONDS)
        _open_until = time.monotonic() + OPEN_SECONDS


def reset() -> None:
    global _open_until
    _open_until = 0.0


class BreakerMixin:
    """Fails fast while the breaker is open; trips it on a failed call."""

    def _guard(self) -> None:
        if is_open():
            self.disconnect()
            raise RedisConnectionError("Redis skipped after a recent failure")

    def connect(self) -> None:
        self._guard()
        try:
            super().connect()
        except (RedisConnectionError, RedisTimeoutError) as error:
            trip(error)
            raise

    def send_packed_command(self, command, check_health: bool = True) -> None:
        self._guard()
        try:
            super().send_packed_command(command, check_health)
        except (RedisConnectionError, RedisTimeoutError) as error:
            trip(error)
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as error:
            trip(error)
            raise


class BreakerConnection(BreakerMixin, Connection):
    pass


class SentinelBreakerConnection(BreakerMixin, SentinelManagedConnection):
    """The same for a master found through Sentinel (REDIS_SENTINELS)."""
