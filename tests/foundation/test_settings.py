"""Production refuses to start without its secrets, and passes Django's
deployment checklist; the embedded default runs from nothing."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#Qp2!vZ9rT4wX8yB1nM6cF3hJ0gL5dS-aE_uR(iO)pW+tY=zK",
    "ID_HASH_KEY": "a separate long random key for the ID hashes",
    "ALLOWED_HOSTS": "teeka.example.in",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/teeka",
}


def _manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_refuses_to_start_without_an_id_hash_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "ID_HASH_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ID_HASH_KEY" in result.stderr


def test_a_malformed_setting_is_refused_loudly():
    result = _manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


SQLITE_DUPLICATE_CHECK = """
from registrations.models import Registration
from registrations.services import PersonDetails, register_person
from registrations.models import Account
first = Registration.objects.select_related("locality").first()
details = PersonDetails(
    name="Another Name", gender="F", birth_year=1970, id_type="VOTER", id_number="ABC1234567",
    priority=5, district_id=first.district_id, area_id=first.area_id,
    locality_id=first.locality_id, address_line="", pincode="",
)
register_person(account=Account.objects.create(mobile="+919812345678"), details=details)
try:
    register_person(account=Account.objects.create(mobile="+919812345679"), details=details)
except Exception as error:
    print(type(error).__name__)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_embedded_default_migrates_loads_seeds_and_serves(tmp_path):
    env = {"TEEKA_VAR_DIR": str(tmp_path)}
    for step in (
        ["migrate", "--noinput"],
        ["load_geography"],
        ["seed_demo", "--registrations", "200"],
    ):
        result = _manage(*step, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "teeka.sqlite3").exists()
    # SQLite words its constraint errors differently; a citizen must still get
    # "already registered", not an error page.
    result = _manage("shell", "-c", SQLITE_DUPLICATE_CHECK, env=env)
    assert "AlreadyRegistered" in result.stdout, result.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the embedded default did not start serving")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(10)


def test_the_production_topology_configures_from_its_environment():
    # deploy/teeka.env.example's shape: PgBouncer, a replica, Redis through
    # three Sentinels with a password on the master.
    env = {
        **PRODUCTION,
        "REPLICA_DATABASE_URL": "postgres://reader@127.0.0.1:6432/teeka_replica",
        "REDIS_URL": "redis://:s3cret@teeka/2",
        "REDIS_SENTINELS": "10.0.1.20:26379,10.0.1.21:26379,10.0.1.22:26379",
    }
    shown = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; import json; print(json.dumps(["
        "s.CELERY_BROKER_URL, s.CELERY_BROKER_TRANSPORT_OPTIONS['master_name'],"
        "s.CACHES['default']['LOCATION'], s.DATABASES['replica']['NAME'],"
        "s.DATABASES['replica']['TEST'], s.DATABASE_ROUTERS,"
        "'teeka.replicas.PinToPrimaryMiddleware' in s.MIDDLEWARE]))",
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    last_line = shown.stdout.strip().splitlines()[-1]
    broker, master, cache, replica, test, routers, pinned = json.loads(last_line)
    assert broker.split(";") == [f"sentinel://:s3cret@10.0.1.{n}:26379/2" for n in (20, 21, 22)]
    assert master == "teeka"
    assert cache == ["redis://:s3cret@teeka/2"]
    assert replica == "teeka_replica" and test["MIRROR"] == "default"
    assert routers == ["teeka.replicas.ReplicaRouter"] and pinned
