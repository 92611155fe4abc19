"""The waiting room on its own redis-server, which a test may stop or freeze."""

import pytest

from teeka import redis_breaker, waiting_room
from tests.faults.conftest import OwnRedis


@pytest.fixture
def room(tmp_path, settings):
    """The waiting room on, for two people at once, on its own Redis; a
    person let in stops counting 1 s after their last request."""
    server = OwnRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    settings.SESSION_ENGINE = "teeka.sessions"
    settings.WAITING_ROOM_ACTIVE = 2
    settings.WAITING_ROOM_IDLE_SECONDS = 1
    settings.WAITING_ROOM_REFRESH_SECONDS = (1, 10)
    settings.WAITING_ROOM_FALLBACK_ACTIVE = 1
    redis_breaker.reset()
    waiting_room.reset_local_room()
    yield server
    server.stop()
    redis_breaker.reset()
    waiting_room.reset_local_room()
