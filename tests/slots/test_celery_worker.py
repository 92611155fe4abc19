"""A real Celery worker, started as a separate process, takes the allocation
tasks from Redis and allots two small districts end to end."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from slots.models import Appointment
from teeka.celery import app

from .conftest import person, session_at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user, host, port = db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker():
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL")
    redis.Redis.from_url(settings.REDIS_URL).delete("celery")  # stale tasks of earlier runs
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "teeka", "worker", "-c", "2", "-l", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_a_worker_allots_every_district_from_the_beat_task(places, worker):
    session_at(places.home, capacity=3)
    session_at(places.elsewhere, capacity=2)
    raipur = [person(places.home) for _ in range(4)]
    bastar = [person(places.elsewhere) for _ in range(2)]

    with app.connection_for_write(settings.REDIS_URL) as conn:
        app.send_task("slots.tasks.allocate_all_districts", connection=conn)

    done = _wait_for(lambda: Appointment.objects.count() == 5)
    assert done, worker.stderr.read1().decode() if worker.poll() is not None else "timed out"
    served = set(Appointment.objects.values_list("registration_id", flat=True))
    assert {p.pk for p in raipur[:3] + bastar} == served
