"""The overload benchmark's crowd against the waiting room's own script, on a
clock of its own: what the room's rule lets through, apart from the server.

    .venv/bin/python benchmarks/room_sim.py --redis redis://127.0.0.1:6391/0
        [--active 32] [--page 0.0011] [--capacity 26.9] [--box 34]

benchmarks/overload.py's robots (arrivals at 5 x C a second for 120 s, then
0.5 x C for 120 s; a page asked again when its refresh says; gone once the
next refresh would come after --patience) against teeka/waiting_room.lua
itself, run by a Redis of your choosing (it is flushed: give it one of its
own) with the time passed in, so four minutes take seconds. The server is a
model: the journeys under way share the box (processor sharing), which does
--box journeys a second with no waiting pages, each waiting page taking
--page of it (box-seconds: the CPU of the server and of the client for a
page, over the machine's cores), and no journey takes less than --alone.
Let in, a person counts while their journey is made and --idle after, as the
middleware counts them (`waiting_room.touch`).

Prints RESULT completed_per_s=<journeys done a second in the overload>
ratio=<of C> pages=<waiting pages> line_cleared_after_s=<n or never>, and the
room every 10 s with --verbose. Calibrated on run 30 (docs/performance.md):
the defaults give 0.61 of C and 67,000 pages where run 30 completed 0.54 and
served 62,229; a rule's effect, not a figure of the server.
"""

import argparse
import heapq
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
KEYS = [
    f"teeka:room:{name}"
    for name in (
        "last", "line", "new", "due", "active", "admitted", "left", "asking", "asking-since",
        "held",
    )
]  # fmt: skip
ACTIVE = KEYS[4]
# Any time will do: the script is given it.
EPOCH = 1_800_000_000.0
STEP = 0.02


class Crowd:
    def __init__(self, args: argparse.Namespace, room: redis.Redis) -> None:
        self.args, self.room = args, room
        self.script = room.register_script((ROOT / args.lua).read_text())
        self.events: list[tuple[float, int, dict | None]] = []
        self.serial = 0
        self.now = self.next_sample = 0.0
        self.under_way: dict[int, list] = {}  # id: [work left, ticket]
        self.pages: list[float] = []  # when each waiting page was answered
        self.done: list[float] = []
        self.waiting, self.gave_up, self.last_waiting = 0, 0, 0.0
        self.let_in = 0

    def schedule(self, when: float, person: dict | None) -> None:
        self.serial += 1
        heapq.heappush(self.events, (when, self.serial, person))

    def enter(self, ticket: int | None) -> tuple[int, int, int]:
        a = self.args
        reply = self.script(
            keys=KEYS,
            args=["" if ticket is None else ticket, repr(EPOCH + self.now), a.active, a.idle,
                  a.per_second, a.refresh_min, a.refresh_max],
        )  # fmt: skip
        ticket, place, _, refresh = (int(x) for x in reply)
        return ticket, place, refresh

    def serve(self, until: float) -> None:
        """The journeys under way share what the waiting pages leave of the box."""
        a = self.args
        while self.now < until:
            step = min(STEP, until - self.now)
            recent = sum(1 for t in self.pages[-2000:] if t > self.now - 2) / 2
            box = max(a.box * (1 - recent * a.page), 0.5)
            if self.under_way:
                each = min(1 / a.alone, box / len(self.under_way)) * step
                for journey in self.under_way.values():
                    journey[0] -= each
            self.now += step
            for key in [k for k, (left, _) in self.under_way.items() if left <= 0]:
                _, ticket = self.under_way.pop(key)
                # Answered: counted --idle more (waiting_room.touch).
                self.room.zadd(ACTIVE, {str(ticket): EPOCH + self.now})
                self.done.append(self.now)
            if self.now >= self.next_sample:
                self.sample()

    def sample(self) -> None:
        self.next_sample += 1
        if self.waiting:
            self.last_waiting = self.now
        if self.args.verbose and round(self.now) % 10 == 0:
            counted = self.room.zcount(ACTIVE, EPOCH + self.now - self.args.idle, "+inf")
            print(
                f"  t={self.now:4.0f} s waiting {self.waiting} under way {len(self.under_way)}"
                f" counted in {counted} line {self.room.zcard(KEYS[1])}"
                f" new {self.room.zcard(KEYS[2])}"
            )

    def ask(self, person: dict) -> None:
        ticket, place, refresh = self.enter(person.get("ticket"))
        person["ticket"] = ticket
        if place == 0:
            self.waiting -= 1
            # Counted while their pages are made (waiting_room.IN_FLIGHT_SECONDS).
            self.room.zadd(ACTIVE, {str(ticket): EPOCH + self.now + 60})
            self.let_in += 1
            self.under_way[self.let_in] = [1.0, ticket]
            return
        self.pages.append(self.now)
        if self.now + refresh - person["since"] > self.args.patience:
            self.waiting -= 1
            self.gave_up += 1
        else:
            self.schedule(self.now + refresh, person)

    def run(self) -> None:
        a, t = self.args, 0.0
        for rate, until in ((a.overload * a.capacity, 120.0), (a.calm * a.capacity, 240.0)):
            while t < until:
                self.schedule(t, None)
                t += 1 / rate
        while self.events or self.under_way:
            if not self.events:
                self.serve(self.now + STEP)
                continue
            when, _, person = heapq.heappop(self.events)
            self.serve(when)
            if person is None:  # an arrival
                self.waiting += 1
                person = {"since": self.now}
            self.ask(person)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", required=True, help="a Redis of its own: it is flushed")
    parser.add_argument("--lua", default="teeka/waiting_room.lua")
    parser.add_argument("--capacity", type=float, default=26.9, help="C (journeys/s)")
    parser.add_argument("--overload", type=float, default=5.0)
    parser.add_argument("--calm", type=float, default=0.5)
    parser.add_argument("--box", type=float, default=34.0, help="journeys/s with no pages")
    parser.add_argument("--page", type=float, default=0.0011, help="box-seconds a page")
    parser.add_argument("--alone", type=float, default=0.5, help="s a journey takes alone")
    parser.add_argument("--active", type=int, default=32)
    parser.add_argument("--per-second", type=int, default=30)
    parser.add_argument("--idle", type=float, default=0.5)
    parser.add_argument("--refresh-min", type=int, default=1)
    parser.add_argument("--refresh-max", type=int, default=60)
    parser.add_argument("--patience", type=float, default=60)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    room = redis.Redis.from_url(args.redis)
    room.flushdb()
    crowd = Crowd(args, room)
    crowd.run()
    completed = sum(1 for t in crowd.done if t < 120) / 120
    calm_end = 240.0
    cleared = crowd.last_waiting + 1 - 120 if crowd.last_waiting < calm_end - 1 else None
    print(
        f"RESULT completed_per_s={completed:.1f} ratio={completed / args.capacity:.2f}"
        f" pages={len(crowd.pages)} gave_up={crowd.gave_up} line_cleared_after_s="
        + ("never" if cleared is None else f"{max(cleared, 0):.0f}")
    )


if __name__ == "__main__":
    main()
