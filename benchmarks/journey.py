"""A citizen's whole journey, over HTTP, against the bare baseline request.

    .venv/bin/python benchmarks/journey.py [--clients 32] [--seconds 40]
        [--registrations 1000000]

Starts gunicorn as benchmarks/registration.py does (5 sync workers, DEBUG
off; benchmarks/harness.py), on a fresh database (--db) or on a copy of a
seeded one (--registrations N, benchmarks/seed.py: the run writes to the
copy, never to the seed).
Each of --clients threads is one person after another, each a new citizen
doing what a browser does:

    home, sign-in page, ask for a code (POST), the code page it goes to,
    sign in with the code read from the SMS file (POST), the account it goes
    to, the add-person form, the two place fragments (blocks and towns of the
    district, villages and wards of the block), register (POST), the status
    page it goes to, the account again

and in the same run, in interleaved rounds (baseline, journeys, journeys,
baseline, ...), the bare baseline request (a Django form and one INSERT).
Prints each step's p50 and p95, then

RESULT journeys_per_s=<n> requests_per_journey=<n> baseline_per_s=<n>
       ratio=<journeys_per_s x requests_per_journey / baseline_per_s>
       p95_ms=<the slowest step's p95>

(on one line). A journey whose step answers otherwise than a person expects
(a refusal, an error) counts as failed and is not in journeys_per_s.

Other benchmarks drive the same journeys (benchmarks/overload.py):

    from harness import Counter, SmsFile
    from journey import Journey, Timings
    timings = Timings()
    Journey(port, sms=SmsFile(path), mobiles=Counter(...), serial=Counter(...),
            places=places, timings=timings).run()   # True when every step went right
"""

import argparse
import re
import resource
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path

import harness
from harness import Browser, Counter, SmsFile

# The steps in order, one request each.
STEPS = (
    "home",
    "sign-in page",
    "ask for a code",
    "code page",
    "sign in",
    "account",
    "add form",
    "areas",
    "localities",
    "register",
    "status",
    "account again",
)


class WrongAnswerError(Exception):
    pass


class Timings:
    """Each step's latencies in ms (and whether it went right), shared by threads."""

    def __init__(self) -> None:
        self.steps: dict[str, list[tuple[float, bool]]] = defaultdict(list)
        self.journeys: list[tuple[float, bool]] = []
        self._lock = threading.Lock()

    def add(self, step: str, ms: float, ok: bool) -> None:
        with self._lock:
            self.steps[step].append((ms, ok))

    def add_journey(self, ms: float, ok: bool) -> None:
        with self._lock:
            self.journeys.append((ms, ok))

    def step_percentiles(self) -> dict[str, tuple[float, float]]:
        return {
            step: harness.percentiles([ms for ms, _ in self.steps[step]])
            for step in STEPS
            if self.steps[step]
        }


class Journey:
    """One new citizen, from the home page to their place in the queue.

    `run()` makes the requests in STEPS order with one browser (its own
    cookies and connection) and records each step's time in `timings`; it
    stops at the first step that answers otherwise than expected."""

    def __init__(
        self,
        port: int,
        *,
        sms: SmsFile,
        mobiles: Counter,
        serial: Counter,
        places: list[tuple[int, int, int]],
        timings: Timings,
        browser: Browser | None = None,
    ) -> None:
        self.browser = browser or Browser(port)
        self.sms, self.mobiles, self.serial = sms, mobiles, serial
        self.places, self.timings = places, timings
        self.reference = ""

    def step(self, name: str, method: str, url: str, form=None, expect: int = 200) -> None:
        start = time.perf_counter()
        try:
            status = self.browser.request(method, url, form)
        except OSError:
            status = 0
        ms = (time.perf_counter() - start) * 1000
        self.timings.add(name, ms, status == expect)
        if status != expect:
            raise WrongAnswerError(f"{name}: {method} {url} answered {status}, not {expect}")

    def run(self) -> bool:
        start = time.perf_counter()
        try:
            steps = self.steps()
            wanted = next(steps)
            while True:
                if isinstance(wanted, str):
                    wanted = steps.send(self.sms.code_for(wanted))
                else:
                    self.step(*wanted)
                    wanted = next(steps)
        except StopIteration:
            ok = True
        except WrongAnswerError:
            ok = False
        self.timings.add_journey((time.perf_counter() - start) * 1000, ok)
        return ok

    def steps(self) -> Generator[tuple | str, str | None, None]:
        """The journey's requests in order, each `step()`'s arguments, for a
        driver to make with `self.browser` (whose answer the next one reads);
        a mobile number alone asks for its sign-in code, sent back. One
        journey, driven by threads here and by benchmarks/overload.py's
        asyncio robots."""
        mobile = f"9{self.mobiles.next():09d}"
        details = harness.person(self.serial, self.places)
        yield "home", "GET", "/"
        yield "sign-in page", "GET", "/sign-in/"
        yield "ask for a code", "POST", "/sign-in/", {"mobile": mobile}, 302
        yield "code page", "GET", self.browser.location
        code = yield "+91" + mobile
        yield "sign in", "POST", "/sign-in/code/", {"code": code}, 302
        yield "account", "GET", self.browser.location
        yield "add form", "GET", "/my/add/"
        yield "areas", "GET", f"/places/areas/?district={details['district']}"
        yield "localities", "GET", f"/places/localities/?area={details['area']}"
        yield "register", "POST", "/my/add/", details, 302
        status_page = self.browser.location
        self.reference = re.sub(r"^/my/|/$", "", status_page)
        yield "status", "GET", status_page
        # The status page showed "... is registered" and cleared it.
        self.browser.cookies.pop("messages", None)
        yield "account again", "GET", "/my/"


def drive_journeys(args, sms, mobiles, serial, places, timings, _results, _index) -> None:
    """One client: journeys one after another until the round's time is up (the
    last one finishes)."""
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        Journey(
            args.port, sms=sms, mobiles=mobiles, serial=serial, places=places, timings=timings
        ).run()


def timed_round(target, count: int, *extra) -> tuple[list, float]:
    start = time.perf_counter()
    results = harness.run_clients(target, count, *extra)
    return results, time.perf_counter() - start


def print_steps(timings: Timings) -> float:
    """Each step's p50 and p95; returns the slowest step's p95."""
    worst = 0.0
    for step, (p50, p95) in timings.step_percentiles().items():
        failed = sum(1 for _, ok in timings.steps[step] if not ok)
        print(
            f"  {step:15} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
            + (f"  {failed} failed" * bool(failed))
        )
        worst = max(worst, p95)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.add_server_arguments(parser, db="teeka_bench_journey", port=8102)
    parser.add_argument("--template-db", help="or copy this database (a copy of a seeded one, say)")
    parser.add_argument(
        "--registrations",
        type=int,
        default=0,
        help="run on a copy of the seeded database of this many (benchmarks/seed.py)",
    )
    parser.set_defaults(seconds=40)
    args = parser.parse_args()
    harness.client_django()

    with tempfile.TemporaryDirectory() as tmp, harness.served(Path(tmp), args) as places:
        sms, mobiles, serial = (
            SmsFile(Path(tmp) / "sms.jsonl"),
            Counter(100_000_000),
            Counter(0),
        )
        print(
            f"{args.clients} clients, {args.seconds:.0f} s each in {args.rounds} rounds, "
            f"gunicorn {args.workers} {args.worker_class} workers x {args.threads} threads, "
            f"PostgreSQL {args.db}",
            f"(a copy of {args.registrations:,} registrations)" if args.registrations else "",
        )
        part = argparse.Namespace(**{**vars(args), "seconds": args.seconds / args.rounds})
        timings, baseline = Timings(), []
        spent = dict.fromkeys(
            (
                "journeys",
                "baseline",
                "client_cpu",
                "server_cpu_journeys",
                "database_cpu_journeys",
                "server_cpu_baseline",
            ),
            0.0,
        )

        def journeys() -> None:
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            server = harness.server_cpu_seconds(args)
            _, seconds = timed_round(
                drive_journeys, args.clients, part, sms, mobiles, serial, places, timings
            )
            after_round = harness.server_cpu_seconds(args)
            spent["server_cpu_journeys"] += harness.cpu_between(server, after_round)
            spent["database_cpu_journeys"] += harness.cpu_between(server, after_round, "database")
            after = resource.getrusage(resource.RUSAGE_SELF)
            spent["journeys"] += seconds
            spent["client_cpu"] += after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime

        def bare() -> None:
            server = harness.server_cpu_seconds(args)
            results, seconds = timed_round(
                harness.drive_baseline, args.clients, part, serial, places
            )
            spent["server_cpu_baseline"] += harness.cpu_between(
                server, harness.server_cpu_seconds(args)
            )
            baseline.extend(results)
            spent["baseline"] += seconds

        harness.interleaved(args.rounds, bare, journeys)
    base_rate, _ = harness.report("baseline", baseline, spent["baseline"], unit="requests/s")
    rate, journey_p95 = harness.report(
        "journeys", timings.journeys, spent["journeys"], unit="journeys/s"
    )
    worst = print_steps(timings)
    # The clients share the machine's cores with the server: what they used.
    print(
        f"the clients (this process) used {spent['client_cpu']:.1f} s of CPU in"
        f" {spent['journeys']:.1f} s of journeys"
        f" ({spent['client_cpu'] / spent['journeys']:.2f} cores)"
    )
    # What the server (gunicorn's workers and their PostgreSQL backends) spent,
    # steadier than rates on a shared machine.
    done_journeys = sum(1 for _, ok in timings.journeys if ok)
    done_requests = sum(1 for _, ok in baseline if ok)
    if done_journeys and done_requests:
        cpu_journey = spent["server_cpu_journeys"] / done_journeys * 1000
        cpu_request = spent["server_cpu_baseline"] / done_requests * 1000
        database = spent["database_cpu_journeys"] / done_journeys * 1000
        print(
            f"server CPU: {cpu_journey:.1f} ms a journey (gunicorn's workers"
            f" {cpu_journey - database:.1f}, PostgreSQL {database:.1f}),"
            f" {cpu_request:.2f} ms a bare request"
            f" (CPU ratio {cpu_request * len(STEPS) / cpu_journey:.2f})"
        )
    per_journey = len(STEPS)
    print(
        f"RESULT journeys_per_s={rate:.1f} requests_per_journey={per_journey} "
        f"baseline_per_s={base_rate:.1f} ratio={rate * per_journey / base_rate:.2f} "
        f"p95_ms={worst:.1f}"
    )


if __name__ == "__main__":
    main()
