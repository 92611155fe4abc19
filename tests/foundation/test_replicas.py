"""Which database a read goes to (teeka/replicas.py), against a real streaming
replica: a small primary and a standby made from it with pg_basebackup, on
free ports under a temporary directory, stopped at the end."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest
from django.contrib.auth.models import User
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from dashboard.models import AreaDay
from districts.models import District, OfficialProfile
from registrations.models import Registration
from slots.models import Session
from teeka import replicas

pytestmark = pytest.mark.slow
PG_BIN = Path(max(glob.glob("/usr/lib/postgresql/*/bin"), default="/usr/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*command: str) -> None:
    # PostgreSQL refuses to run its server as root: run it as `postgres` then.
    if os.geteuid() == 0:
        command = ("runuser", "-u", "postgres", "--", *command)
    subprocess.run(command, check=True, capture_output=True, timeout=120)


class Cluster:
    def __init__(self, root: Path, name: str) -> None:
        self.data, self.port = root / name, _free_port()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data.parent} -c fsync=off"
        _run(f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-w", "-o", options, "-l",
             f"{self.data}.log", "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run(f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def sql(self, statement: str) -> object:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres")
        conn.autocommit = True
        with conn, conn.cursor() as cursor:
            cursor.execute(statement)
            row = cursor.fetchone() if cursor.description else None
        conn.close()
        return row[0] if row else None


@pytest.fixture(scope="module")
def pair():
    root = Path(tempfile.mkdtemp(prefix="teeka-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    primary, standby = Cluster(root, "primary"), Cluster(root, "standby")
    try:
        _run(f"{PG_BIN}/initdb", "-D", str(primary.data), "-U", "postgres", "-A", "trust", "-N")
        primary.start()
        _run(f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U",
             "postgres", "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        standby.start()
        _wait(lambda: standby.sql("SELECT count(*) FROM pg_stat_wal_receiver") == 1)
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def replica(pair, settings, django_db_blocker):
    """The standby configured as the `replica` database."""
    _primary, standby = pair
    connections.settings[replicas.REPLICA] = {
        **connections["default"].settings_dict,
        "HOST": "127.0.0.1",
        "PORT": standby.port,
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "OPTIONS": {"connect_timeout": 2},
    }
    settings.TEEKA_REPLICA_MAX_LAG_SECONDS = 30
    replicas.forget_replica_check()
    with django_db_blocker.unblock():
        yield standby
    connections[replicas.REPLICA].close()
    del connections[replicas.REPLICA]
    del connections.settings[replicas.REPLICA]
    replicas.forget_replica_check()


def _reads(method: str = "GET", cookies: dict | None = None) -> dict[str, str]:
    """Where a page marked as replica-eligible reads each model from."""
    seen = {}

    @replicas.replica_reads
    def page(request: HttpRequest) -> HttpResponse:
        for model in (AreaDay, Registration, Session, District, User):
            seen[model.__name__] = router.db_for_read(model)
        seen["profile's districts"] = router.db_for_read(District, instance=OfficialProfile())
        seen["write"] = router.db_for_write(AreaDay)
        return HttpResponse()

    request = RequestFactory().generic(method, "/")
    request.COOKIES.update(cookies or {})
    replicas.forget_replica_check()
    page(request)
    return seen


def test_without_a_replica_every_read_goes_to_the_primary():
    assert replicas.REPLICA not in connections.settings
    assert set(_reads().values()) == {"default"}


def test_a_marked_page_reads_its_data_from_a_fresh_replica(replica):
    reads = _reads()
    assert {reads[m] for m in ("AreaDay", "Registration", "Session", "District")} == {"replica"}
    # Who may see what is read where it is written, and writes go there too.
    assert reads["User"] == reads["profile's districts"] == reads["write"] == "default"


def test_other_reads_and_a_person_who_just_changed_something_stay_on_the_primary(replica):
    assert router.db_for_read(AreaDay) == "default"  # not inside a marked page
    assert set(_reads(method="POST").values()) == {"default"}
    assert set(_reads(cookies={replicas.PIN_COOKIE: "1"}).values()) == {"default"}


def test_a_lagging_replica_is_left_for_the_primary_until_it_catches_up(replica, settings, pair):
    primary, standby = pair
    settings.TEEKA_REPLICA_MAX_LAG_SECONDS = 1
    primary.sql("CREATE TABLE IF NOT EXISTS lag_probe (at timestamptz)")
    _wait(lambda: standby.sql("SELECT to_regclass('lag_probe')") is not None)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        paused_at = time.monotonic()
        _wait(lambda: standby.sql("SELECT pg_is_wal_replay_paused()"))
        time.sleep(1.2)
        primary.sql("INSERT INTO lag_probe VALUES (now())")  # received, not replayed
        _wait(lambda: (replicas.measure_lag() or 0) > 1)
        # The oracle: the replica has replayed nothing since the pause began.
        assert replicas.measure_lag() <= time.monotonic() - paused_at + 1
        assert _reads()["AreaDay"] == "default"
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    _wait(lambda: replicas.measure_lag() == 0)
    assert _reads()["AreaDay"] == "replica"


def test_a_replica_that_does_not_answer_is_left_for_the_primary(replica):
    replica.stop()
    try:
        started = time.monotonic()
        assert _reads()["AreaDay"] == "default"
        assert time.monotonic() - started < 5
    finally:
        replica.start()
        _wait(lambda: replica.sql("SELECT count(*) FROM pg_stat_wal_receiver") == 1)


def test_after_a_post_the_person_is_pinned_to_the_primary_for_the_lag_limit(settings):
    settings.TEEKA_REPLICA_MAX_LAG_SECONDS = 30
    middleware = replicas.PinToPrimaryMiddleware(lambda request: HttpResponse())
    posted = middleware(RequestFactory().post("/checkin/"))
    assert posted.cookies[replicas.PIN_COOKIE]["max-age"] == 30
    assert replicas.PIN_COOKIE not in middleware(RequestFactory().get("/stats/")).cookies


@pytest.mark.parametrize(
    ("url", "marked"),
    [
        ("/dashboard/", True),
        ("/dashboard/export/days.csv", True),
        ("/stats/", True),
        ("/admin/slots/session/1/day-list/", True),
        ("/admin/slots/session/1/day-list.xlsx", True),
        ("/admin/slots/session/1/change/", False),
        ("/checkin/", False),
        ("/my/add/", False),
    ],
)
def test_only_the_pages_that_may_read_a_little_behind_are_marked(url, marked):
    assert getattr(resolve(url).func, "reads_from_replica", False) is marked
