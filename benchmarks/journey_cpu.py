"""The CPU of each step of a citizen's journey, in one process, without HTTP.

    .venv/bin/python benchmarks/journey_cpu.py [--journeys 100] [--profile STEP|all]
        [--registrations N | --db NAME]

Calls the project's WSGI application (teeka/wsgi.py, as gunicorn does) with
the requests of benchmarks/journey.py, one journey after another, with the
production settings of benchmarks/harness.py (DEBUG off, Redis, the
database a fresh one or a copy of the seeded one of --registrations N), and
prints each step's CPU time in this process: the pages' Python, without the
database's own CPU or gunicorn's. With --profile, cProfile (on CPU time)
writes the step's profile (or the whole journey's) to journey_cpu.prof.

CPU time moves with the machine's load; for a figure that does not, count
instructions, e.g. the difference between 25 and 5 journeys under
`valgrind --tool=callgrind` (see docs/performance.md).
"""

import argparse
import cProfile
import io
import os
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

import harness
import journey
from harness import Counter, SmsFile


class WsgiBrowser:
    """harness.Browser's cookies and redirects, calling the application itself."""

    def __init__(self, application) -> None:
        self.application, self.cookies, self.location = application, {}, ""

    def request(self, method: str, url: str, form: dict | None = None) -> int:
        path, _, query = url.partition("?")
        body = b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form).encode()
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"], environ["wsgi.input"] = str(len(body)), io.BytesIO(body)
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), headers

        result = self.application(environ, start_response)
        b"".join(result)
        getattr(result, "close", lambda: None)()
        self.location = ""
        for name, value in answer["headers"]:
            if name.lower() == "location":
                self.location = value
            elif name.lower() == "set-cookie":
                key, _, rest = value.strip().partition("=")
                self.cookies[key] = rest.split(";")[0]
        return answer["status"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--journeys", type=int, default=100)
    parser.add_argument("--profile", help="a step's name, or all")
    parser.add_argument("--registrations", type=int, default=0)
    parser.add_argument("--db", default="teeka_bench_journey_cpu")
    parser.add_argument("--redis-db", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    env = harness.server_env(tmp, args)
    if args.registrations:
        harness.seed.clone(args.registrations, args.db)
    places = harness.prepare_database(env, args.db, fresh=not args.registrations)
    os.environ.update(env)
    sys.path.insert(0, str(harness.ROOT))
    from teeka.wsgi import application  # noqa: PLC0415 (once the settings are set)

    cpu: dict[str, float] = defaultdict(float)
    profile = cProfile.Profile(time.process_time) if args.profile else None
    sms, mobiles, serial = SmsFile(tmp / "sms.jsonl"), Counter(300_000_000), Counter(0)

    class Timed(journey.Journey):
        def step(self, name, method, url, form=None, expect=200):
            wanted = profile is not None and args.profile in (name, "all")
            start = time.process_time()
            if wanted:
                profile.enable()
            status = self.browser.request(method, url, form)
            if wanted:
                profile.disable()
            cpu[name] += time.process_time() - start
            if status != expect:
                raise journey.WrongAnswerError(f"{name}: {method} {url} answered {status}")

    def run(count: int) -> None:
        for _ in range(count):
            one = Timed(
                0, sms=sms, mobiles=mobiles, serial=serial, places=places, timings=journey.Timings()
            )
            one.browser = WsgiBrowser(application)
            if not one.run():
                raise SystemExit("a journey went wrong")

    run(10)  # each process's kept pages and forms, as on a running server
    cpu.clear()
    if profile is not None:
        profile = cProfile.Profile(time.process_time)
    run(args.journeys)
    for step in journey.STEPS:
        print(f"  {step:15} {cpu[step] / args.journeys * 1000:6.2f} ms")
    print(f"the journey: {sum(cpu.values()) / args.journeys * 1000:.1f} ms of CPU in this process")
    if profile is not None:
        profile.dump_stats("journey_cpu.prof")


if __name__ == "__main__":
    main()
