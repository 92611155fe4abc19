"""Launch day: five times the capacity for two minutes, then half of it, with
the waiting room on.

    .venv/bin/python benchmarks/overload.py [--capacity-seconds 40]
        [--overload-seconds 120] [--calm-seconds 120] [--patience 90]
        [--registrations 1000000] [--inflight 5] [--idle 0.5] [--door-workers 6]
        [--robot-processes 2] [--verbose]

The server is the production arrangement (harness.Site): nginx
(deploy/nginx/teeka.conf, TLS) on --port in front of gunicorn running Django
(--workers sync workers, DEBUG off) and the waiting room's door pool
(--door-workers, teeka/door_wsgi.py; 0: none, the door in Django's workers
as docs/operations.md advises on a small node), each robot from an address
of its own. --verbose prints the crowd, the room's keys and the client's own
state every 5 s; `kill -USR1` a process of it for its stack.

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

The robots are --robot-processes processes, each an asyncio loop with its
share of the arrivals (`Robots`): a robot is a coroutine with its own
connection kept open, cookies and TLS session (resumed when it comes back
on a new connection, as a browser does), so however slow the pages, each
request leaves when it is due. The client's own CPU and lateness (how late
its requests left) are printed: the figures are the server's only while
the requests leave on time.

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
import asyncio
import collections
import faulthandler
import itertools
import math
import multiprocessing
import os
import re
import resource
import signal
import ssl
import statistics
import tempfile
import time
from collections import Counter as Counter_
from pathlib import Path

import harness
import redis
import seed
from harness import AsyncBrowser, Browser, Counter, ResumingContext, SmsFile
from journey import Journey, Timings, WrongAnswerError, drive_journeys, print_steps

WAITING = b'http-equiv="refresh"'
REFRESH = re.compile(rb'http-equiv="refresh" content="(\d+)')


class AdmittedJourney(Journey):
    """The journey of journey.py (the very same steps) for a robot let in
    after waiting, made with its `AsyncBrowser`: the home page it was let in
    with is already there, as its first step."""

    def __init__(self, browser: AsyncBrowser, home_ms: float, **kwargs) -> None:
        super().__init__(browser.port, browser=browser, **kwargs)
        self.home_ms, self.wrong = home_ms, ""

    async def run_async(self) -> bool:
        start = time.perf_counter()
        try:
            steps = self.steps()
            wanted = next(steps)
            while True:
                if isinstance(wanted, str):
                    wanted = steps.send(await self._code(wanted))
                else:
                    await self._step(*wanted)
                    wanted = next(steps)
        except StopIteration:
            ok = True
        except WrongAnswerError as error:
            ok, self.wrong = False, str(error)[:80]
        self.timings.add_journey((time.perf_counter() - start) * 1000, ok)
        return ok

    async def _step(self, name: str, method: str, url: str, form=None, expect: int = 200) -> None:
        if name == "home":
            self.timings.add(name, self.home_ms, True)
            return
        start = time.perf_counter()
        try:
            status = await self.browser.request(method, url, form)
        except OSError:
            status = 0
        self.timings.add(name, (time.perf_counter() - start) * 1000, status == expect)
        if status != expect:
            raise WrongAnswerError(f"{name}: {method} {url} answered {status}, not {expect}")
        if WAITING in self.browser.body:
            raise WrongAnswerError(f"{name}: sent to the waiting room in the middle of a journey")

    async def _code(self, mobile: str) -> str:
        for _ in range(self.sms.TRIES):
            if code := self.sms.arrived(mobile):
                return code
            await asyncio.sleep(0.01)
        raise RuntimeError("no code arrived")


# What each robot process shows the parent, live (`Robots.shared`).
STATE = (
    *("waiting", "asked", "started", "done", "gave_up"),
    *("due", "due_soon", "polling", "files", "loop_lag_ms"),
)


class Robots:
    """One process's share of the crowd: arrivals number `share`, `share` +
    `shares`, ... of each phase, every robot a coroutine of one asyncio loop
    with its own `AsyncBrowser` (address, cookies, kept connection, TLS
    session), so a robot waits for its page without holding a thread and
    any number of pages can be asked for at once: with 512 threads the
    pollers were the limit (runs 18, 21 and 29). Its results go back to the
    parent at the end (`results`), its state live through `shared`."""

    def __init__(self, crowd: "Crowd", share: int, tls: ResumingContext) -> None:
        self.crowd, self.args, self.share, self.tls = crowd, crowd.args, share, tls
        shares = crowd.args.robot_processes
        # Each its own addresses (every `shares`-th), mobiles and people.
        self.addresses = itertools.islice(Browser.addresses, share, None, shares)
        self.mobiles = Counter(crowd.mobiles + share * 10_000_000)
        self.serial = Counter(crowd.serial + share * 10_000_000)
        self.sms = SmsFile(crowd.sms_path)
        self.timings = {"overload": Timings(), "calm": Timings()}
        self.waiting_ms: list[float] = []
        self.late_ms: list[float] = []  # how late a request left the client
        self.completed: list[tuple[float, bool, str]] = []  # (when, ok, phase)
        self.failures: Counter_[str] = Counter_()
        self.errors = self.resumed = self.connections = 0
        self.state = dict.fromkeys(STATE, 0)
        self.sleeping: dict[asyncio.Task, float] = {}  # waiting robots: when they ask next

    def run(self, connection) -> None:
        """In the child process: the share of the run, then its results sent back."""
        cpu = _cpu_seconds()
        asyncio.run(self.main())
        connection.send(self.results(_cpu_seconds() - cpu))
        connection.close()

    async def main(self) -> None:
        crowd, robots = self.crowd, set()
        publisher = asyncio.create_task(self.publish())  # kept: a task is held weakly
        phases = [
            ("overload", crowd.start, crowd.calm_starts),
            ("calm", crowd.calm_starts, crowd.end),
        ]
        shares = self.args.robot_processes
        for phase, began, until in phases:
            rate = crowd.rates[phase]
            for n in range(self.share, math.ceil((until - began) * rate), shares):
                arrival = began + n / rate
                if arrival > time.monotonic():  # else: at once, with the others due
                    await _sleep_until(arrival)
                robot = asyncio.create_task(self.robot(arrival))
                robots.add(robot)
                robot.add_done_callback(robots.discard)
        await _sleep_until(crowd.end)
        # Those still waiting stay so; the journeys under way finish.
        for robot in list(self.sleeping):
            robot.cancel()
        await asyncio.gather(*robots, return_exceptions=True)
        publisher.cancel()

    async def robot(self, arrival: float) -> None:
        """One person: the home page, again when the waiting page says, until
        let in (then the journey) or out of patience."""
        browser = AsyncBrowser(self.args.port, next(self.addresses), self.tls)
        self.state["waiting"] += 1
        when, me = arrival, asyncio.current_task()
        try:
            while True:
                if when > time.monotonic():
                    self.sleeping[me] = when
                    try:
                        await _sleep_until(when)
                    finally:
                        del self.sleeping[me]
                page = await self.ask(browser, when)
                if page is None:
                    return
                if WAITING not in browser.body:
                    self.state["waiting"] -= 1
                    await self.journey(browser, page)
                    return
                self.waiting_ms.append(page)
                when = time.monotonic() + int(REFRESH.search(browser.body).group(1))
                if when - arrival > self.args.patience:
                    self.state["gave_up"] += 1
                    self.state["waiting"] -= 1
                    return
        except asyncio.CancelledError:
            return  # still waiting at the end
        except Exception as error:  # a page the robot cannot read: an error
            self.errors += 1
            self.state["waiting"] -= 1
            self.failures["waiting: " + type(error).__name__ + ": " + str(error)[:80]] += 1
        finally:
            self.connections += browser.connections
            self.resumed += browser.resumed
            browser.close()

    async def ask(self, browser: AsyncBrowser, when: float) -> float | None:
        """The home page, due at `when`: its time in ms, None if it failed (an error)."""
        self.late_ms.append((time.monotonic() - when) * 1000)
        self.state["polling"] += 1
        start = time.perf_counter()
        try:
            status = await browser.request("GET", "/")
        except OSError:  # a dropped connection, an answer that is not HTTP
            status = 0
        self.state["polling"] -= 1
        self.state["asked"] += 1
        if status != 200:
            self.errors += 1
            self.state["waiting"] -= 1
            self.failures[f"waiting: answered {status}"] += 1
            return None
        return (time.perf_counter() - start) * 1000

    async def journey(self, browser: AsyncBrowser, home_ms: float) -> None:
        self.state["started"] += 1
        phase = "overload" if time.monotonic() < self.crowd.calm_starts else "calm"
        journey = AdmittedJourney(
            browser,
            home_ms,
            sms=self.sms,
            mobiles=self.mobiles,
            serial=self.serial,
            places=self.crowd.places,
            timings=self.timings[phase],
        )
        try:
            ok = await journey.run_async()
        except Exception as error:  # no code came, a connection broke oddly
            ok = False
            self.failures[type(error).__name__ + ": " + str(error)[:80]] += 1
        if journey.wrong:
            self.failures[journey.wrong] += 1
        self.completed.append((time.monotonic(), ok, phase))
        self.errors += not ok
        self.state["done"] += 1

    async def publish(self) -> None:
        """The state in the shared array, every 0.25 s."""
        shared, offset = self.crowd.shared, self.share * len(STATE)
        lags: collections.deque[float] = collections.deque(maxlen=20)
        wake = time.monotonic()
        while True:
            soon = time.monotonic() + 5
            # How late the loop itself woke (the worst in the last 5 s).
            lags.append(soon - 5 - wake)
            self.state["loop_lag_ms"] = int(max(lags) * 1000)
            self.state["due"] = len(self.sleeping)
            self.state["due_soon"] = sum(when < soon for when in self.sleeping.values())
            self.state["files"] = len(os.listdir("/proc/self/fd"))
            for i, key in enumerate(STATE):
                shared[offset + i] = self.state[key]
            wake = time.monotonic() + 0.25
            await asyncio.sleep(0.25)

    def results(self, cpu: float) -> dict:
        return {
            "cpu": cpu,
            "steps": {p: dict(t.steps) for p, t in self.timings.items()},
            "journeys": {p: t.journeys for p, t in self.timings.items()},
            **{k: getattr(self, k) for k in ("waiting_ms", "late_ms", "completed", "failures")},
            **{k: getattr(self, k) for k in ("errors", "resumed", "connections")},
            "gave_up": self.state["gave_up"],
            "asked": self.state["asked"],
        }


async def _sleep_until(when: float) -> None:
    # asyncio's clock is time.monotonic(), the same in every process.
    await asyncio.sleep(max(when - time.monotonic(), 0))


class Crowd:
    """Arrivals at a fixed rate, their waiting pages and their journeys: the
    robots in --robot-processes processes (`Robots`), this one sampling the
    line every second and gathering their results at the end."""

    def __init__(self, args, *, sms_path: Path, mobiles: Counter, serial: Counter, places) -> None:
        self.args, self.sms_path, self.places = args, sms_path, places
        # Past those the capacity phase used.
        self.mobiles, self.serial = mobiles.next(), serial.next()
        self.context = multiprocessing.get_context("fork")
        self.shared = self.context.Array("q", args.robot_processes * len(STATE), lock=False)
        self.timeline: list[tuple[float, int]] = []
        self.longest_line = 0

    def run(self, capacity: float, cafile: Path) -> None:
        tls = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)
        tls.load_verify_locations(cafile)
        # The processes start before the arrivals do.
        self.start = time.monotonic() + 1
        self.calm_starts = self.start + self.args.overload_seconds
        self.end = self.calm_starts + self.args.calm_seconds
        self.rates = {"overload": self.args.overload * capacity, "calm": self.args.calm * capacity}
        processes, connections = [], []
        for share in range(self.args.robot_processes):
            mine, theirs = self.context.Pipe(duplex=False)
            robots = Robots(self, share, tls)
            processes.append(self.context.Process(target=robots.run, args=(theirs,)))
            processes[-1].start()
            theirs.close()
            connections.append(mine)
        cpu = _cpu_seconds()
        self.watch()
        results = [connection.recv() for connection in connections]
        for process in processes:
            process.join()
        self.finished = time.monotonic()
        self.gather(results, _cpu_seconds() - cpu)

    def watch(self) -> None:
        """The line every second until the end (and the crowd every 5 s, --verbose)."""
        tick = self.start
        while tick < self.end:
            time.sleep(max(tick - time.monotonic(), 0))
            state = self.state()
            self.longest_line = max(self.longest_line, state["waiting"])
            self.timeline.append((tick - self.start, state["waiting"]))
            if self.args.verbose and round(tick - self.start) % 5 == 0:
                self.show(tick, state)
            tick += 1

    def state(self) -> dict[str, int]:
        """The robots' state, summed over their processes."""
        shares, width = self.args.robot_processes, len(STATE)
        return {
            key: sum(self.shared[i + share * width] for share in range(shares))
            for i, key in enumerate(STATE)
        }

    def gather(self, results: list[dict], cpu: float) -> None:
        self.timings = {"overload": Timings(), "calm": Timings()}
        for result in results:
            for phase, timings in self.timings.items():
                for step, times in result["steps"][phase].items():
                    timings.steps[step].extend(times)
                timings.journeys.extend(result["journeys"][phase])
        self.completed = sorted(c for result in results for c in result["completed"])
        self.failures: Counter_[str] = sum((r["failures"] for r in results), Counter_())
        for key in ("waiting_ms", "late_ms"):
            setattr(self, key, [x for result in results for x in result[key]])
        for key in ("errors", "gave_up", "asked", "resumed", "connections"):
            setattr(self, key, sum(result[key] for result in results))
        # The robots' processes and this one, over the whole run.
        seconds = self.finished - self.start
        self.client_core = (cpu + sum(r["cpu"] for r in results)) / seconds
        self.busiest_core = max(r["cpu"] for r in results) / seconds

    def show(self, now: float, state: dict[str, int]) -> None:
        """The crowd as the robots see it, and the room's keys in Redis."""
        room = redis.Redis.from_url(f"{harness.REDIS}/{self.args.redis_db}")
        sizes = {k: room.zcard(f"teeka:room:{k}") for k in ("line", "new", "active", "admitted")}
        # Those let in with a page being made for them (counted until answered).
        sizes["serving"] = room.zcount("teeka:room:active", time.time(), "+inf")
        # Whether the robots' own client keeps up: the waiting pages due (and
        # within 5 s), the requests for them under way, its open files. A
        # stall here with nothing due is the server's refresh schedule.
        print(
            f"  t={now - self.start:5.0f} s waiting {state['waiting']}"
            f" requests {state['asked']} journeys done {state['done']}"
            f" under way {state['started'] - state['done']}"
            f" gave up {state['gave_up']} room {sizes}"
            f" | client: due {state['due']} (within 5 s {state['due_soon']})"
            f" polling {state['polling']} files {state['files']}"
            f" loop late {state['loop_lag_ms']} ms",
            flush=True,
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
    # The robots' processes, each an asyncio loop with its share of the arrivals.
    parser.add_argument("--robot-processes", type=int, default=2)
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
        crowd = Crowd(args, sms_path=sms.path, mobiles=mobiles, serial=serial, places=places)
        try:
            crowd.run(capacity, site.cafile)
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
    # The robots' own cost and lateness: their figures are the server's only
    # while the requests leave on time.
    print(
        f"client: {args.robot_processes} processes, CPU {crowd.client_core:.2f} cores"
        f" (the busiest process {crowd.busiest_core:.2f}), {crowd.asked} waiting-room"
        f" requests, lateness p95 {late:.0f} ms max {max(crowd.late_ms, default=0):.0f} ms,"
        f" {crowd.connections} TLS connections ({crowd.resumed} resumed)"
    )
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
