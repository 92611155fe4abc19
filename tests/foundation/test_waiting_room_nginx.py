"""The waiting room as deployed: nginx (deploy/nginx/teeka.conf, rendered
the documented way) in front of Django's workers (deploy/gunicorn.conf.py)
and the door pool (deploy/gunicorn-door.conf.py), each a real gunicorn, on
a redis-server of the test's own. A first visit in a full room is answered
by the door pool alone (Django's workers frozen, and no database where the
door pool looks for one); a person signed in, and a person the door let in,
reach Django with the door frozen; with Redis stopped the door lets people
in and makes them wait on its own, as Django's workers did."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import redis
from django.db import connection

from scripts.local_nginx import write_site
from tests.faults.conftest import OwnRedis, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("nginx", "openssl", "envsubst")),
        reason="no nginx here (.ci/run installs it)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
HOME_PAGE = "Get your Covid-19 vaccine"


class Pool:
    """A gunicorn in a process group of its own, to freeze (SIGSTOP: its
    port still takes connections, nothing answers) and thaw whole."""

    def __init__(self, args: list[str], env: dict, port: int, log: Path) -> None:
        self.port = port
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [GUNICORN, *args], env=env, cwd=ROOT, stdout=out, stderr=out,
                start_new_session=True,
            )  # fmt: skip

    def freeze(self) -> None:
        os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return  # stopped already, by the test
        self.thaw()
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def _wait_for_port(port: int, log: Path) -> None:
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing on port {port}: {log.read_text()[-2000:]}")


class Site:
    """nginx, Django's workers and the door pool, as deploy/ installs them."""

    def __init__(self, tmp: Path, room: OwnRedis, web_threads: int = 1) -> None:
        self.tmp, self.room = tmp, room
        self.sms = tmp / "sms.jsonl"
        self.https, web, door = free_port(), free_port(), free_port()
        db = connection.settings_dict
        env = {
            **os.environ,
            "DEBUG": "true",  # static files without collectstatic
            "SECRET_KEY": "the-same-secret-for-both-pools-" + "x" * 20,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": room.url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "TEEKA_PROXY_COUNT": "1",
            "TEEKA_VAR_DIR": str(tmp),
            "SMS_FILE_PATH": str(self.sms),
            "LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
            # Two people at once, counted for a minute: the room stays as the
            # test fills it.
            "WAITING_ROOM_ACTIVE": "2",
            "WAITING_ROOM_IDLE_SECONDS": "60",
            "WAITING_ROOM_ADMIT_PER_SECOND": "10",
            "WAITING_ROOM_REFRESH_MIN_SECONDS": "1",
            "WAITING_ROOM_FALLBACK_ACTIVE": "1",
        }
        self.django = Pool(
            ["teeka.wsgi", "-c", "deploy/gunicorn.conf.py"],
            {**env, "TEEKA_BIND": f"127.0.0.1:{web}", "TEEKA_WEB_WORKERS": "1",
             "TEEKA_WEB_THREADS": str(web_threads)},
            web, tmp / "django.log",
        )  # fmt: skip
        # No database where the door pool would look for one.
        self.door = Pool(
            ["teeka.door_wsgi", "-c", "deploy/gunicorn-door.conf.py"],
            {**env, "DATABASE_URL": f"postgres://nobody@127.0.0.1:{free_port()}/none",
             "TEEKA_DOOR_BIND": f"127.0.0.1:{door}", "TEEKA_DOOR_WORKERS": "1"},
            door, tmp / "door.log",
        )  # fmt: skip
        self.nginx = None
        conf = write_site(
            tmp, http=free_port(), https=self.https, web=web, door=door,
            rates=("1000r/s", "1000r/s"),
        )  # fmt: skip
        self.nginx = subprocess.Popen(
            ["nginx", "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
            stderr=subprocess.PIPE,
        )
        _wait_for_port(web, tmp / "django.log")
        _wait_for_port(door, tmp / "door.log")
        for _ in range(50):
            try:
                Visitor(self).get("/healthz")
                return
            except OSError:
                time.sleep(0.1)

    def stop(self) -> None:
        for pool in (self.door, self.django):
            pool.stop()
        if self.nginx:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)

    def active(self) -> int:
        """People the room counts as in, read from Redis by the test."""
        return redis.Redis.from_url(self.room.url).zcard("teeka:room:active")

    def code_for(self, mobile: str) -> str:
        for line in reversed(self.sms.read_text().splitlines()):
            message = json.loads(line)
            if message["to"] == mobile:
                return re.search(r"\d{6}", message["text"]).group()
        raise AssertionError(f"no code for {mobile}")


class Visitor:
    """A browser through nginx over HTTPS, keeping its cookies."""

    def __init__(self, site: Site) -> None:
        self.site, self.cookies = site, {}
        self.context = ssl.create_default_context(cafile=site.tmp / "tls.crt")

    def request(self, method: str, path: str, form: dict | None = None) -> "Visitor":
        # A frozen pool would hold the answer for nginx's 60 s: 5 s is a failure.
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.site.https, timeout=5, context=self.context
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(
                {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            )
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1:{self.site.https}{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        self.status, self.body = response.status, response.read().decode()
        self.location = response.getheader("Location", "")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        connection.close()
        return self

    def get(self, path: str) -> "Visitor":
        return self.request("GET", path)

    @property
    def waiting(self) -> bool:
        return self.status == 200 and 'http-equiv="refresh"' in self.body

    def let_in(self, path: str = "/") -> "Visitor":
        self.get(path)
        assert self.status == 200 and not self.waiting, self.body[:300]
        return self

    def sign_in(self, mobile: str) -> None:
        self.let_in("/sign-in/")
        assert self.request("POST", "/sign-in/", {"mobile": mobile}).status == 302
        code = self.site.code_for("+91" + mobile)
        assert self.request("POST", "/sign-in/code/", {"code": code}).status == 302


def _site(tmp_path: Path, web_threads: int = 1):
    room = OwnRedis(tmp_path)
    room.start()
    site = Site(tmp_path, room, web_threads)
    yield site
    site.stop()
    room.stop()


@pytest.fixture
def site(tmp_path):
    yield from _site(tmp_path)


@pytest.fixture
def threaded_site(tmp_path):
    """Django's workers with threads (TEEKA_WEB_THREADS, deploy/gunicorn.conf.py)."""
    yield from _site(tmp_path, web_threads=4)


def test_a_first_visit_in_a_full_room_waits_at_the_door_alone(site):
    first, second = Visitor(site).let_in(), Visitor(site).let_in()
    assert HOME_PAGE in first.body and HOME_PAGE in second.body
    # Each came in once: the door's handing over counted nobody twice.
    assert site.active() == 2

    site.django.freeze()  # Django's workers answer nothing now
    try:
        newcomer = Visitor(site).get("/")
        assert newcomer.waiting and "You are number 1 in line" in newcomer.body
        assert "कतार में आपका नंबर 1 है" in newcomer.body
        # Refreshing, it keeps its place, still at the door.
        assert "You are number 1 in line" in newcomer.get("/sign-in/").body
        assert "You are number 2 in line" in Visitor(site).get("/").body
    finally:
        site.django.thaw()


def test_a_person_the_door_lets_in_reaches_django_with_their_pass(site):
    person = Visitor(site).let_in("/sign-in/")
    assert 'name="mobile"' in person.body
    assert re.match(r"\d+:a:", person.cookies["teeka_line"])

    site.door.freeze()  # let in, they no longer pass the door
    try:
        assert 'name="mobile"' in person.let_in("/sign-in/").body
        person.request("POST", "/sign-in/", {"mobile": "9812345678"})
        assert person.status == 302 and person.location == "/sign-in/code/"
    finally:
        site.door.thaw()
    assert site.active() == 1


def test_a_signed_in_person_goes_straight_to_django(site):
    citizen = Visitor(site)
    citizen.sign_in("9812345670")
    Visitor(site).let_in()
    assert Visitor(site).get("/").waiting  # the room is full

    site.door.freeze()
    try:
        account = citizen.get("/my/")
        assert account.status == 200 and not account.waiting
        assert "People on this mobile number" in account.body
        assert HOME_PAGE in citizen.let_in("/").body
    finally:
        site.door.thaw()


def test_with_redis_stopped_the_door_lets_people_in_and_wait_on_its_own(site):
    inside = Visitor(site).let_in()
    site.room.stop()
    # The door's one process lets one new person in per idle period; the
    # next waits on a page without a number; the person inside stays in.
    assert HOME_PAGE in Visitor(site).let_in().body
    later = Visitor(site).get("/")
    assert later.waiting and "We cannot count the line just now" in later.body
    assert 'name="mobile"' in inside.let_in("/sign-in/").body


def test_with_no_web_node_answering_nginx_shows_the_busy_page_in_the_visitors_language(site):
    """Every web node down: nginx's own busy page (manage.py
    write_error_pages), as a 503 that asks the browser to try again, in the
    language the visitor chose, whether the door or nginx sends them on."""
    citizen = Visitor(site)
    citizen.sign_in("9812345671")
    site.django.stop()
    english = Visitor(site).get("/")
    assert english.status == 503, english.body[:300]
    assert "Teeka is busy for a moment" in english.body
    citizen.cookies["django_language"] = "hi"
    hindi = citizen.get("/my/")
    assert hindi.status == 503, hindi.body[:300]
    assert "टीका थोड़ी देर के लिए व्यस्त है" in hindi.body


def test_with_threads_a_waiting_page_does_not_wait_for_a_slow_request(threaded_site):
    """On a node too small for a door pool, nginx sends first visits to
    Django's workers, whose own door answers the waiting pages: with threads
    (TEEKA_WEB_THREADS), one of them does not queue behind a request a
    worker is busy with (here a form whose body comes slowly, as a journey's
    step that takes long), though the node has one worker."""
    site = threaded_site
    inside = [Visitor(site).let_in("/sign-in/") for _ in range(2)]
    cookies = "; ".join(f"{k}={v}" for k, v in inside[0].cookies.items())
    slow = socket.create_connection(("127.0.0.1", site.django.port), timeout=30)
    slow.sendall(
        b"POST /sign-in/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n"
        + f"Cookie: {cookies}\r\n\r\nmobile=".encode()
    )
    time.sleep(0.5)  # a worker is reading the rest of the form
    first_visit = http.client.HTTPConnection("127.0.0.1", site.django.port, timeout=5)
    first_visit.request("GET", "/")
    page = first_visit.getresponse()
    assert page.status == 200 and b'http-equiv="refresh"' in page.read()
    slow.close()
