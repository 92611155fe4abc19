"""Services broken for real: a redis-server of the test's own, stopped and
frozen; a Celery worker process; the clock of a request."""

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from kombu import pools

from teeka import redis_breaker
from teeka.celery import app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server on a free port that the test can stop, start, freeze
    (SIGSTOP: the port still accepts connections, nothing answers) and thaw."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=0.5)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.thaw()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


def _use_broker(url: str) -> None:
    """Celery's broker, with fresh connection pools (kombu keeps them
    process-wide, keyed by connection)."""
    pools.reset()
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis(tmp_path, settings):
    """The app pointed at its own Redis: cache, sessions and Celery's broker."""
    server = OwnRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    settings.SESSION_ENGINE = "teeka.sessions"
    previous = app.conf.broker_url
    _use_broker(server.url)
    redis_breaker.reset()
    yield server
    server.stop()
    _use_broker(previous)
    redis_breaker.reset()


def timed(call, *args, **kwargs):
    """The response and how long it took, in seconds."""
    start = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - start
