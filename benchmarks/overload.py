"""Launch day: five times the capacity for two minutes, then half of it, with
the waiting room on.

    .venv/bin/python benchmarks/overload.py [--capacity-seconds 40]
        [--overload-seconds 120] [--calm-seconds 120] [--patience 90]
        [--registrations 1000000] [--inflight 5] [--idle 0.5] [--door-workers 6]
        [--verbose]

The server is the production arrangement (harness.Site): nginx
(deploy/nginx/teeka.conf, TLS) on --port in front of gunicorn running Django
(--workers sync workers, DEBUG off) and the waiting room's door pool
(--door-workers, teeka/door_wsgi.py; 0: none, the door in Django's workers
as docs/operations.md advises on a small node), each robot from an address
of its own. --verbose prints the crowd, the room's keys and the client's own
state every 5 s; `kill -USR1` the benchmark for every thread's stack.

1. Capacity, measured first in the same run: --clients (32) people doing the
   journey of benchmarks/journey.py one after another (closed loop), waiting
   room off. Capacity C = journeys a second.
2. The same servers again with the waiting room on, sized from C (`room_env`).
3. Open loop: new people arrive at 5 x C a second for --overload-seconds,
   then at 0.5 x C for --calm-seconds, whatever the server does. Each asks
   for the home page as a browser would; given the waiting page, it comes
   back when the page's refresh says (its cookies kept), and gives up after
   --patience seconds of waiting. Let in, it does the rest of the same
   journey (journey.Journey, the very same steps; a waiting page in the
   middle of it is an error).

Prints the capacity phase, then

RESULT offered_per_s=<arrivals a second in the overload> completed_per_s=<journeys
       completed a second during the overload> admitted_p95_ms=<p95 of every step of
       the journeys let in> waiting_page_p95_ms=<n> errors=<n> duplicates=<n>

(one line), and how the line went: its longest, those who gave up, and when
in the calm phase it was empty (line_cleared_after_s). errors counts every
answer that was not what a person expects (a 5xx, a refused step, a dropped
connection); duplicates is registrations of the same person counted by SQL.

Arithmetic worth knowing: five times the capacity for 120 s leaves 480 x C
people in line, and half the capacity for 120 s drains only 60 x C of them:
the line clears in the calm phase only because people stop waiting (as they
do). --patience says after how long.
"""

import argparse
import faulthandler
import heapq
import math
import os
import re
import resource
import signal
import statistics
import tempfile
import threading
import time
from collections import Counter as Counter_
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness
import redis
import seed
from harness import Browser, Counter, SmsFile
from journey import Journey, Timings, WrongAnswerError, drive_journeys, print_steps

WAITING = b'http-equiv="refresh"'
REFRESH = re.compile(rb'http-equiv="refresh" content="(\d+)')


class AdmittedJourney(Journey):
    """The journey of journey.py for a person whose home page, let in after
    waiting, is already there: that answer is its first step."""

    def __init__(self, port: int, browser: Browser, home_ms: float, **kwargs) -> None:
        super().__init__(port, **kwargs)
        self.browser, self.home_ms = browser, home_ms

    def step(self, name: str, method: str, url: str, form=None, expect: int = 200) -> None:
        if name == "home" and self.home_ms is not None:
            self.timings.add(name, self.home_ms, True)
            self.home_ms = None
            return
        super().step(name, method, url, form, expect)
        if WAITING in self.browser.body:
            raise WrongAnswerError(f"{name}: sent to the waiting room in the middle of a journey")


class Crowd:
    """Arrivals at a fixed rate, their waiting pages and their journeys."""

    def __init__(self, args, *, sms, mobiles, serial, places) -> None:
        self.args, self.sms, self.mobiles, self.serial = args, sms, mobiles, serial
        self.places = places
        self.lock = threading.Lock()
        self.due: list = []  # (when, n, visitor) of the next request of each waiting person
        self.number = Counter(0)
        # Enough pollers for slow pages: 96 waiting 0.6 s each made at most 160
        # requests a second, fewer than 95 arrivals a second and their pages
        # refreshing need, and the robots fell 37 s behind (run 18).
        self.polls = ThreadPoolExecutor(max_workers=512)
        self.journeys = ThreadPoolExecutor(max_workers=256)
        self.waiting_ms: list[float] = []
        self.errors = 0
        self.waiting_now = 0
        self.longest_line = 0
        self.gave_up = 0
        self.late_ms: list[float] = []  # how late a request left the client
        self.completed: list[tuple[float, bool, str]] = []  # (when, ok, phase)
        self.timings = {"overload": Timings(), "calm": Timings()}
        self.timeline: list[tuple[float, int]] = []
        self.stopping = False
        self.asked = 0
        self.polling = 0  # requests of waiting pages under way
        self.started = 0
        self.failures: Counter_[str] = Counter_()

    # Arrivals and the waiting pages --------------------------------------------

    def arrive(self, phase: str) -> None:
        visitor = {"browser": Browser(self.args.port), "since": time.monotonic(), "phase": phase}
        with self.lock:
            self.waiting_now += 1
        self._schedule(time.monotonic(), visitor)

    def _schedule(self, when: float, visitor: dict) -> None:
        with self.lock:
            heapq.heappush(self.due, (when, self.number.next(), visitor))

    def dispatch(self) -> None:
        """Hands each due request to the pollers, on time."""
        while not self.stopping:
            with self.lock:
                ready = []
                while self.due and self.due[0][0] <= time.monotonic():
                    ready.append(heapq.heappop(self.due))
            for when, _, visitor in ready:
                self.polls.submit(self._ask_safely, when, visitor)
            time.sleep(0.005)

    def _ask_safely(self, when: float, visitor: dict) -> None:
        try:
            self._ask(when, visitor)
        except Exception as error:  # a page the robot cannot read: an error
            with self.lock:
                self.errors += 1
                self.waiting_now -= 1
                self.failures["waiting: " + type(error).__name__ + ": " + str(error)[:80]] += 1

    def _ask(self, when: float, visitor: dict) -> None:
        self.late_ms.append((time.monotonic() - when) * 1000)
        browser = visitor["browser"]
        start = time.perf_counter()
        with self.lock:
            self.polling += 1
        try:
            status = browser.request("GET", "/")
        except Exception:  # a dropped connection, an answer that is not HTTP
            status = 0
        with self.lock:
            self.polling -= 1
        self.asked += 1
        ms = (time.perf_counter() - start) * 1000
        if status != 200:
            with self.lock:
                self.errors += 1
                self.waiting_now -= 1
            return
        if WAITING not in browser.body:
            with self.lock:
                self.waiting_now -= 1
            self.journeys.submit(self._journey, visitor, ms)
            return
        self.waiting_ms.append(ms)
        refresh = int(REFRESH.search(browser.body).group(1))
        again = time.monotonic() + refresh
        if again - visitor["since"] > self.args.patience:
            with self.lock:
                self.gave_up += 1
                self.waiting_now -= 1
            return
        self._schedule(again, visitor)

    def _journey(self, visitor: dict, home_ms: float) -> None:
        with self.lock:
            self.started += 1
        phase = "overload" if time.monotonic() < self.calm_starts else "calm"
        journey = AdmittedJourney(
            self.args.port,
            visitor["browser"],
            home_ms,
            sms=self.sms,
            mobiles=self.mobiles,
            serial=self.serial,
            places=self.places,
            timings=self.timings[phase],
        )
        try:
            ok = journey.run()
        except Exception as error:  # no code came, a connection broke oddly
            ok = False
            self.failures[type(error).__name__ + ": " + str(error)[:80]] += 1
        with self.lock:
            self.completed.append((time.monotonic(), ok, phase))
            self.errors += not ok

    # The run ----------------------------------------------------------------------

    def run(self, capacity: float) -> None:
        dispatcher = threading.Thread(target=self.dispatch, daemon=True)
        dispatcher.start()
        self.start = time.monotonic()
        cpu = _cpu_seconds()
        self.calm_starts = self.start + self.args.overload_seconds
        self.end = self.calm_starts + self.args.calm_seconds
        phases = [
            ("overload", self.args.overload * capacity, self.calm_starts),
            ("calm", self.args.calm * capacity, self.end),
        ]
        next_sample = self.start
        for phase, rate, until in phases:
            n, began = 0, time.monotonic()
            while (now := time.monotonic()) < until:
                if now >= next_sample:
                    with self.lock:
                        self.longest_line = max(self.longest_line, self.waiting_now)
                        self.timeline.append((now - self.start, self.waiting_now))
                    if self.args.verbose and int(now - self.start) % 5 == 0:
                        self.show(now)
                    next_sample += 1
                arrival = began + n / rate
                if arrival <= now:
                    self.arrive(phase)
                    n += 1
                else:
                    time.sleep(min(arrival - now, 0.005))
        # Those still waiting stay so; the journeys under way finish.
        self.stopping = True
        dispatcher.join()
        self.polls.shutdown(wait=True)
        self.journeys.shutdown(wait=True)
        # One Python process: its threads share one core at most (the GIL).
        self.client_core = (_cpu_seconds() - cpu) / (time.monotonic() - self.start)

    def show(self, now: float) -> None:
        """The crowd as the robots see it, and the room's keys in Redis."""
        room = redis.Redis.from_url(f"{harness.REDIS}/{self.args.redis_db}")
        sizes = {k: room.zcard(f"teeka:room:{k}") for k in ("line", "new", "active", "admitted")}
        # Those let in with a page being made for them (counted until answered).
        sizes["serving"] = room.zcount("teeka:room:active", time.time(), "+inf")
        print(
            f"  t={now - self.start:5.0f} s waiting {self.waiting_now}"
            f" requests {self.asked} journeys done {len(self.completed)}"
            f" under way {self.started - len(self.completed)}"
            f" gave up {self.gave_up} room {sizes}"
            f" | client: {self._client_state()}",
            flush=True,
        )

    def _client_state(self) -> str:
        """Whether the robots' own client keeps up: the waiting pages due
        (and within 5 s), the pollers' backlog and requests under way, its
        open files. A stall here with nothing due is the server's refresh
        schedule, not the client."""
        soon = time.monotonic() + 5
        with self.lock:
            due, within = len(self.due), sum(when < soon for when, _, _ in self.due)
        return (
            f"due {due} (within 5 s {within}) queued {self.polls._work_queue.qsize()}"
            f" polling {self.polling} files {len(os.listdir('/proc/self/fd'))}"
        )

    def line_cleared_after(self) -> float | None:
        """Seconds into the calm phase after which nobody was left waiting."""
        calm = self.args.overload_seconds
        last_busy = max((t for t, n in self.timeline if n > 0), default=0.0)
        if last_busy >= calm + self.args.calm_seconds - 1:
            return None
        return max(last_busy + 1 - calm, 0.0)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_capacity(args, sms, mobiles, serial, places) -> tuple[float, float]:
    """Journeys a second with --clients at once (closed loop), and how long
    one journey takes alone (s)."""
    alone = Timings()
    part = argparse.Namespace(**{**vars(args), "seconds": 5})
    harness.run_clients(drive_journeys, 1, part, sms, mobiles, serial, places, alone)
    journey_s = statistics.median(ms for ms, _ in alone.journeys) / 1000
    timings = Timings()
    part = argparse.Namespace(**{**vars(args), "seconds": args.capacity_seconds})
    start = time.perf_counter()
    harness.run_clients(drive_journeys, args.clients, part, sms, mobiles, serial, places, timings)
    seconds = time.perf_counter() - start
    rate, _ = harness.report("capacity", timings.journeys, seconds, unit="journeys/s")
    print_steps(timings)
    print(f"one journey alone: {journey_s * 1000:.0f} ms")
    return rate, journey_s


def duplicates(db: str, since: str) -> int:
    """The same person registered twice: by plain SQL over this run's rows."""
    return int(
        harness.psql(
            "SELECT count(*) - count(DISTINCT name) FROM registrations_registration"
            f" WHERE registered_at >= '{since}'",
            db,
        ).strip()
    )


def room_env(args, capacity: float) -> dict:
    """The room sized for these robots as an operator would from a load test.
    A person counts from being called until --idle s after their last answer
    (their requests count however long they take), and a robot's journey has
    no pauses, so those counted are the --inflight journeys being served
    (--workers by default: the waiting pages have the door pool's own
    workers) and, at the capacity's pace, those called and not back yet
    (their page refreshes within 1 s: 0.5 s on average) and those just done
    (--idle)."""
    inflight = args.inflight or args.workers
    active = args.active or inflight + math.ceil(capacity * (0.5 + args.idle))
    return {
        "WAITING_ROOM_ACTIVE": str(active),
        # Let in evenly, a little faster than the capacity, not in bursts.
        "WAITING_ROOM_ADMIT_PER_SECOND": str(math.ceil(capacity * 1.1)),
        "WAITING_ROOM_IDLE_SECONDS": str(args.idle),
        "WAITING_ROOM_REFRESH_MIN_SECONDS": "1",
        "WAITING_ROOM_REFRESH_MAX_SECONDS": str(args.refresh_max),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.add_server_arguments(parser, db="teeka_bench_overload", port=8104)
    parser.add_argument("--template-db", help="copy this database (a seeded one)")
    parser.add_argument(
        "--registrations",
        type=int,
        default=0,
        help="run on a copy of the seeded database of this many (benchmarks/seed.py)",
    )
    parser.add_argument("--capacity-seconds", type=float, default=40)
    # On a machine shared with others' work the measured C moves with their
    # load (15 to 27 in one hour): runs to compare can take one C instead.
    parser.add_argument("--capacity", type=float, help="C in journeys/s (not measured then)")
    parser.add_argument("--overload-seconds", type=float, default=120)
    parser.add_argument("--calm-seconds", type=float, default=120)
    parser.add_argument("--overload", type=float, default=5.0, help="x capacity")
    parser.add_argument("--calm", type=float, default=0.5, help="x capacity")
    parser.add_argument("--patience", type=float, default=90, help="s a person waits at most")
    parser.add_argument("--inflight", type=int, help="journeys served at once (--workers)")
    parser.add_argument("--idle", type=float, default=0.5, help="WAITING_ROOM_IDLE_SECONDS")
    parser.add_argument("--refresh-max", type=int, default=60)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--active", type=int, help="WAITING_ROOM_ACTIVE (default: from C)")
    parser.set_defaults(redis_db=5)
    args = parser.parse_args()
    # `kill -USR1 <pid>`: every thread's stack, to see where a stalled client waits.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    harness.client_django()
    if os.geteuid() == 0:
        # The robots are phones elsewhere: they do not wait behind the
        # server's workers for a time slice (harness.Site starts Django's
        # workers at the ordinary priority, the door and nginx at this one).
        os.nice(args.door_nice)

    with tempfile.TemporaryDirectory() as tmp:
        env = harness.server_env(Path(tmp), args)
        if args.registrations and not args.template_db:
            seed.clone(args.registrations, args.db)
        places = harness.prepare_database(
            env, args.db, args.template_db, fresh=not args.registrations
        )
        since = harness.psql("SELECT now()", args.db).strip()
        sms, mobiles, serial = SmsFile(Path(tmp) / "sms.jsonl"), Counter(100_000_000), Counter(0)
        door = f"the door pool ({args.door_workers} workers)"
        print(
            f"nginx, {door if args.door_workers else 'no door pool'} and gunicorn"
            f" {args.workers} {args.worker_class} workers, PostgreSQL {args.db}"
            + (f" (a copy of {args.template_db})" if args.template_db else "")
            + (f" (a copy of {args.registrations:,} registrations)" if args.registrations else "")
            + ("" if args.template_db or args.registrations else " (fresh)")
        )
        capacity = args.capacity
        if not capacity:
            site = harness.Site(env, args, Path(tmp))
            try:
                capacity, _ = measure_capacity(args, sms, mobiles, serial, places)
            finally:
                site.stop()
        room = room_env(args, capacity)
        print("waiting room: " + " ".join(f"{k}={v}" for k, v in room.items()))
        site = harness.Site({**env, **room}, args, Path(tmp))
        crowd = Crowd(args, sms=sms, mobiles=mobiles, serial=serial, places=places)
        try:
            crowd.run(capacity)
        finally:
            site.stop()
        crowd.door_times = site.door_times()
        doubles = duplicates(args.db, since)
    report(args, crowd, capacity, doubles)


def report(args, crowd: Crowd, capacity: float, doubles: int) -> None:
    overload_end = crowd.calm_starts
    done = [c for c in crowd.completed if c[1] and crowd.start <= c[0] < overload_end]
    completed = len(done) / args.overload_seconds
    steps = [ms for t in crowd.timings.values() for s in t.steps.values() for ms, _ in s]
    admitted_p95 = harness.percentiles(steps)[1] if steps else 0.0
    waiting_p95 = harness.percentiles(crowd.waiting_ms)[1] if crowd.waiting_ms else 0.0
    for phase, timings in crowd.timings.items():
        journeys = [ok for _, ok, p in crowd.completed if p == phase]
        failed = len(journeys) - sum(journeys)
        print(f"{phase}: {sum(journeys)} journeys let in and done, {failed} failed")
        print_steps(timings)
    late = harness.percentiles(crowd.late_ms)[1] if crowd.late_ms else 0.0
    cleared = crowd.line_cleared_after()
    print(
        f"line: longest {crowd.longest_line}, gave up {crowd.gave_up}"
        f" (patience {args.patience:.0f} s), waiting pages {len(crowd.waiting_ms)},"
        f" client lag p95 {late:.0f} ms (its CPU {crowd.client_core:.2f} of a core),"
        " line_cleared_after_s="
        + ("never" if cleared is None else f"{cleared:.0f}")
        + f" (calm phase {args.calm_seconds:.0f} s)"
    )
    nginx, door = crowd.door_times
    if nginx:
        own = door and f"; the door pool's own time p95 {harness.percentiles(door)[1]:.1f} ms"
        print(
            f"waiting pages as nginx saw them: {len(nginx)},"
            f" p95 {harness.percentiles(nginx)[1]:.1f} ms{own or ''}"
        )
    for failure, count in crowd.failures.most_common(5):
        print(f"failed journeys: {count} x {failure}")
    print(
        f"RESULT offered_per_s={args.overload * capacity:.1f} completed_per_s={completed:.1f}"
        f" admitted_p95_ms={admitted_p95:.1f} waiting_page_p95_ms={waiting_p95:.1f}"
        f" errors={crowd.errors} duplicates={doubles}"
    )
    print(f"capacity_per_s={capacity:.1f} completed_ratio={completed / capacity:.2f}")


if __name__ == "__main__":
    main()
