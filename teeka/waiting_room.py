"""A fair waiting room for launch day: who is let in, decided in one place.

When more people come than the server can serve, a person arriving for the
first time gets a light page ("you are number N in line") instead of the page
they asked for, and is let in in arrival order as places free. The middleware
(teeka.middleware.WaitingRoomMiddleware) asks `enter()` and keeps the answer
in a signed cookie, the pass: "<ticket>:a" once let in, "<ticket>:w" while
waiting. No database and no session is touched to decide.

The decision is one Lua script in Redis (teeka/waiting_room.lua), atomic for
every web process: tickets in arrival order, the line, the people let in with
when they were last seen, and the admissions of the last minute (for "about M
minutes"). A person let in counts as active until WAITING_ROOM_IDLE_SECONDS
pass without a request; their place then goes to the next in line (if they
come back their pass lets them in again, a little over the limit).

With Redis down or frozen (teeka.redis_breaker: one short timeout, then
skipped for a few seconds) each web process decides alone (`LocalRoom`): it
lets in at most WAITING_ROOM_FALLBACK_ACTIVE new people per idle period, the
earliest tickets it has seen first, and the page shows no number. Passes
already given keep working; nobody is locked out and nothing answers 500.
"""

import bisect
import hashlib
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django_redis import get_redis_connection
from redis.exceptions import NoScriptError, RedisError

logger = logging.getLogger(__name__)

COOKIE = "teeka_line"
SALT = "teeka.waiting_room"
KEYS = [
    f"teeka:room:{name}"
    for name in (
        "last",
        "line",
        "new",
        "due",
        "active",
        "admitted",
        "left",
        "asking",
        "asking-since",
        "held",
    )
]
SCRIPT = (Path(__file__).parent / "waiting_room.lua").read_text()
# Redis names a script by its SHA-1 (EVALSHA).
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()
# The pass: "<ticket>:<a (let in) or w (waiting)>:<when signed>".
_SIGNER = signing.Signer(salt=SALT)
# A pass let in is signed again at most this often (its age is its idleness).
RESIGN_SECONDS = 60
# A person whose page is being made counts as in for this long at most (a
# request is stopped long before: gunicorn's timeout), so that a worker
# killed mid-request does not hold a place for ever.
IN_FLIGHT_SECONDS = 60
# Where the WSGI door (teeka.door) leaves the place it got for a request it
# let through, so the middleware does not ask Redis again.
ENTERED = "teeka.waiting_room.entered"


@dataclass(frozen=True)
class Place:
    ticket: int
    ahead: int  # place in line; 0: let in
    per_minute: int = 0  # how many the line moved by in the last minute
    refresh: int = 0  # when the page asks again (s)
    exact: bool = True  # False while Redis is away: no number to show

    @property
    def admitted(self) -> bool:
        return self.ahead == 0

    def minutes(self) -> int:
        """About how long until this place is let in, at the pace the line
        moved in the last minute (people let in, and people who left)."""
        pace = self.per_minute or expected_per_minute()
        return max(1, math.ceil(self.ahead / pace))


def expected_per_minute() -> float:
    """Admissions a minute if everyone let in stayed for the idle period."""
    return max(settings.WAITING_ROOM_ACTIVE * 60 / settings.WAITING_ROOM_IDLE_SECONDS, 1)


def per_second() -> int:
    return settings.WAITING_ROOM_ADMIT_PER_SECOND or max(
        1, math.ceil(2 * settings.WAITING_ROOM_ACTIVE / settings.WAITING_ROOM_IDLE_SECONDS)
    )


# The pass ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    ticket: int
    admitted: bool
    age: float  # seconds since it was signed


def read_pass(request: HttpRequest) -> Pass | None:
    """The cookie if it is genuine (signed by us), whatever its age."""
    return unsign_pass(request.COOKIES.get(COOKIE, ""))


def unsign_pass(signed: str) -> Pass | None:
    """A pass (a cookie's value, or the door pool's word to Django) if it is
    genuine, whatever its age."""
    try:
        ticket, state, signed_at = _SIGNER.unsign(signed).split(":")
        return Pass(int(ticket), state == "a", time.time() - int(signed_at))
    except (signing.BadSignature, ValueError):
        return None


def sign_pass(ticket: int, *, admitted: bool) -> str:
    state = "a" if admitted else "w"
    return _SIGNER.sign(f"{ticket}:{state}:{int(time.time())}")


def give_pass(response: HttpResponse, ticket: int, *, admitted: bool) -> None:
    response.set_cookie(
        COOKIE,
        sign_pass(ticket, admitted=admitted),
        max_age=settings.WAITING_ROOM_PASS_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# Who asks ----------------------------------------------------------------------


class Way(Enum):
    OPEN = "open"  # not the room's business: through
    LET_IN = "let in"  # a pass that let them in: through, counted
    SESSION = "session"  # a session cookie: through if the session holds anything
    ENTER = "enter"  # a first visit, or a ticket waiting: the room decides


@dataclass(frozen=True)
class Asking:
    way: Way
    held: Pass | None = None

    @property
    def ticket(self) -> int | None:
        """The ticket to enter with: a waiting pass still valid, else none."""
        held = self.held
        if held and not held.admitted and held.age < settings.WAITING_ROOM_PASS_SECONDS:
            return held.ticket
        return None


def sort(request: HttpRequest) -> Asking:
    """Which way a request goes, from its path, method and cookies alone (no
    session read, no Redis): the same for the WSGI door (teeka.door) and the
    middleware (teeka.middleware.WaitingRoomMiddleware).

    Never queued: the paths in WAITING_ROOM_OPEN_PATHS, a pass that let its
    holder in, anyone with a session (signed in, or a sign-in code asked
    for; the caller looks inside), and a POST with any pass of ours, so what
    a person typed is never lost to the waiting page."""
    if request.path_info.startswith(settings.WAITING_ROOM_OPEN_PATHS):
        return Asking(Way.OPEN)
    held = read_pass(request)
    post = request.method == "POST"
    if held and held.admitted and (held.age < settings.WAITING_ROOM_PASS_SECONDS or post):
        return Asking(Way.LET_IN, held)
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return Asking(Way.SESSION, held)
    return without_session(held, post)


def without_session(held: Pass | None, post: bool) -> Asking:
    if held and not held.admitted and post:
        return Asking(Way.OPEN, held)
    return Asking(Way.ENTER, held)


# The decision --------------------------------------------------------------------


def enter(ticket: int | None) -> Place:
    """Let in, or a place in line, for a first visit (None) or a ticket held."""
    now = time.time()
    try:
        return _enter_redis(ticket, now)
    except RedisError as error:
        logger.warning("waiting room: Redis away (%s); this process decides alone", error)
    except NotImplementedError:  # no Redis configured (the embedded default)
        pass
    return local_room().enter(ticket, now)


def touch(ticket: int, *, answered: bool = False) -> None:
    """A person let in asked for a page (or got it: `answered`). While the
    page is being made they count as in for IN_FLIGHT_SECONDS, however slow
    the server is; once answered, for the idle time from now. Counted only
    from the request's start, a person whose page took longer than the
    idle time would stop counting while the server works for them, and a
    slow server would let more people in just when it can serve fewer."""
    now = time.time()
    seen = now if answered else now + IN_FLIGHT_SECONDS
    try:
        _redis().zadd(KEYS[4], {str(ticket): seen})
    except (RedisError, NotImplementedError):
        pass  # while Redis is away, passes let people in uncounted


def _redis():
    if not settings.REDIS_URL:
        raise NotImplementedError
    return get_redis_connection("default")


def _enter_redis(ticket: int | None, now: float) -> Place:
    client = _redis()
    args = [
        "" if ticket is None else str(ticket),
        repr(now),
        settings.WAITING_ROOM_ACTIVE,
        settings.WAITING_ROOM_IDLE_SECONDS,
        per_second(),
        *settings.WAITING_ROOM_REFRESH_SECONDS,
    ]
    try:
        reply = client.evalsha(SCRIPT_SHA, len(KEYS), *KEYS, *args)
    except NoScriptError:
        reply = client.eval(SCRIPT, len(KEYS), *KEYS, *args)
    given, ahead, per_minute, refresh = reply
    return Place(int(given), int(ahead), int(per_minute), int(refresh))


class LocalRoom:
    """One web process's own room while Redis is away: at most
    WAITING_ROOM_FALLBACK_ACTIVE admissions per idle period, the earliest
    tickets it has seen asking lately first. Tickets are arrival times in
    microseconds, as Redis gives them, so the two orders agree."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.admitted: deque[float] = deque()
        self.tickets: list[int] = []  # sorted
        self.asked: dict[int, float] = {}

    def enter(self, ticket: int | None, now: float) -> Place:
        with self.lock:
            self._forget(now)
            room = settings.WAITING_ROOM_FALLBACK_ACTIVE - len(self.admitted)
            if ticket is None:
                ticket = int(now * 1_000_000)
                if room > 0 and not self.tickets:
                    self.admitted.append(now)
                    return Place(ticket, 0)
            if ticket not in self.asked:
                bisect.insort(self.tickets, ticket)
            self.asked[ticket] = now
            rank = bisect.bisect_left(self.tickets, ticket)
            if rank < room:
                self.tickets.pop(rank)
                del self.asked[ticket]
                self.admitted.append(now)
                return Place(ticket, 0)
            low = settings.WAITING_ROOM_REFRESH_SECONDS[0]
            return Place(ticket, rank + 1, refresh=2 * low, exact=False)

    def _forget(self, now: float) -> None:
        while self.admitted and self.admitted[0] < now - settings.WAITING_ROOM_IDLE_SECONDS:
            self.admitted.popleft()
        # A page that stopped asking (its refresh here is twice the shortest):
        # forgotten a little after it was due, so that pages closed do not
        # keep those behind them waiting (it takes its place again if it asks).
        keep = 2 * settings.WAITING_ROOM_REFRESH_SECONDS[0] + 2
        stale = [t for t, at in self.asked.items() if at < now - keep]
        for t in stale:
            del self.asked[t]
        if stale:
            self.tickets = sorted(self.asked)


_local = LocalRoom()


def local_room() -> LocalRoom:
    return _local


def reset_local_room() -> None:
    global _local
    _local = LocalRoom()
