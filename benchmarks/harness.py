"""What the HTTP benchmarks share: a gunicorn server running the project as in
production plus a bare baseline view, and the clients that drive it.

- The server side (gunicorn loads `benchmarks.harness:application`): the
  project's own URLs and, beside them, `/bench/baseline/`: a bare Django view
  that validates a form of a registration's fields and inserts one row into
  `bench_baseline`, a table of the registration's shape (same columns, unique
  indexes and checks, no foreign keys) with one INSERT: no session, no
  account, no history row, no CSRF check. Same server, settings and middleware.
- The client side: a browser with its cookies (`Browser`), sign-in codes read
  from the SMS file backend's output (`SmsFile`), people to register
  (`person`), threads of clients (`run_clients`), and setting up the database
  and the server (`prepare_database`, `start_server`).

Used by benchmarks/registration.py and benchmarks/journey.py.
"""

import argparse
import asyncio
import contextlib
import http.client
import itertools
import json
import os
import re
import secrets
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# seed as the benchmark scripts import it, also when gunicorn loads this module
# as benchmarks.harness.
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(1, str(ROOT / "scripts"))

import local_nginx  # noqa: E402 (after the path is set)
import seed  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"

# -- The server side: the baseline view and a URLconf adding it -----------------

if os.environ.get("TEEKA_BENCH_SERVER"):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
    from django.conf import settings

    settings.ROOT_URLCONF = "benchmarks.harness"
    if os.environ.get("TEEKA_BENCH_DJANGO_POOL"):
        # Django's own pool (psycopg 3 only): each worker process keeps a few
        # connections and lends one to each request; CONN_MAX_AGE must be 0.
        settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
        settings.DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 2}}

    import django
    from django import forms
    from django.db import connection
    from django.http import HttpResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    django.setup()

    from registrations import ids

    class BaselineForm(forms.Form):
        name = forms.CharField(max_length=100)
        gender = forms.ChoiceField(choices=[("F", "F"), ("M", "M"), ("O", "O")])
        birth_year = forms.IntegerField(min_value=1900, max_value=2010)
        id_type = forms.CharField(max_length=10)
        id_number = forms.CharField(max_length=30)
        priority = forms.IntegerField(min_value=1, max_value=5)
        district = forms.IntegerField()
        area = forms.IntegerField()
        locality = forms.IntegerField()
        address_line = forms.CharField(max_length=200, required=False)
        pincode = forms.CharField(max_length=6, required=False)

    @csrf_exempt
    def baseline(request):
        form = BaselineForm(request.POST)
        if not form.is_valid():
            return HttpResponse(status=400)
        d = form.cleaned_data
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_baseline (reference, name, gender, birth_year, id_type,"
                " id_hash, id_last4, priority, district_id, area_id, locality_id,"
                " address_line, pincode, status, doses_received, registered_at, queue_at,"
                " no_show_count, no_mobile_reason, last_vaccine)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'waiting',0,now(),now(),0,'','')",
                [
                    ids.new_reference(),
                    d["name"],
                    d["gender"],
                    d["birth_year"],
                    d["id_type"],
                    ids.hash_id_number(d["id_type"], d["id_number"]),
                    ids.id_last4(d["id_number"]),
                    d["priority"],
                    d["district"],
                    d["area"],
                    d["locality"],
                    d["address_line"],
                    d["pincode"],
                ],
            )
        return HttpResponse(status=201)

    urlpatterns = [path("bench/baseline/", baseline), path("", include("teeka.urls"))]
    # The project's own WSGI module, so the server runs as it does in production.
    from teeka.wsgi import application  # noqa: E402, F401


# -- The client side ---------------------------------------------------------------


def client_django() -> None:
    """The client borrows the project's Verhoeff code, so Django must be set up."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
    import django

    django.setup()


class Counter:
    def __init__(self, start: int):
        self._it = itertools.count(start)
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return next(self._it)


class SmsFile:
    """Codes by mobile, read incrementally from the file backend's output."""

    def __init__(self, path: Path):
        self.path, self.offset, self.codes = path, 0, {}
        self.lock = threading.Lock()

    def code_for(self, mobile: str) -> str:
        for _ in range(self.TRIES):
            if code := self.arrived(mobile):
                return code
            time.sleep(0.01)
        raise RuntimeError("no code arrived")

    TRIES = 200  # 10 ms apart

    def arrived(self, mobile: str) -> str | None:
        """The code sent to `mobile`, if it has come (taken: asked once)."""
        with self.lock:
            if mobile not in self.codes and self.path.exists():
                with open(self.path, encoding="utf-8") as f:
                    f.seek(self.offset)
                    chunk = f.read()
                    complete = chunk[: chunk.rfind("\n") + 1]
                    self.offset += len(complete.encode())
                for line in complete.splitlines():
                    message = json.loads(line)
                    self.codes[message["to"]] = re.search(r"\d{6}", message["text"]).group()
            return self.codes.pop(mobile, None)


class Browser:
    """One citizen's connection with its cookies; `location` is the last
    answer's Location header (where a redirect goes), `body` its text.

    Through nginx (`Site`), `tls` is the site's certificate and each browser
    comes from an address of its own in 127.0.0.0/8 (`addresses`), as phones
    do: nginx limits requests and connections per address."""

    tls: ssl.SSLContext | None = None
    addresses: Iterator[str] | None = None

    def __init__(self, port: int):
        self.port, self.cookies, self.conn = port, {}, None
        self.location, self.body = "", b""
        self.source = (next(Browser.addresses), 0) if Browser.addresses else None

    def _connect(self) -> http.client.HTTPConnection:
        if self.tls is None:
            return http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30, source_address=self.source
            )
        return http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=30, source_address=self.source, context=self.tls
        )

    def request(self, method: str, url: str, form: dict | None = None) -> int:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self.tls is not None:  # Django checks an HTTPS form's Referer
                headers["Referer"] = f"https://127.0.0.1:{self.port}{url}"
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = self._connect()
                self.conn.request(method, url, body=body, headers=headers)
                response = self.conn.getresponse()
                self.body = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt:
                    raise
        self.location = response.getheader("Location", "")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        return response.status


class ResumingContext(ssl.SSLContext):
    """A client's TLS context that resumes the session set in `resume` just
    before a connection is made, as a browser coming back does (nginx keeps
    sessions in its cache: deploy/nginx/teeka.conf). asyncio takes no session
    for a connection, but wraps it synchronously within create_connection()
    when given a connected socket (`AsyncBrowser._connect`)."""

    resume: ssl.SSLSession | None = None

    def wrap_bio(self, *args, **kwargs) -> ssl.SSLObject:
        session, self.resume = self.resume, None
        return super().wrap_bio(*args, session=session, **kwargs)


class AsyncBrowser:
    """`Browser` for asyncio, for thousands at once in one process
    (benchmarks/overload.py's robots): the same requests, headers, cookies,
    `location` and `body`, one kept connection from its own address, a
    request tried again once on a new connection, 30 s at most. HTTP/1.1
    over TLS only (through `Site`), read by hand: a few objects a request."""

    def __init__(self, port: int, source: str, tls: ResumingContext) -> None:
        self.port, self.source, self.tls = port, source, tls
        self.cookies: dict[str, str] = {}
        self.location, self.body = "", b""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.tls_object: ssl.SSLObject | None = None  # the last connection's
        self.connections = self.resumed = 0  # made, and of those resuming the TLS session

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.bind((self.source, 0))
            await loop.sock_connect(sock, ("127.0.0.1", self.port))
            # The last connection's session, read only now: reading it costs
            # a third of a handshake, and most robots never come back.
            self.tls.resume = self.tls_object and self.tls_object.session
            self.reader, self.writer = await asyncio.open_connection(
                sock=sock, ssl=self.tls, server_hostname="127.0.0.1"
            )
        except BaseException:
            sock.close()
            raise
        self.tls_object = self.writer.get_extra_info("ssl_object")
        self.connections += 1
        self.resumed += self.tls_object.session_reused

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, url: str, form: dict | None = None) -> int:
        lines = [f"{method} {url} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines.append("Accept-Encoding: identity")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
            # Django checks an HTTPS form's Referer.
            lines.append(f"Referer: https://127.0.0.1:{self.port}{url}")
            lines.append(f"Content-Length: {len(body)}")
        data = "\r\n".join(lines).encode() + b"\r\n\r\n" + body
        for attempt in range(2):
            try:
                async with asyncio.timeout(30):
                    # A connection nginx closed while it stood idle is seen
                    # closed before anything is sent on it.
                    if self.writer is None or self.reader.at_eof():
                        await self._connect()
                    self.writer.write(data)
                    return await self._answer()
            except (OSError, EOFError, ValueError, IndexError) as error:
                self.close()
                if attempt:
                    raise ConnectionError(f"{method} {url}: {error!r}") from error
        raise AssertionError("not reached")

    async def _answer(self) -> int:
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length, chunked, close = None, False, False
        self.location = ""
        for line in head[1:-2]:
            name, _, value = line.partition(":")
            name, value = name.lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
            elif name == "location":
                self.location = value
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.lower() == "close"
        if chunked:
            self.body = await self._chunks()
        elif length is not None:
            self.body = await self.reader.readexactly(length)
        else:
            self.body = await self.reader.read() if close else b""
        if close:
            self.close()
        return status

    async def _chunks(self) -> bytes:
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size + 2))
        await self.reader.readuntil(b"\r\n")  # after the last chunk (no trailers)
        return b"".join(part[:-2] for part in parts)


def sign_in(port: int, mobiles: Counter, sms: SmsFile) -> Browser:
    browser = Browser(port)
    mobile = f"9{mobiles.next():09d}"
    browser.request("GET", "/sign-in/")
    assert browser.request("POST", "/sign-in/", {"mobile": mobile}) == 302
    code = sms.code_for("+91" + mobile)
    assert browser.request("POST", "/sign-in/code/", {"code": code}) == 302
    return browser


def person(serial: Counter, places: list[tuple[int, int, int]]) -> dict:
    from stdnum import verhoeff

    n = serial.next()
    # Never a palindrome (which Aadhaar refuses): the body ends in 1, starts with 3.
    body = f"3{n:09d}1"
    district, area, locality = places[n % len(places)]
    return {
        "name": f"Bench Person {n}",
        "gender": "F",
        "birth_year": "1980",
        "id_type": "AADHAAR",
        "id_number": body + verhoeff.calc_check_digit(body),
        "occupation": "5",
        "ration_card": "bpl",
        "priority": "5",
        "district": district,
        "area": area,
        "locality": locality,
        "address_line": "House 1, Main road",
        "pincode": "492001",
    }


def timed(call) -> tuple[float, int]:
    start = time.perf_counter()
    status = call()
    return (time.perf_counter() - start) * 1000, status


def drive_baseline(args, serial, places, results, _index):
    browser = Browser(args.port)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        ms, status = timed(
            lambda: browser.request("POST", "/bench/baseline/", person(serial, places))
        )
        results.append((ms, status == 201))


def run_clients(target, count: int, *extra) -> list[tuple[float, bool]]:
    results: list = []
    threads = [threading.Thread(target=target, args=(*extra, results, i)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p95 of the latencies, in their unit."""
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def report(
    label: str, results: list, seconds: float, unit: str = "registrations/s"
) -> tuple[float, float]:
    ok = [ms for ms, good in results if good]
    failed = len(results) - len(ok)
    p50, p95 = percentiles([ms for ms, _ in results])
    rate = len(ok) / seconds
    print(
        f"{label:9} {rate:8.1f} {unit}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
        f"  ({len(ok)} ok, {failed} refused)"
    )
    return rate, p95


# -- Set-up ------------------------------------------------------------------------


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG}/{db}", "-qtAc", sql], check=True, capture_output=True, text=True
    ).stdout


def server_env(tmp: Path, args) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{args.db}",
        "REDIS_URL": f"{REDIS}/{args.redis_db}",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_hex(32),
        "ID_HASH_KEY": "bench-id-hash-key",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "TEEKA_VAR_DIR": str(tmp),
        "SMS_FILE_PATH": str(tmp / "sms.jsonl"),
        "TEEKA_OTP_IP_SENDS": "1000000",
        "TEEKA_OTP_IP_TRIES": "1000000",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def server_database_env(args) -> dict:
    """How the server reaches the database: directly (as set-up does), or as
    --server-database-url says (a pooler in front), with --conn-max-age, or
    through Django's own pool (--django-pool, psycopg 3 from --pythonpath)."""
    env = {"DB_CONN_MAX_AGE": str(args.conn_max_age)}
    if args.server_database_url:
        env["DATABASE_URL"] = args.server_database_url
    if args.django_pool:
        env["TEEKA_BENCH_DJANGO_POOL"] = "1"
    if args.pythonpath:
        env["PYTHONPATH"] = f"{args.pythonpath}:{ROOT}"
    return env


def prepare_database(
    env: dict, db: str, template: str | None = None, *, fresh: bool = True
) -> list[tuple[int, int, int]]:
    """The database `db` migrated, with the places: made afresh, or a copy of
    `template` (PostgreSQL's own copy: nobody may be connected to it), or
    (`fresh` False) as it is, such as a copy taken with benchmarks/seed.py's
    clone(); returns (district, area, locality) of some blocks and towns to
    register people in."""
    if template or fresh:
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        # FILE_COPY copies the template's files: much faster for many gigabytes.
        copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        psql(f"CREATE DATABASE {db}{copy}")
    fresh = fresh and not template
    manage = [sys.executable, str(ROOT / "manage.py")]
    commands = [["migrate", "--noinput"], ["collectstatic", "--noinput"]]
    if fresh:
        commands.insert(1, ["load_geography"])
    for command in commands:
        subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT, capture_output=True)
    # The queue's counts, just filled by a migration on a copy, as autovacuum
    # soon leaves them on a running server (visible to index-only scans).
    psql(
        "VACUUM ANALYZE registrations_queueday, registrations_queuehour, registrations_queuespan",
        db,
    )
    psql(
        "CREATE TABLE IF NOT EXISTS bench_baseline (LIKE registrations_registration"
        " INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)",
        db,
    )
    rows = psql(
        "SELECT a.district_id, a.id, min(l.id) FROM districts_area a"
        " JOIN districts_locality l ON l.area_id = a.id GROUP BY a.district_id, a.id"
        " ORDER BY a.id LIMIT 40",
        db,
    )
    return [tuple(int(x) for x in line.split("|")) for line in rows.split()]


def start_server(env: dict, args) -> subprocess.Popen:
    subprocess.run(
        ["redis-cli", "-n", str(args.redis_db), "FLUSHDB"], check=False, capture_output=True
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),  # beside this Python
            "benchmarks.harness:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            # A gthread worker takes no more connections than it has threads:
            # the rest wait in the kernel's queue for whichever worker is free
            # first, not behind a busy worker's threads (deploy/gunicorn.conf.py).
            "--worker-connections",
            str(args.threads),
            "--log-level",
            "warning",
        ],
        env={**env, **server_database_env(args), "TEEKA_BENCH_SERVER": "1"},
        cwd=ROOT,
    )
    for _ in range(100):
        try:
            if Browser(args.port).request("GET", "/healthz") == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _source_addresses() -> Iterator[str]:
    """127.1.0.1, 127.1.0.2, ... (65,000 of them, then again)."""
    return itertools.cycle(f"127.1.{i // 250}.{i % 250 + 1}" for i in range(65_000))


class Site:
    """The production arrangement on free ports: nginx (deploy/nginx/teeka.conf
    rendered as its header says, TLS with a certificate of its own, an
    unprivileged nginx with its own prefix in `tmp`) on --port, in front of
    gunicorn running Django (`start_server`) and the waiting room's door
    pool (teeka/door_wsgi.py, deploy/gunicorn-door.conf.py, --door-workers).
    Sets `Browser` to speak TLS from addresses of their own."""

    def __init__(self, env: dict, args, tmp: Path) -> None:
        self.tmp = tmp / "nginx"
        self.tmp.mkdir(exist_ok=True)
        # Relative to the client's own (benchmarks/overload.py raises it too).
        self.nice = args.door_nice - os.nice(0) if os.geteuid() == 0 else 0
        web, door = free_port(), free_port()
        self.processes = [start_server(env, argparse.Namespace(**{**vars(args), "port": web}))]
        for pid in [self.processes[0].pid, *_children(self.processes[0].pid)]:
            os.setpriority(os.PRIO_PROCESS, pid, 0)  # whatever the client's
        if args.door_workers:
            self.processes.append(self._start_door(env, args, door))
        else:
            # A node too small for a door pool (docs/operations.md): nginx
            # sends first visits to Django's workers, whose own door
            # (teeka/wsgi.py) answers the waiting pages.
            door = web
        self.door = f"127.0.0.1:{door}"
        self.processes.append(self._start_nginx(args.port, web, door))
        self.cafile = self.tmp / "tls.crt"
        Browser.tls = ssl.create_default_context(cafile=self.cafile)
        Browser.addresses = _source_addresses()
        self.db, self.started, self.cpu_at_start = args.db, time.monotonic(), {}
        for _ in range(100):
            try:
                if Browser(args.port).request("GET", "/healthz") == 200:
                    self.started, self.cpu_at_start = time.monotonic(), self.cpu_seconds()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("nginx did not answer: " + (self.tmp / "error.log").read_text())

    def _start_door(self, env: dict, args, port: int) -> subprocess.Popen:
        # At the priority its systemd unit gives it (teeka-door@.service's
        # Nice=-5; as root, or with CAP_SYS_NICE: otherwise as it comes).
        nice = ["nice", "-n", str(self.nice)] if self.nice else []
        return subprocess.Popen(
            [*nice, str(Path(sys.executable).parent / "gunicorn"), "teeka.door_wsgi",
             "-c", str(ROOT / "deploy/gunicorn-door.conf.py"), "--log-level", "warning",
             # Its own time for each answer (ms), for `door_times`.
             "--access-logfile", str(self.tmp / "door.log"), "--access-logformat", "%(M)s"],
            env={**env, "TEEKA_DOOR_BIND": f"127.0.0.1:{port}",
                 "TEEKA_DOOR_WORKERS": str(args.door_workers)},
            cwd=ROOT,
        )  # fmt: skip

    def _start_nginx(self, port: int, web: int, door: int) -> subprocess.Popen:
        t = self.tmp
        conf = local_nginx.write_site(
            t, http=free_port(), https=port, web=web, door=door,
            # Per address: each robot has its own (`Browser.addresses`).
            rates=("20r/s", "5r/s"),
            main="error_log {tmp}/error.log warn;\nworker_processes auto;\n"
            # Thousands of robots in line keep their connections open.
            "worker_rlimit_nofile 20000;\nevents {{ worker_connections 8192; }}\n",
            # What nginx saw of each request (`door_times`), buffered.
            logging="log_format teeka_bench '$upstream_addr|$upstream_response_time"
            "|$request_time|$status|$upstream_cookie_teeka_line';\n"
            "access_log {tmp}/access.log teeka_bench buffer=256k flush=5s;\n",
        )  # fmt: skip
        # On one machine, at the door's priority: in production nginx has
        # machines of its own, and does not wait for a time slice behind the
        # web node's workers.
        nice = ["nice", "-n", str(self.nice)] if self.nice else []
        return subprocess.Popen(
            [*nice, "nginx", "-p", str(t), "-c", str(conf), "-g", "daemon off;"]
        )

    def door_times(self) -> tuple[list[float], list[float]]:
        """The server's side of the waiting pages, without the client's own
        delays: nginx's time (ms) for each waiting page (an answer that gave
        a waiting pass, "<ticket>:w:..."), from nginx's log, and the door
        pool's own time for each of its answers (a handing on to Django
        too), from gunicorn's (none without a door pool)."""
        nginx = []
        for line in (self.tmp / "access.log").read_text().splitlines():
            upstream, _, request_s, status, given = line.split("|")
            if upstream == self.door and status == "200" and ":w:" in given:
                nginx.append(float(request_s) * 1000)
        log = self.tmp / "door.log"
        door = [float(ms) for ms in log.read_text().split()] if log.exists() else []
        return nginx, door

    def cpu_seconds(self) -> dict[str, float]:
        """CPU used so far by each part of the site, on the one machine: nginx,
        Django's workers ("web"), the door pool, Redis and the PostgreSQL
        backends of the benchmark's database. A process that ended in
        between is lost: workers rarely do, but a connection lives at most
        DB_CONN_MAX_AGE (60 s), so the database's part is about its last
        minute."""
        parts = {"nginx": self.processes[-1], "web": self.processes[0]}
        if len(self.processes) == 3:
            parts["door"] = self.processes[1]
        used = {
            name: sum(_cpu_seconds(pid) for pid in [p.pid, *_children(p.pid)])
            for name, p in parts.items()
        }
        info = subprocess.run(["redis-cli", "INFO", "server"], capture_output=True, text=True)
        redis_pid = re.search(r"process_id:(\d+)", info.stdout)
        used["redis"] = _cpu_seconds(int(redis_pid.group(1))) if redis_pid else 0.0
        backends = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.db}'")
        used["database"] = sum(_cpu_seconds(int(pid)) for pid in backends.split())
        return used

    def stop(self) -> None:
        # Where the machine's CPU went while the site ran (the client's own
        # is the benchmark's to say): on one box, what nginx and the waiting
        # pages take, the journeys do not get.
        used = self.cpu_seconds()
        seconds = time.monotonic() - self.started
        print(
            f"the site's CPU over {seconds:.0f} s: "
            + ", ".join(
                f"{name} {cpu - self.cpu_at_start.get(name, 0.0):.1f} s"
                for name, cpu in used.items()
            )
        )
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)
        Browser.tls = Browser.addresses = None


@contextlib.contextmanager
def served(tmp: Path, args) -> Iterator[list[tuple[int, int, int]]]:
    """gunicorn on the benchmark's database: a copy of the seeded one of
    --registrations N (benchmarks/seed.py), of --template-db, or a fresh one;
    yields the places to register people in, and stops the server after."""
    env = server_env(tmp, args)
    if args.registrations and not args.template_db:
        seed.clone(args.registrations, args.db)
    places = prepare_database(env, args.db, args.template_db, fresh=not args.registrations)
    server = start_server(env, args)
    args.server_pid = server.pid  # for server_cpu_seconds()
    try:
        yield places
    finally:
        server.terminate()
        server.wait(timeout=30)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return found


def server_cpu_seconds(args) -> dict[tuple[str, int], float]:
    """CPU used so far by each of the server's processes: gunicorn's workers
    ("web") and the PostgreSQL backends serving the benchmark's database
    ("database"), by kind and pid. On a machine shared with other work, CPU
    per request is steadier than requests per second. Diff two of these with
    cpu_between()."""
    backends = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{args.db}'")
    pids = [("web", pid) for pid in _children(args.server_pid)]
    pids += [("database", int(pid)) for pid in backends.split()]
    return {key: _cpu_seconds(key[1]) for key in pids}


def cpu_between(
    before: dict[tuple[str, int], float], after: dict[tuple[str, int], float], kind: str = ""
) -> float:
    """CPU seconds used between two server_cpu_seconds(), of one kind of
    process or all (a process that ended in between is lost: kept
    connections and workers rarely do)."""
    return sum(
        seconds - before.get(key, 0.0)
        for key, seconds in after.items()
        if not kind or key[0] == kind
    )


def add_server_arguments(parser: argparse.ArgumentParser, *, db: str, port: int) -> None:
    """The options every HTTP benchmark takes: clients, time, where, the server."""
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--db", default=db)
    parser.add_argument("--redis-db", type=int, default=3)
    # As gunicorn advises and deploy/gunicorn.conf.py runs it: sync workers, 2
    # x cores + 1 of them, behind a buffering proxy. Connections wait their
    # turn in the kernel's accept queue, first come first served, so latency
    # stays even; threads (2 x 16 gthread, and 5 x 4 in the journey's runs of
    # docs/performance.md's waiting room) served fewer people with up to twice
    # the p95, from threads queueing for the GIL. `--worker-class gthread
    # --threads 4` measures TEEKA_WEB_THREADS=4.
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync", choices=["gthread", "sync"])
    parser.add_argument("--rounds", type=int, default=4)
    # Connection pooling (docs/performance.md): a pooler's address for the
    # server (set-up still goes straight to PostgreSQL), how long Django keeps
    # a connection, or Django's own pool with psycopg 3 found on --pythonpath.
    parser.add_argument("--server-database-url")
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--django-pool", action="store_true")
    parser.add_argument("--pythonpath")
    # The waiting room's door pool (deploy/gunicorn-door.conf.py), with `Site`;
    # 0: none, first visits go to Django's workers and their own door.
    parser.add_argument("--door-workers", type=int, default=6)
    parser.add_argument("--door-nice", type=int, default=-5)


def interleaved(rounds: int, first, second) -> None:
    """Runs first, second, second, first, ... `rounds` times each, so that a
    shared machine speeding up or slowing down during the run weighs on both."""
    for round_ in range(rounds):
        for run in (first, second) if round_ % 2 == 0 else (second, first):
            run()
