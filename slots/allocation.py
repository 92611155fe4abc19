"""The allocator: a district's queue served in the fair order, each person given
the nearest, then earliest, open seat they are eligible for.

How a run goes, and why:
- A per-district advisory lock, held for the whole run, keeps two runs for one
  district from overlapping: the second one skips (or waits, if asked to).
- The queue is read in batches in QUEUE_ORDER, each batch in its own durable
  transaction: lock the district's open sessions (in id order, the fixed order
  every writer uses: sessions before registrations), read the batch's people,
  decide in memory, and write the whole batch with one set-based statement
  whose first step is a compare-and-set of the people's status (waiting ->
  allotted), so a person an official allotted by hand meanwhile is left out.
  A killed worker leaves every batch done or not done; the next run starts
  again at the head of the queue and finds the people of the done batches no
  longer waiting.
- Seats only run out during a run, so a person nobody could seat in one batch
  cannot be seated by a later batch either: the greedy answer is the same
  however the run is cut into batches (a seat freed by a cancellation in the
  middle of a run may go to someone later in the queue; a little inexact, and
  the cancellation asks for a fresh run anyway).
"""

import contextlib
import csv
import datetime
import io
import secrets
import struct
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from quotas.models import Policy, Rollover
from quotas.shares import Rule, category_of, split
from registrations.models import QUEUE_ORDER, Registration
from teeka.models import OutboundSms
from teeka.outbox import PRIORITY_OF_KIND, next_sending_time

from . import notices
from .models import AllocationRequest, AllocationRun, Appointment, Session, SkippedSession

# First key of the two-key advisory lock; the second is the district code.
LOCK_CLASS = 0x7EE4A
BATCH_SIZE = 20_000


@dataclass
class AllocationSummary:
    district_id: int
    allotted: int = 0
    still_waiting: int = 0
    seats_left: int = 0
    # True when another run held the district's lock and this one did nothing.
    skipped: bool = False
    # Who got a seat in this run (only kept when the caller asks for a subset).
    seated: list[int] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("seated")
        return data


@dataclass(slots=True)
class OpenSession:
    id: int
    centre_id: int
    locality_id: int
    area_id: int
    date: datetime.date
    start_time: datetime.time
    vaccine: str
    dose: int
    min_age: int
    max_age: int | None
    seats: int
    # For the SMS.
    centre_name: str = ""
    end_time: datetime.time | None = None
    # Under a quota policy (quotas app): its id, and the seats left in each
    # category's share, in the policy's order. None: no policy covers it.
    policy: int | None = None
    shares: dict[int, int] | None = None


@dataclass(slots=True)
class Person:
    id: int
    queue_key: tuple
    birth_year: int
    locality_id: int
    area_id: int
    dose: int
    # Dose 2 only: the vaccine of dose 1, the first day dose 2 may be given,
    # and the centre of dose 1 (preferred).
    vaccine: str = ""
    earliest: datetime.date | None = None
    first_centre_id: int | None = None
    # For the SMS, written in the same statement as the appointment.
    name: str = ""
    reference: str = ""
    mobile: str | None = None
    language: str = ""
    # The person's own wishes, kept since they cancelled for another date: no
    # session before this day, and never these sessions again.
    not_before: datetime.date | None = None
    skipped: frozenset[int] | set[int] = frozenset()
    # Under quota policies: the person's category in each (policy id ->
    # category id, None for none); and for the seat taken, the share it
    # counts against and the person's category there.
    ration_card: str = ""
    categories: dict[int, int | None] | None = None
    share: int | None = None
    category: int | None = None

    def places(self) -> list[tuple]:
        """Where to look, nearest first; never outside the district."""
        nearest = [("centre", self.first_centre_id)] if self.first_centre_id else []
        return [*nearest, ("locality", self.locality_id), ("area", self.area_id), ("district", 0)]

    def fits(self, session: OpenSession) -> bool:
        """The eligibility rules other than place and notice."""
        age = session.date.year - self.birth_year
        if age < session.min_age or (session.max_age is not None and age > session.max_age):
            return False
        if session.dose != self.dose:
            return False
        if self.not_before is not None and session.date < self.not_before:
            return False
        if self.skipped and session.id in self.skipped:
            return False
        if self.dose == 2:
            return session.vaccine == self.vaccine and session.date >= self.earliest
        return True


def person_from_registration(registration: Registration) -> Person | None:
    """The allocator's view of one registration, without the person's own
    wishes (see slots.services.check_wishes); None if no dose is due."""
    return _new_person(
        id=registration.pk,
        queue_key=tuple(getattr(registration, f) for f in QUEUE_ORDER),
        birth_year=registration.birth_year,
        locality_id=registration.locality_id,
        area_id=registration.area_id,
        doses_received=registration.doses_received,
        last_vaccine=registration.last_vaccine,
        last_dose_date=registration.last_dose_date,
    )


def _new_person(
    *, doses_received: int, last_vaccine: str, last_dose_date: datetime.date | None, **fields
) -> Person | None:
    dose = doses_received + 1
    if dose > 2:
        return None
    person = Person(dose=dose, **fields)
    if dose == 2:
        interval = settings.TEEKA_DOSE_INTERVAL_DAYS.get(last_vaccine)
        if interval is None or last_dose_date is None:
            return None
        person.vaccine = last_vaccine
        person.earliest = last_dose_date + datetime.timedelta(days=interval)
    return person


class SeatFinder:
    """Open sessions indexed by place and dose, each list earliest first."""

    def __init__(self, sessions: list[OpenSession]):
        self.lists: dict[tuple, list[OpenSession]] = defaultdict(list)
        for s in sorted(sessions, key=lambda s: (s.date, s.start_time, s.id)):
            for place in (
                ("centre", s.centre_id),
                ("locality", s.locality_id),
                ("area", s.area_id),
                ("district", 0),
            ):
                self.lists[(place, s.dose)].append(s)
        self.sessions = sessions
        # (place, dose, birth year, vaccine, earliest) found with no seat: seats
        # only run out, so the answer stays "none" for the rest of the batch.
        self.none_left: set[tuple] = set()

    def seats_left(self) -> int:
        return sum(s.seats for s in self.sessions)

    def take_seat(self, person: Person) -> OpenSession | None:
        for place in person.places():
            key = (place, person.dose)
            seats = self.lists.get(key)
            memo = (key, person.birth_year, person.vaccine, person.earliest)
            if not seats or memo in self.none_left:
                continue
            session = _first_fit(seats, person)
            if session is not None:
                session.seats -= 1
                return session
            if person.not_before is None and not person.skipped:
                # Only a person without wishes of their own speaks for the
                # others like them (a person with wishes fits fewer seats).
                self.none_left.add(memo)
        return None

    def add_wishes(self, people: list["Person"]) -> None:
        """Gives each person the open sessions they gave up: one query for
        the batch, over the few rows of these sessions."""
        if not people or not self.sessions:
            return
        rows = SkippedSession.objects.filter(
            session_id__in=[s.id for s in self.sessions]
        ).values_list("registration_id", "session_id")
        skipped: dict[int, set[int]] = defaultdict(set)
        for registration_id, session_id in rows:
            skipped[registration_id].add(session_id)
        if skipped:
            for person in people:
                person.skipped = skipped.get(person.id, person.skipped)


@dataclass
class QuotaPlan:
    """The active quota policies, as a run applies them (docs/design.md, "How
    slots are allotted"). Read once a run: a policy turned on or off in the
    middle of a run applies from the next run."""

    policies: list[tuple[Policy, list[Rule]]]

    @classmethod
    def active(cls) -> "QuotaPlan":
        policies = Policy.objects.filter(active=True).order_by("id")
        return cls([(policy, policy.rules()) for policy in policies])

    def __bool__(self) -> bool:
        return bool(self.policies)

    def covering(self, session: OpenSession) -> tuple[Policy, list[Rule]] | None:
        # Active policies do not overlap (the quotas admin refuses it); if
        # they ever did, the first made wins.
        for policy, rules in self.policies:
            if policy.covers(date=session.date, min_age=session.min_age, max_age=session.max_age):
                return policy, rules
        return None

    def attach_shares(self, sessions: list[OpenSession]) -> None:
        """Each covered session's seats left per category share: the share of
        the seats allotted under the shares (capacity less the seats booked
        outside them: by hand, as standby, before the policy was on), less
        the seats already counted against it. Read under the batch's lock on
        the sessions, so exact."""
        covered = {}
        for session in sessions:
            found = self.covering(session)
            if found is not None:
                covered[session.id] = found
        if not covered:
            return
        counted: dict[int, Counter] = defaultdict(Counter)
        rows = (
            Appointment.objects.filter(
                session_id__in=list(covered),
                status__in=Appointment.ACTIVE,
                share_of__isnull=False,
            )
            .values_list("session_id", "share_of_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for session_id, category_id, n in rows:
            counted[session_id][category_id] = n
        for session in sessions:
            if session.id in covered:
                policy, rules = covered[session.id]
                taken = counted[session.id]
                parts = split(session.seats + sum(taken.values()), [r.share for r in rules])
                session.policy = policy.id
                session.shares = {
                    r.id: max(0, part - taken[r.id]) for r, part in zip(rules, parts, strict=True)
                }

    def sort_people(self, people: list[Person]) -> None:
        """Each person's category in each policy: the first they qualify for."""
        for person in people:
            person.categories = {
                policy.id: category_of(
                    rules, ration_card=person.ration_card, priority=person.queue_key[0]
                )
                for policy, rules in self.policies
            }


class ShareFinder(SeatFinder):
    """The seat finder under quota policies, in one of two passes over the
    queue. First (`rollover` False) each person takes a seat only from their
    own category's share of a covered session (or any seat of a session no
    policy covers). Then (`rollover` True) the people still waiting, in queue
    order again, take any seat left: a share still open after the first pass
    has nobody of its category left who could take it, so it rolls over."""

    def __init__(self, sessions: list[OpenSession], *, rollover: bool):
        super().__init__(sessions)
        self.rollover = rollover

    def seats_left(self) -> int:
        if self.rollover:
            return super().seats_left()
        return sum(
            s.seats if s.shares is None else min(s.seats, sum(s.shares.values()))
            for s in self.sessions
        )

    def take_seat(self, person: Person) -> OpenSession | None:
        # SeatFinder.take_seat, with the person's categories in the memo in the
        # first pass (people alike but in other categories fit other seats).
        kind = () if self.rollover else tuple(person.categories.values())
        for place in person.places():
            key = (place, person.dose)
            seats = self.lists.get(key)
            memo = (key, person.birth_year, person.vaccine, person.earliest, kind)
            if not seats or memo in self.none_left:
                continue
            session = self._first_fit(seats, person)
            if session is not None:
                self._take(session, person)
                return session
            if person.not_before is None and not person.skipped:
                self.none_left.add(memo)
        return None

    def _first_fit(self, sessions: list[OpenSession], person: Person) -> OpenSession | None:
        full = 0
        found = None
        for session in sessions:
            if session.seats <= 0:
                full += 1
            elif person.fits(session) and self._open_to(session, person):
                found = session
                break
        if full > 8:
            sessions[:] = [s for s in sessions if s.seats > 0]
        return found

    def _open_to(self, session: OpenSession, person: Person) -> bool:
        if session.shares is None or self.rollover:
            return True
        return session.shares.get(person.categories.get(session.policy), 0) > 0

    def _take(self, session: OpenSession, person: Person) -> None:
        session.seats -= 1
        if session.shares is None:
            return
        own = person.categories.get(session.policy)
        if session.shares.get(own, 0) > 0:
            give = own
        else:  # the second pass: the first share in the policy's order with seats left
            give = next((c for c, left in session.shares.items() if left > 0), None)
        if give is not None:
            session.shares[give] -= 1
        person.share, person.category = give, own


def _first_fit(sessions: list[OpenSession], person: Person) -> OpenSession | None:
    full = 0
    found = None
    for session in sessions:
        if session.seats <= 0:
            full += 1
        elif person.fits(session):
            found = session
            break
    if full > 8:  # drop full sessions so later people do not walk past them
        sessions[:] = [s for s in sessions if s.seats > 0]
    return found


def session_start(session: OpenSession) -> datetime.datetime:
    """When the session begins: its SMS is of no use after that."""
    return timezone.make_aware(datetime.datetime.combine(session.date, session.start_time))


def notice_cutoff(now: datetime.datetime) -> datetime.datetime:
    """Local wall-clock time before which a session is too soon to allot."""
    later = timezone.localtime(now) + datetime.timedelta(hours=settings.TEEKA_NOTICE_HOURS)
    return later.replace(tzinfo=None)


def open_sessions(*, district_id: int, now: datetime.datetime, lock: bool) -> list[OpenSession]:
    """The district's published, active sessions with seats, far enough ahead."""
    cutoff = notice_cutoff(now)
    rows = (
        Session.objects.filter(
            district_id=district_id,
            published=True,
            status=Session.Status.ACTIVE,
            booked__lt=F("capacity"),
            date__gte=cutoff.date(),
            centre__active=True,
        )
        .annotate(seats=F("capacity") - F("booked"))
        .order_by("id")
        .values_list(
            "id",
            "centre_id",
            "centre__locality_id",
            "centre__area_id",
            "date",
            "start_time",
            "vaccine",
            "dose",
            "min_age",
            "max_age",
            "seats",
            "centre__name",
            "end_time",
        )
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    sessions = [OpenSession(*row) for row in rows]
    return [s for s in sessions if datetime.datetime.combine(s.date, s.start_time) >= cutoff]


def waiting_people(
    *,
    district_id: int,
    after: tuple | None,
    limit: int,
    only_ids: list[int] | None = None,
    lock: bool,
) -> "Batch":
    """The next `limit` people of the district's queue after `after`."""
    rows = queue(district_id=district_id, after=after, only_ids=only_ids)
    if lock:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    # Plain tuples, not model instances: a batch is tens of thousands of rows.
    rows = _fetch(rows.values_list(*_PERSON_FIELDS)[:limit])
    return Batch(
        people=[p for p in map(_person, rows) if p is not None],
        last_key=rows[-1][1:_AFTER_QUEUE_KEY] if rows else None,
        complete=len(rows) == limit,
    )


def _fetch(rows: QuerySet) -> list[tuple]:
    """On PostgreSQL, the ORM's own SQL fetched on a plain cursor: its per-row
    machinery costs more than the rest of the work on a row (measured), and
    psycopg2 already returns these columns as Python wants them. SQLite needs
    Django's converters for dates."""
    if connection.vendor != "postgresql":
        return list(rows)
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def queue(
    *, district_id: int, after: tuple | None = None, only_ids: list[int] | None = None
) -> QuerySet:
    """The district's waiting people in the fair order, from after `after`:
    a walk along the index reg_district_queue."""
    first_centre = Appointment.objects.filter(
        registration=OuterRef("pk"), dose=1, status=Appointment.Status.ATTENDED
    ).values("session__centre_id")[:1]
    rows = Registration.objects.filter(
        district_id=district_id, status=Registration.Status.WAITING, doses_received__lt=2
    )
    if only_ids is not None:
        rows = rows.filter(pk__in=only_ids)
    if after is not None:
        # A row comparison, so PostgreSQL walks the queue index from `after`.
        rows = rows.extra(where=["(priority, queue_at, reference) > (%s, %s, %s)"], params=after)
    return rows.annotate(
        first_centre=Case(When(doses_received=1, then=Subquery(first_centre)), default=Value(None)),
        # The stored text: a PhoneNumber object per row costs more than the rest.
        mobile=Cast("account__mobile", CharField()),
    ).order_by(*QUEUE_ORDER)


_PERSON_FIELDS = (
    "id",
    *QUEUE_ORDER,
    "birth_year",
    "locality_id",
    "area_id",
    "doses_received",
    "last_vaccine",
    "last_dose_date",
    "first_centre",
    "name",
    "mobile",
    "account__language",
    "not_before",
    "ration_card",
)


_AFTER_QUEUE_KEY = 1 + len(QUEUE_ORDER)
_REFERENCE = _PERSON_FIELDS.index("reference")


def _person(row: tuple) -> Person | None:
    # Unpacked by position (the order of _PERSON_FIELDS): a batch has tens of
    # thousands of rows, and a dict per row costs more than the rest of this.
    (
        birth_year,
        locality_id,
        area_id,
        doses,
        vaccine,
        last_date,
        first_centre_id,
        name,
        mobile,
        language,
        not_before,
        ration_card,
    ) = row[_AFTER_QUEUE_KEY:]
    person = _new_person(
        id=row[0],
        queue_key=row[1:_AFTER_QUEUE_KEY],
        birth_year=birth_year,
        locality_id=locality_id,
        area_id=area_id,
        doses_received=doses,
        last_vaccine=vaccine,
        last_dose_date=last_date,
    )
    if person is not None:
        person.first_centre_id = first_centre_id
        person.name, person.reference = name, row[_REFERENCE]
        person.mobile = mobile or None
        person.language = language or ""
        person.not_before = not_before
        person.ration_card = ration_card
    return person


@dataclass
class Batch:
    people: list[Person]
    # Where the next batch starts, and whether there may be one.
    last_key: tuple | None
    complete: bool


@contextlib.contextmanager
def district_lock(district_id: int, *, wait: bool) -> Iterator[bool]:
    """Holds the district's run lock for the block; yields False if another
    run has it and `wait` is off. A session-level advisory lock: it outlives
    the batch transactions, and PostgreSQL drops it if the worker dies."""
    if connection.vendor != "postgresql":
        yield True  # SQLite, the embedded default, runs one writer at a time anyway
        return
    function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_CLASS, district_id])
        held = wait or cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, district_id])


def _after_batch(district_id: int, batch: int) -> None:
    """Called between batches; tests replace it to interrupt a run."""


def allocate_district(
    *,
    district_id: int,
    dry_run: bool = False,
    wait: bool = False,
    only_ids: list[int] | None = None,
    kind: str = "allotted",
    reason: str = "",
    batch_size: int = BATCH_SIZE,
    now: datetime.datetime | None = None,
) -> AllocationSummary:
    """Allots open seats of one district to its queue (or to `only_ids`, people
    who just lost their seat). A dry run decides the same way and writes
    nothing."""
    now = now or timezone.now()
    summary = AllocationSummary(district_id=district_id)
    lock = contextlib.nullcontext(True) if dry_run else district_lock(district_id, wait=wait)
    with lock as held:
        if not held:
            summary.skipped = True
            return summary
        run = _Run(summary, now=now, kind=kind, reason=reason, keep_seated=only_ids is not None)
        if dry_run:
            run.dry(only_ids=only_ids, batch_size=batch_size)
        else:
            run.for_real(only_ids=only_ids, batch_size=batch_size)
    return summary


@dataclass
class _Run:
    summary: AllocationSummary
    now: datetime.datetime
    kind: str
    reason: str
    keep_seated: bool

    @property
    def district_id(self) -> int:
        return self.summary.district_id

    def dry(self, *, only_ids: list[int] | None, batch_size: int) -> None:
        sessions = open_sessions(district_id=self.district_id, now=self.now, lock=False)
        plan = QuotaPlan.active()
        if not plan:
            finder = SeatFinder(sessions)
            self.summary.allotted += self._dry_pass(finder, None, only_ids, batch_size, set())
        else:
            plan.attach_shares(sessions)
            seated: set[int] = set()
            for rollover in (False, True):
                finder = ShareFinder(sessions, rollover=rollover)
                self.summary.allotted += self._dry_pass(finder, plan, only_ids, batch_size, seated)
        waiting = _waiting_count(self.district_id, only_ids)
        self.summary.still_waiting = waiting - self.summary.allotted
        self.summary.seats_left = sum(s.seats for s in sessions)

    def _dry_pass(self, finder, plan, only_ids, batch_size: int, seated: set[int]) -> int:
        """One pass over the queue, written nowhere; `seated` carries who
        found a seat from the first pass of a quota plan to the second."""
        allotted, after = 0, None
        while True:
            batch = waiting_people(
                district_id=self.district_id,
                after=after,
                limit=batch_size,
                only_ids=only_ids,
                lock=False,
            )
            people = [p for p in batch.people if p.id not in seated] if seated else batch.people
            finder.add_wishes(people)
            if plan is not None:
                plan.sort_people(people)
            pairs = _assign(finder, people)
            allotted += len(pairs)
            if plan is not None:
                seated.update(person.id for person, _ in pairs)
            if not batch.complete:
                return allotted
            after = batch.last_key

    def for_real(self, *, only_ids: list[int] | None, batch_size: int) -> None:
        self._close_interrupted()
        record = AllocationRun.objects.create(district_id=self.district_id, started_at=self.now)
        plan = QuotaPlan.active()
        done = 0
        # Without a policy, one pass as ever; with one, the shares' pass and
        # then the rollover's, each over the queue from its head.
        for rollover in (False, True) if plan else (None,):
            after = None
            while True:
                with transaction.atomic(durable=True):
                    _tune_batch()
                    sessions = open_sessions(district_id=self.district_id, now=self.now, lock=True)
                    if rollover is None:
                        finder = SeatFinder(sessions)
                    else:
                        plan.attach_shares(sessions)
                        finder = ShareFinder(sessions, rollover=rollover)
                    batch = self._next(after, only_ids, _read_size(finder, batch_size))
                    # Read after the people: whoever is waiting again after a
                    # cancel has their skipped session committed with it.
                    finder.add_wishes(batch.people)
                    if plan:
                        plan.sort_people(batch.people)
                    pairs = _assign(finder, batch.people)
                    write_batch(pairs, now=self.now, kind=self.kind, reason=self.reason)
                    done += 1
                    AllocationRun.objects.filter(pk=record.pk).update(
                        batches=done, allotted=F("allotted") + len(pairs)
                    )
                self._note(pairs)
                if not batch.complete or not finder.seats_left():
                    break
                after = batch.last_key
                _after_batch(self.district_id, done)
        self._finish(record, only_ids)

    def _close_interrupted(self) -> None:
        """Under the district's lock no other run is alive: an unfinished run
        was cut short (its worker killed). Its batches stand; this run does
        the rest. A full run also answers every request made before it."""
        AllocationRun.objects.filter(district_id=self.district_id, finished_at=None).update(
            finished_at=timezone.now(), interrupted=True
        )
        if not self.keep_seated:
            AllocationRequest.objects.filter(
                district_id=self.district_id, requested_at__lte=self.now
            ).delete()

    def _next(self, after, only_ids, limit: int) -> Batch:
        if not limit:  # no seats: nobody to read
            return Batch(people=[], last_key=None, complete=False)
        return waiting_people(
            district_id=self.district_id,
            after=after,
            limit=limit,
            only_ids=only_ids,
            # Read, not locked: the write's compare-and-set on status decides.
            lock=False,
        )

    def _note(self, pairs: list[tuple[Person, OpenSession]]) -> None:
        self.summary.allotted += len(pairs)
        if self.keep_seated:
            self.summary.seated += [person.id for person, _ in pairs]

    def _finish(self, record: AllocationRun, only_ids: list[int] | None) -> None:
        open_now = open_sessions(district_id=self.district_id, now=self.now, lock=False)
        self.summary.seats_left = sum(s.seats for s in open_now)
        self.summary.still_waiting = _waiting_count(self.district_id, only_ids)
        AllocationRun.objects.filter(pk=record.pk).update(
            finished_at=timezone.now(),
            still_waiting=self.summary.still_waiting,
            seats_left=self.summary.seats_left,
        )


# Read at least this many people per batch, however few seats are left.
MIN_READ = 1000


def _read_size(finder: SeatFinder, batch_size: int) -> int:
    """How many people to read for the next batch: no more than there are
    seats (a district's last batch would otherwise read thousands of people
    only to seat none of them), but enough that people who fit none of the
    seats left do not cost a batch each."""
    seats = finder.seats_left()
    return min(batch_size, max(seats, MIN_READ)) if seats else 0


def _tune_batch() -> None:
    """Planner settings for this batch's transaction only (PostgreSQL).

    - No JIT: the planner's row guesses for the batch statement's chain of
      CTEs make it look costly enough to compile every time (0.7 s a batch,
      measured), and compiled expressions do nothing for the index writes
      where the time goes.
    - Random reads priced as on an SSD (1.1, the value PostgreSQL's manual
      suggests for it) instead of a spinning disk (4): the batch touches its
      people by key, and at 4 the planner reads the whole registrations
      table (and the accounts) to save twenty thousand key lookups.
    - Enough memory for a batch's rows (a few MB) not to spill to disk.
    - No parallel workers for one query: the allocator is already parallel,
      a district per worker, and helpers would only compete for those cores.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")


def _assign(finder: SeatFinder, people: list[Person]) -> list[tuple[Person, OpenSession]]:
    """The greedy step: each person in queue order takes the best seat left."""
    pairs = []
    for person in people:
        session = finder.take_seat(person)
        if session is not None:
            pairs.append((person, session))
    return pairs


def _waiting_count(district_id: int, only_ids: list[int] | None) -> int:
    rows = Registration.objects.filter(
        district_id=district_id, status=Registration.Status.WAITING, doses_received__lt=2
    )
    return (rows.filter(pk__in=only_ids) if only_ids is not None else rows).count()


def write_batch(
    pairs: list[tuple[Person, OpenSession]], *, now: datetime.datetime, kind: str, reason: str
) -> None:
    """Writes one batch's appointments, seat counts, statuses and SMS."""
    if not pairs:
        return
    writer = _write_batch_sql if connection.vendor == "postgresql" else _write_batch_orm
    writer(pairs, now=now, kind=kind, reason=reason)


def _codes(n: int) -> list[str]:
    """n random four-digit codes, from one read of the system's CSPRNG (32
    random bits each: the modulo's bias, 2**32 % 10**4 / 2**32, is 1e-6)."""
    numbers = struct.unpack(f"<{n}I", secrets.token_bytes(4 * n))
    return [f"{number % 10000:04d}" for number in numbers]


def _texts(pairs, codes: list[str], *, kind: str, reason: str) -> list[str | None]:
    """Each SMS text: a session's part filled once per session and language,
    then only the person's own values (the same text slots.notices.tell writes
    one at a time). None for a person without a mobile."""
    by_session: dict[tuple, str] = {}
    texts: list[str | None] = []
    for (person, session), code in zip(pairs, codes, strict=True):
        if person.mobile is None:
            texts.append(None)
            continue
        key = (session.id, person.language)
        if key not in by_session:
            by_session[key] = _session_text(session, person.language, kind=kind, reason=reason)
        values = notices.person_values(name=person.name, reference=person.reference, code=code)
        texts.append(notices.prefill(by_session[key], values))
    return texts


def _session_text(session: OpenSession, language: str, *, kind: str, reason: str) -> str:
    values = notices.session_values(
        centre=session.centre_name,
        date=session.date,
        start=session.start_time,
        end=session.end_time,
        dose=session.dose,
    )
    language = language or settings.LANGUAGE_CODE
    return notices.prefill(notices.skeleton(kind, language), {**values, "reason": reason})


# A batch travels to PostgreSQL by COPY into a temporary table that lives
# for the batch's transaction: as statement parameters, twenty thousand rows
# of six columns make a 3 MB statement whose quoting and parsing cost more
# than the writes themselves (measured).
_BATCH_TABLE = """
CREATE TEMPORARY TABLE allotment_batch (
    registration_id bigint, session_id bigint, dose smallint, code varchar(4),
    mobile varchar(16), text text, expires_at timestamptz, share_id bigint, category_id bigint
) ON COMMIT DROP
"""

# Then one statement writes the batch: the people's status (a compare-and-set),
# their appointments and SMS, and the seat counts. The texts come rendered
# (see _texts); the dedupe key needs the appointment's id, so it is made here.
# No history rows: the appointment itself says who (allotted_by NULL: the
# allocator) and when, and AllocationRun says which run.
_BATCH_SQL = """
WITH taken AS (
    -- Compare-and-set: someone an official allotted since we read the queue is
    -- left out (their seat stays free for the next batch).
    UPDATE registrations_registration r SET status = 'allotted'
    FROM allotment_batch p
    WHERE r.id = p.registration_id AND r.status = 'waiting'
    RETURNING r.id
), ap AS (
    INSERT INTO slots_appointment
        (registration_id, session_id, dose, status, code, created_at, updated_at,
         batch_number, cancel_reason, share_of_id, category_id)
    SELECT p.registration_id, p.session_id, p.dose, 'booked', p.code, %(now)s, %(now)s, '', '',
           p.share_id, CASE WHEN p.share_id IS NOT NULL THEN p.category_id END
    FROM allotment_batch p JOIN taken ON taken.id = p.registration_id
    RETURNING id, registration_id, session_id
), sms AS (
    INSERT INTO teeka_outboundsms
        ("to", text, kind, dedupe_key, status, priority, created_at, send_after, expires_at,
         attempts, last_error)
    SELECT p.mobile, p.text, %(kind)s, %(kind)s || ':' || ap.id::text, 'pending', %(priority)s,
           %(now)s, %(send_after)s, p.expires_at, 0, ''
    FROM ap JOIN allotment_batch p ON p.registration_id = ap.registration_id
    WHERE p.mobile IS NOT NULL
)
UPDATE slots_session t SET booked = t.booked + n.taken
FROM (SELECT session_id, count(*) AS taken FROM ap GROUP BY session_id) n
WHERE t.id = n.session_id
"""


def _write_batch_sql(pairs, *, now, kind, reason) -> None:
    # In id order, so the table and its indexes are visited page after page.
    pairs = sorted(pairs, key=lambda pair: pair[0].id)
    codes = _codes(len(pairs))
    starts = {session.id: session_start(session) for _, session in pairs}
    rows = zip(
        [person.id for person, _ in pairs],
        [session.id for _, session in pairs],
        [person.dose for person, _ in pairs],
        codes,
        [person.mobile for person, _ in pairs],
        _texts(pairs, codes, kind=kind, reason=reason),
        [starts[session.id] for _, session in pairs],
        [person.share for person, _ in pairs],
        [person.category for person, _ in pairs],
        strict=True,
    )
    params = {
        "now": now,
        "kind": kind,
        "send_after": next_sending_time(now),
        "priority": PRIORITY_OF_KIND.get(kind, OutboundSms.Priority.CHANGE),
    }
    with connection.cursor() as cursor:
        # Gone at commit; dropped here too for a caller (a test) that writes
        # two batches in one transaction.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.allotment_batch")
        cursor.execute(_BATCH_TABLE)
        cursor.copy_expert(
            "COPY allotment_batch FROM STDIN"
            " (FORMAT csv, FORCE_NULL (mobile, share_id, category_id))",
            _as_csv(rows),
        )
        cursor.execute("ANALYZE allotment_batch")
        # quotas.Rollover follows from the appointments (a trigger, slots/0015).
        cursor.execute(_BATCH_SQL, params)


def _as_csv(rows) -> io.StringIO:
    """CSV that COPY reads back exactly: strings quoted (so an empty one stays
    empty), numbers bare. Python 3.11's csv writes None as "" (quoted) too, so
    COPY is told which columns read "" as NULL (FORCE_NULL)."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
    buffer.seek(0)
    return buffer


def _add_rollovers(pairs, *, now: datetime.datetime) -> None:
    """What the trigger of slots/0015 does on PostgreSQL, for the seats given
    here. On SQLite (the embedded demo) a rolled-over seat given up later is
    not taken off the record."""
    moved = Counter(
        (session.id, person.share, person.category)
        for person, session in pairs
        if person.share is not None and person.share != person.category
    )
    for (session_id, giver, taker), n in sorted(moved.items(), key=str):
        row, _made = Rollover.objects.get_or_create(
            session_id=session_id,
            from_category_id=giver,
            to_category_id=taker,
            defaults={"seats": 0},
        )
        Rollover.objects.filter(pk=row.pk).update(seats=F("seats") + n, updated_at=now)


def _write_batch_orm(pairs, *, now, kind, reason) -> None:
    """The same writes through the ORM, for the embedded SQLite default."""
    made = Appointment.objects.bulk_create(
        Appointment(
            registration_id=person.id,
            session_id=session.id,
            dose=person.dose,
            created_at=now,
            share_of_id=person.share,
            category_id=person.category if person.share is not None else None,
        )
        for person, session in pairs
    )
    _add_rollovers(pairs, now=now)
    for session_id, n in Counter(session.id for _, session in pairs).items():
        Session.objects.filter(pk=session_id).update(booked=F("booked") + n)
    Registration.objects.filter(pk__in=[p.id for p, _ in pairs]).update(
        status=Registration.Status.ALLOTTED
    )
    appointments = Appointment.objects.filter(pk__in=[a.pk for a in made]).select_related(
        "registration__account", "session__centre"
    )
    for appointment in appointments:
        notices.tell(
            appointment=appointment, kind=kind, reason=reason, dedupe=f"{kind}:{appointment.pk}"
        )
