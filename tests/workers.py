"""A real Celery worker process for the tests that need one, on the test
database and a Redis of the test's choosing."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    user, host, port = db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def start_worker(redis_url: str, **env) -> subprocess.Popen:
    """A real Celery worker process on the test database and `redis_url`,
    taking both queues (allocations and SMS)."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "SMS_FILE_PATH": str(settings.SMS_FILE_PATH),
        "SMS_BACKEND": settings.SMS_BACKEND,
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "teeka", "worker", "-Q", "celery,sms"]
        + ["-c", "2", "-l", "warning"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False
