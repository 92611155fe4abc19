"""A district's week of vaccination, simulated through Teeka's own code, twice:
with the day-before reminders and standby calls, and without them (the
baseline), from the same people, sessions and chances.

    .venv/bin/python benchmarks/week.py [--district 377] [--days 6]

What is real: the district's blocks and towns and their villages and wards
(the loaded geography), a centre at the first village or ward of each block
and town; published sessions (one a day, 09:00 to 17:00, dose 1, ages 18 to
44); the allocator (slots.allocation.allocate_district, given the simulated
time); the reminders (slots.reminders.send_reminders); the replies, posted
signed to POST /sms/inbound/ through Django's test client; the nightly
no-shows (services.mark_no_shows); the vials (services.open_vial and
Session.vials_at, what the check-in page shows); the dose
(services.record_vaccination); standby (services.call_standby and
check_in_standby). Tasks do not run by themselves here: a change that asks
for an allocation run gets one 5 simulated minutes later, as beat's catch-up
would give it. What the simulation decides (the benchmark's own clock and
dice, seeded; the same person at the same session behaves the same way in
both runs):

- A person allotted a session would reply NO to the reminder with chance
  `--decline` (10%), sometime after it arrives at 07:00 the day before
  (exponential, mean 2 hours, by 20:30). Without reminders they simply do
  not come. Of the others, `--no-show` (15%) do not come. The rest arrive
  at a uniformly random time between 09:00 and 16:00.
- The vaccinator opens a vial when the next person needs a dose and the
  check-in page shows none left in an open vial (opened 4 hours ago at most).
- At 16:00 the vaccinator calls standby for the doses the check-in page
  suggests (the page's "doses to offer"), if any. Of the people Teeka texts,
  `--standby-come` (70%) come, each at a random time within the hour; the
  first to come are vaccinated, the rest are turned away and keep their place,
  as is one who finds no dose left in an open vial when the standby page says
  a new vial would not be finished.
- People registered: `--people` times the week's seats, spread evenly over
  the district's villages and wards, queued in a random order.

The figures, over the week's sessions (counted with SQL written here, never
read from what the code under test reports):

- wasted_pct: doses opened (vials opened x doses per vial) minus doses given
  (appointments attended), as a percentage of doses opened.
- empty_seat_pct: seats published and not used by a dose (per session,
  published capacity minus doses given, or 0 when more were given), as a
  percentage of seats published. Standby doses fill published seats first;
  a dose beyond them (to finish a vial) adds no seat.
- standby_doses: doses given to people called as standby.
- share_error_pct: the percentage of (session, category) pairs whose doses
  are more than one away from the category's share of the session, not
  counting shares rolled over. "na" while no category policy exists.

Uses its own database (default teeka_bench_week), created afresh.
"""

import argparse
import datetime
import heapq
import itertools
import os
import random
import sys
import time
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import seed as shared_seed  # noqa: E402 (after the path is set)

IST = zoneinfo.ZoneInfo("Asia/Kolkata")
START, END = datetime.time(9), datetime.time(17)
LAST_ARRIVAL = datetime.timedelta(hours=7)  # 16:00
STANDBY_AT = (datetime.time(16),)
REPLY_MEAN = datetime.timedelta(hours=2)
REPLY_BY = datetime.time(20, 30)
RUN_DELAY = datetime.timedelta(minutes=5)
CAPACITIES = (30, 40, 50, 60, 80)
REPLIES = ("NAHI", "नहीं", "No", "nahi.", "ना")
# Who registers: frontline workers, then ration cards (registrations.RationCard).
FRONTLINE = 0.06
CARDS = {"antyodaya": 0.15, "bpl": 0.55, "apl": 0.2, "none": 0.1}
EXAMPLE_POLICY = "18-44, May 2021 (example)"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from teeka.celery import app

    # No worker: a task published goes nowhere, and the simulation runs the
    # allocator itself at simulated times (eager tasks would run it at the
    # wall clock's time, days before the simulated one).
    app.conf.task_always_eager = False


@dataclass(frozen=True)
class Chances:
    decline: float
    no_show: float
    standby_come: float
    people: float
    seed: int


def dice(chances: Chances, *key) -> random.Random:
    """The same draws for the same person and session in both runs."""
    return random.Random(":".join(map(str, (chances.seed, *key))))


def at(day: datetime.date, clock: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, clock, IST)


# Seeding --------------------------------------------------------------------

TRUNCATE = """
TRUNCATE teeka_outboundsms, slots_allocationrun, slots_allocationrequest, slots_reminder,
    slots_standbycall, slots_skippedsession, slots_appointment, slots_historicalappointment,
    slots_session, slots_historicalsession, slots_centre, slots_historicalcentre,
    registrations_registration, registrations_historicalregistration, registrations_account
    RESTART IDENTITY CASCADE
"""


def seed(*, district_lgd: int, days: int, first_day: datetime.date, chances: Chances) -> dict:
    """Centres, a week of published sessions and the queue; returns the
    sessions' published capacity by id."""
    from django.contrib.auth.models import User
    from django.db import connection

    from districts.models import Area, District, Locality
    from slots.models import Centre, Session, Vaccine

    rng = random.Random(chances.seed)
    with connection.cursor() as cursor:
        cursor.execute(TRUNCATE)
    district = District.objects.get(lgd_code=district_lgd)
    User.objects.get_or_create(username="sim-vaccinator")
    vaccines = itertools.cycle([Vaccine.COVISHIELD, Vaccine.COVAXIN])
    published = {}
    for area in Area.objects.filter(district=district).order_by("id"):
        locality = Locality.objects.filter(area=area).order_by("id").first()
        if locality is None:
            continue
        centre = Centre.objects.create(
            district=district,
            area=area,
            locality=locality,
            name=f"PHC {locality.name}",
            address=f"Main road, {locality.name}",
        )
        vaccine, capacity = next(vaccines), rng.choice(CAPACITIES)
        for d in range(days):
            session = Session.objects.create(
                centre=centre,
                district=district,
                date=first_day + datetime.timedelta(days=d),
                start_time=START,
                end_time=END,
                vaccine=vaccine,
                dose=1,
                min_age=18,
                max_age=44,
                capacity=capacity,
                published=True,
            )
            published[session.pk] = capacity
    _seed_people(district, int(chances.people * sum(published.values())), first_day, rng)
    _turn_policy_on(first_day, first_day + datetime.timedelta(days=days - 1))
    return published


def _turn_policy_on(first: datetime.date, last: datetime.date) -> None:
    """What a state administrator does in the quotas admin: the May 2021
    example shares, for this week."""
    from quotas.models import Policy

    policy = Policy.objects.get(name_en=EXAMPLE_POLICY)
    policy.starts_on, policy.ends_on, policy.active = first, last, True
    policy.save()


def _seed_people(district, n: int, first_day: datetime.date, rng: random.Random) -> None:
    from districts.models import Locality
    from registrations.models import Account, PriorityGroup, Registration

    localities = list(Locality.objects.filter(area__district=district).values_list("id", "area_id"))
    accounts = Account.objects.bulk_create(
        Account(mobile=f"+9198{i:08d}", language="en" if i % 4 == 0 else "hi")
        for i in range(1, n + 1)
    )
    start = at(first_day, START) - datetime.timedelta(days=60)
    people, everyone = [], PriorityGroup.EVERYONE
    for i, account in enumerate(accounts, start=1):
        locality_id, area_id = localities[i % len(localities)]
        registration = Registration(
            account=account,
            seat=1,
            name=f"Person {i}",
            gender="F" if i % 2 else "M",
            birth_year=first_day.year - rng.randint(18, 44),
            priority=PriorityGroup.FRONTLINE_WORKER if rng.random() < FRONTLINE else everyone,
            ration_card=rng.choices(list(CARDS), weights=list(CARDS.values()))[0],
            district=district,
            area_id=area_id,
            locality_id=locality_id,
            queue_at=start + datetime.timedelta(seconds=rng.randrange(50 * 86400)),
        )
        registration.set_id_number("VOTER", f"SIM{i:07d}")
        people.append(registration)
    Registration.objects.bulk_create(people, batch_size=2000)


# The week -------------------------------------------------------------------


@dataclass
class Week:
    district_id: int
    days: list[datetime.date]
    chances: Chances
    every_dose: bool  # reminders and standby on
    clock: datetime.datetime = None
    events: list = field(default_factory=list)
    serial: itertools.count = field(default_factory=itertools.count)
    run_due: bool = False
    replies: int = 0
    turned_away: int = 0  # standby people who came and got no dose

    def schedule(self, moment: datetime.datetime, kind: str, *payload) -> None:
        heapq.heappush(self.events, (moment, next(self.serial), kind, payload))

    def run(self) -> None:
        from django.contrib.auth.models import User
        from django.test import Client

        self.vaccinator = User.objects.get(username="sim-vaccinator")
        self.gateway = Client()
        before = self.days[0] - datetime.timedelta(days=1)
        self.schedule(at(before, datetime.time(8)), "allocate")
        for day in [before, *self.days]:
            tomorrow = day + datetime.timedelta(days=1)
            if day != before:
                self.schedule(at(day, datetime.time(0, 30)), "night")
                self.schedule(at(day, datetime.time(6)), "day")
            if self.every_dose and tomorrow in self.days:
                self.schedule(at(day, datetime.time(7)), "remind")
        while self.events:
            self.clock, _, kind, payload = heapq.heappop(self.events)
            getattr(self, f"on_{kind}")(*payload)
            self._ask_for_run()

    def _ask_for_run(self) -> None:
        from slots.models import AllocationRequest

        if not self.run_due and AllocationRequest.objects.exists():
            self.run_due = True
            self.schedule(self.clock + RUN_DELAY, "allocate")

    def on_allocate(self) -> None:
        from slots.allocation import allocate_district

        self.run_due = False
        allocate_district(district_id=self.district_id, now=self.clock, wait=True)

    def on_night(self) -> None:
        from slots.services import mark_no_shows

        mark_no_shows(today=self.clock.date())

    def on_remind(self) -> None:
        from slots.models import Reminder
        from slots.reminders import send_reminders

        today = self.clock.date()
        send_reminders(today=today)
        tomorrow = today + datetime.timedelta(days=1)
        reminded = Reminder.objects.filter(appointment__session__date=tomorrow).values_list(
            "appointment__registration_id", "appointment__session_id", "mobile"
        )
        for registration_id, session_id, mobile in reminded:
            rng = dice(self.chances, registration_id, session_id)
            if rng.random() >= self.chances.decline:
                continue
            delay = datetime.timedelta(seconds=rng.expovariate(1 / REPLY_MEAN.total_seconds()))
            moment = min(self.clock + delay, at(today, REPLY_BY))
            self.schedule(moment, "reply", mobile, rng.choice(REPLIES))

    def on_reply(self, mobile: str, text: str) -> None:
        from teeka.sms import sign_inbound

        body = urlencode({"from": mobile, "text": text}).encode()
        response = self.gateway.post(
            "/sms/inbound/",
            body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Teeka-Signature": sign_inbound(body)},
        )
        assert response.status_code == 200, response.content
        self.replies += response.json()["outcome"] == "declined"

    def on_day(self) -> None:
        """Who comes today, and when; the vaccinator's standby call."""
        from slots.models import Appointment, Session

        today = self.clock.date()
        booked = Appointment.objects.filter(
            session__date=today, status=Appointment.Status.BOOKED
        ).values_list("pk", "registration_id", "session_id")
        for appointment_id, registration_id, session_id in booked:
            rng = dice(self.chances, registration_id, session_id)
            declines = rng.random() < self.chances.decline
            absent = rng.random() < self.chances.no_show
            arrives = rng.uniform(0, LAST_ARRIVAL.total_seconds())
            # Without a reminder, a person who would have said NO just stays away.
            if declines or absent:
                continue
            moment = at(today, START) + datetime.timedelta(seconds=arrives)
            self.schedule(moment, "arrive", appointment_id)
        if self.every_dose:
            for session_id in Session.objects.filter(date=today).values_list("pk", flat=True):
                for moment in STANDBY_AT:
                    self.schedule(at(today, moment), "standby", session_id)

    def _vial_for_one(self, session) -> None:
        from slots.services import open_vial

        if session.vials_at(self.clock).left == 0:
            open_vial(session=session, by=self.vaccinator, now=self.clock)

    def on_arrive(self, appointment_id: int) -> None:
        from slots.models import Appointment
        from slots.services import record_vaccination

        appointment = Appointment.objects.select_related("session").get(pk=appointment_id)
        if appointment.status != Appointment.Status.BOOKED:
            return
        self._vial_for_one(appointment.session)
        record_vaccination(appointment=appointment, by=self.vaccinator, batch_number="SIM-1")

    def on_standby(self, session_id: int) -> None:
        from slots.models import Session, StandbyCall
        from slots.services import call_standby

        session = Session.objects.get(pk=session_id)
        doses = standby_doses_to_offer(session, self.clock)
        if doses <= 0:
            return
        known = set(StandbyCall.objects.filter(session=session).values_list("pk", flat=True))
        call_standby(session=session, doses=doses, by=self.vaccinator, now=self.clock)
        calls = StandbyCall.objects.filter(session=session).exclude(pk__in=known)
        for call in calls.values_list("pk", "registration_id"):
            rng = dice(self.chances, "standby", call[1], session_id)
            if rng.random() < self.chances.standby_come:
                delay = datetime.timedelta(seconds=rng.uniform(0, 3600))
                self.schedule(self.clock + delay, "standby_arrive", call[0])

    def on_standby_arrive(self, call_id: int) -> None:
        from slots.models import Session, StandbyCall
        from slots.services import AllotmentError, check_in_standby, standby_vial_worth_opening

        call = StandbyCall.objects.get(pk=call_id)
        session = Session.objects.get(pk=call.session_id)
        taken = StandbyCall.objects.filter(session=session, appointment__isnull=False).count()
        if taken >= session.standby_doses:
            self.turned_away += 1  # the doses are taken: they keep their place
            return
        if not standby_vial_worth_opening(session=session, now=self.clock):
            self.turned_away += 1  # the check-in page says not to open a vial for so few
            return
        self._vial_for_one(session)
        try:
            check_in_standby(call=call, by=self.vaccinator, batch_number="SIM-1")
        except AllotmentError:
            self.turned_away += 1  # allotted a slot meanwhile: not waiting any more


def standby_doses_to_offer(session, now: datetime.datetime) -> int:
    """What the vaccinator offers at a standby call: what the check-in page
    suggests."""
    from slots.services import standby_to_offer

    return standby_to_offer(session=session, now=now).doses


# Figures --------------------------------------------------------------------

FIGURES_SQL = """
SELECT s.id, s.vials_opened, s.vaccine,
       (SELECT count(*) FROM slots_appointment a
        WHERE a.session_id = s.id AND a.status = 'attended') AS given,
       (SELECT count(*) FROM slots_standbycall c JOIN slots_appointment a
          ON a.id = c.appointment_id
        WHERE c.session_id = s.id AND a.status = 'attended') AS standby,
       s.standby_doses, s.doses_discarded,
       (SELECT count(*) FROM slots_standbycall c WHERE c.session_id = s.id) AS texted
FROM slots_session s ORDER BY s.id
"""


# Each (session, category) of the active policy, from the appointments held
# at the session (any but a cancelled one or a standby dose): the seats the
# allocator counted against the category's share (share_of, its record), the
# seats its people hold (their category worked out here from ration card and
# occupation, in the policy's order, not read from the allocator), the seats
# of its share held by people of another category or of none (rolled over),
# and what quotas_rollover says its share gave.
SHARES_SQL = """
WITH cat AS (
    SELECT c.id, c.position, c.share, c.ration_card, c.occupation
    FROM quotas_category c JOIN quotas_policy p ON p.id = c.policy_id
    WHERE p.active
), held AS (
    SELECT a.session_id, a.share_of_id,
           (SELECT cat.id FROM cat
            WHERE (cat.ration_card = '' OR cat.ration_card = r.ration_card)
              AND (cat.occupation IS NULL OR cat.occupation = r.priority)
            ORDER BY cat.position LIMIT 1) AS category_id
    FROM slots_appointment a JOIN registrations_registration r ON r.id = a.registration_id
    WHERE a.status <> 'cancelled'
      AND NOT EXISTS (SELECT 1 FROM slots_standbycall sc WHERE sc.appointment_id = a.id)
)
SELECT s.id, cat.share,
       (SELECT count(*) FROM held h WHERE h.session_id = s.id AND h.share_of_id = cat.id),
       (SELECT count(*) FROM held h WHERE h.session_id = s.id AND h.category_id = cat.id),
       (SELECT count(*) FROM held h WHERE h.session_id = s.id AND h.share_of_id = cat.id
          AND h.category_id IS DISTINCT FROM cat.id),
       (SELECT count(*) FROM held h WHERE h.session_id = s.id AND h.category_id = cat.id
          AND h.share_of_id IS DISTINCT FROM cat.id),
       (SELECT coalesce(sum(seats), 0) FROM quotas_rollover o
        WHERE o.session_id = s.id AND o.from_category_id = cat.id),
       (SELECT count(*) FROM held h WHERE h.session_id = s.id),
       (SELECT count(*) FROM held h WHERE h.session_id = s.id AND h.share_of_id IS NULL)
FROM slots_session s CROSS JOIN cat
ORDER BY s.id, cat.position
"""


def largest_remainder(seats: int, shares: list[Decimal]) -> list[int]:
    """The seats of each share, written again here (not quotas.shares)."""
    exact = [seats * share / 100 for share in shares]
    parts = [int(e) for e in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: seats - sum(parts)]:
        parts[i] += 1
    return parts


def share_error(published: dict) -> dict:
    """The percentage of (session, category) pairs whose share of the seats
    is held by more than one seat more or fewer than the category's share of
    the published seats (largest remainder, computed here). A share's seats
    are its own people's and, rolled over, others': a share rolled over is
    within its target. Seats left free at the session (given up too late to
    be allotted again) excuse as many missing. Checked independently: each
    category's people (counted here) equal its share's seats less those it
    rolled over plus those it took; and quotas_rollover against the
    appointments."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SHARES_SQL)
        rows = cursor.fetchall()
    by_session: dict[int, list] = {}
    for row in rows:
        by_session.setdefault(row[0], []).append(row)
    pairs = errors = rolled = mismatch = table_off = outside = 0
    for session_id, cats in by_session.items():
        targets = largest_remainder(published[session_id], [c[1] for c in cats])
        free = published[session_id] - cats[0][7]
        outside += cats[0][8]
        for row, target in zip(cats, targets, strict=True):
            recorded, people, gave, took, table_gave = row[2:7]
            pairs += 1
            rolled += gave
            off = recorded - target
            errors += off > 1 or off < -1 - free
            mismatch += people != recorded - gave + took
            table_off += table_gave != gave
    return {
        "share_error_pct": round(100 * errors / pairs, 2) if pairs else "na",
        "_seats rolled over": rolled,
        "_categories miscounted": mismatch,
        "_held outside the shares": outside,
        "_quotas_rollover rows off": table_off,
    }


def figures(published: dict) -> dict:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL)
        rows = cursor.fetchall()
    opened = given = empty = standby = offered = discarded = texted = 0
    for session_id, vials, vaccine, session_given, session_standby, *calls in rows:
        offered += calls[0]
        discarded += calls[1]
        texted += calls[2]
        session_opened = vials * settings.TEEKA_VIALS[vaccine]["doses"]
        assert session_given <= session_opened, (session_id, session_given, session_opened)
        opened += session_opened
        given += session_given
        empty += max(published[session_id] - session_given, 0)
        standby += session_standby
    seats = sum(published.values())
    return {
        "wasted_pct": round(100 * (opened - given) / opened, 2) if opened else 0.0,
        "empty_seat_pct": round(100 * empty / seats, 2),
        "standby_doses": standby,
        **share_error(published),
        "_seats": seats,
        "_opened": opened,
        "_given": given,
        "_standby offered": offered,
        "_texted": texted,
        "_expired in vials": discarded,
    }


def simulate(args, chances: Chances, *, every_dose: bool) -> dict:
    from districts.models import District

    first_day = datetime.date.today() + datetime.timedelta(days=3)
    published = seed(
        district_lgd=args.district, days=args.days, first_day=first_day, chances=chances
    )
    days = [first_day + datetime.timedelta(days=d) for d in range(args.days)]
    district_id = District.objects.get(lgd_code=args.district).pk
    week = Week(district_id=district_id, days=days, chances=chances, every_dose=every_dose)
    started = time.perf_counter()
    week.run()
    result = figures(published)
    result["_seconds"] = round(time.perf_counter() - started, 1)
    result["_declined"] = week.replies
    result["_standby turned away"] = week.turned_away
    return result


def _line(label: str, result: dict) -> str:
    shown = " ".join(f"{k}={v}" for k, v in result.items() if not k.startswith("_"))
    return f"RESULT {label} {shown}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/teeka_bench_week"
    )
    parser.add_argument("--district", type=int, default=377, help="LGD code (377: Dhamtari)")
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--decline", type=float, default=0.10)
    parser.add_argument("--no-show", type=float, default=0.15)
    parser.add_argument("--standby-come", type=float, default=0.70)
    parser.add_argument("--people", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--only-every-dose", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    shared_seed.recreate(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_geography", verbosity=0)
    chances = Chances(args.decline, args.no_show, args.standby_come, args.people, args.seed)
    with_them = simulate(args, chances, every_dose=True)
    if args.only_every_dose:
        print(with_them)
        return
    baseline = simulate(args, chances, every_dose=False)
    for label, result in (("with reminders and standby:", with_them), ("baseline:", baseline)):
        detail = ", ".join(f"{k[1:]} {v}" for k, v in result.items() if k.startswith("_"))
        print(f"{label} {detail}")
    print(_line("every_dose", with_them))
    print(_line("baseline", baseline))


if __name__ == "__main__":
    main()
