"""Allocation benchmark: seeds N registrations over the 33 districts with
published capacity for about half of them, allots them with the Celery task
code (one task per district, two worker processes like `celery worker -c 2`),
checks the invariants, and compares with two references on the same database:
the naive way (an ORM query and save per person, on a sample) and the raw
bound (one INSERT ... SELECT of as many appointment rows).

    .venv/bin/python benchmarks/allocation.py --registrations 1000000

Uses its own database (default teeka_bench_alloc), dropped and created afresh
each run.
"""

import argparse
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
    os.environ.pop("REDIS_URL", None)  # tasks run in these processes, no broker needed
    import django

    django.setup()


def recreate_database(database_url: str) -> None:
    """A fresh database each run: rows deleted by an earlier run would leave
    dead tuples and bloated indexes behind and slow this one down."""
    import psycopg2

    name = database_url.rsplit("/", 1)[1]
    admin = psycopg2.connect(database_url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


SEED_SQL = """
TRUNCATE teeka_outboundsms, slots_allocationrun, slots_appointment, slots_session,
    slots_centre, registrations_registration, registrations_account RESTART IDENTITY CASCADE;

-- Two centres per block and town, at its first two villages or wards.
INSERT INTO slots_centre (district_id, area_id, locality_id, name, address, pincode, active,
                          created_at)
SELECT a.district_id, a.id, l.id, 'PHC ' || l.name, 'Main road', '', true, now()
FROM districts_area a
CROSS JOIN LATERAL (SELECT id, name FROM districts_locality WHERE area_id = a.id
                    ORDER BY id LIMIT 2) l;

-- People spread over every village and ward (so by settlement, roughly by population).
CREATE TEMP TABLE bench_places AS
SELECT row_number() OVER (ORDER BY l.id) AS n, l.id AS locality_id, l.area_id, a.district_id
FROM districts_locality l JOIN districts_area a ON a.id = l.area_id;

INSERT INTO registrations_account (mobile, language, created_at)
SELECT '+9160' || lpad(i::text, 8, '0'), CASE WHEN i % 4 = 0 THEN 'en' ELSE 'hi' END, now()
FROM generate_series(1, %(n)s) i;

INSERT INTO registrations_registration (
    account_id, seat, reference, name, gender, birth_year, id_type, id_hash, id_last4,
    priority, district_id, area_id, locality_id, address_line, pincode, status,
    doses_received, last_vaccine, registered_at, queue_at, no_show_count, no_mobile_reason,
    ration_card)
SELECT i, 1, upper(lpad(to_hex(i), 9, '0')), 'Person ' || i, 'F',
       1950 + (hashint % 55), 'VOTER', md5(i::text), lpad((i % 10000)::text, 4, '0'),
       1 + (hashint / 55) % 5, p.district_id, p.area_id, p.locality_id, '', '', 'waiting',
       0, '', t, t, 0, '',
       -- Ration cards, for --policy: 10% Antyodaya, 45% BPL, 30% APL, 15% none.
       CASE WHEN abs(hashint4(i * 17)) % 100 < 10 THEN 'antyodaya'
            WHEN abs(hashint4(i * 17)) % 100 < 55 THEN 'bpl'
            WHEN abs(hashint4(i * 17)) % 100 < 85 THEN 'apl' ELSE 'none' END
FROM (SELECT i, abs(hashint4(i)) AS hashint,
             now() - make_interval(secs => abs(hashint4(i * 7)) % 5000000) AS t,
             1 + abs(hashint4(i * 13)) % (SELECT count(*) FROM bench_places) AS place
      FROM generate_series(1, %(n)s) i) g
JOIN bench_places p ON p.n = g.place;

-- Seven days of dose 1 sessions; each district's capacity is half its people.
INSERT INTO slots_session (centre_id, district_id, date, start_time, end_time, vaccine, dose,
                           min_age, capacity, booked, published, status, cancel_reason,
                           created_at, vials_opened, standby_doses, standby_margin)
SELECT c.id, c.district_id, current_date + d, '09:00', '17:00',
       CASE WHEN c.id % 3 = 0 THEN 'COVAXIN' ELSE 'COVISHIELD' END, 1, 18,
       ceil(w.people / 2.0 / (w.centres * 7))::int, 0, true, 'active', '', now(), 0, 0, 2
FROM slots_centre c
JOIN (SELECT c2.district_id, count(DISTINCT c2.id) AS centres,
             (SELECT count(*) FROM registrations_registration r
              WHERE r.district_id = c2.district_id) AS people
      FROM slots_centre c2 GROUP BY c2.district_id) w ON w.district_id = c.district_id
CROSS JOIN generate_series(2, 8) d;
ANALYZE;
"""


def seed(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from districts.models import District

    call_command("migrate", verbosity=0)
    if not District.objects.exists():
        call_command("load_geography", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL.replace("%(n)s", str(int(n))))


def turn_on_policy() -> None:
    """The shipped May 2021 example, on for every seeded session (18 and
    over, the next weeks)."""
    import datetime

    from django.utils import timezone

    from quotas.models import Policy

    today = timezone.localdate()
    Policy.objects.filter(name_en="18-44, May 2021 (example)").update(
        active=True,
        max_age=None,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
    )


def rolled_over() -> int:
    from django.db.models import Sum

    from quotas.models import Rollover

    return Rollover.objects.aggregate(n=Sum("seats"))["n"] or 0


def seats() -> int:
    from django.db.models import F, Sum

    from slots.models import Session

    return Session.objects.aggregate(s=Sum(F("capacity") - F("booked")))["s"] or 0


def naive(sample: int) -> float:
    """The way nobody should do it: per person, find a seat with the ORM and
    save. Measured on a sample inside a transaction that is rolled back."""
    from django.db import transaction
    from django.db.models import F

    from registrations.models import QUEUE_ORDER, Registration
    from slots import notices
    from slots.models import Appointment, Session

    district = Registration.objects.values_list("district_id", flat=True).first()
    started = time.perf_counter()
    with transaction.atomic():
        people = Registration.objects.filter(district_id=district, status="waiting")
        for person in people.order_by(*QUEUE_ORDER)[:sample]:
            places = [{"centre__locality": person.locality_id}, {"centre__area": person.area_id}]
            for place in [*places, {}]:
                session = (
                    Session.objects.select_for_update()
                    .filter(district_id=district, published=True, status="active", **place)
                    .filter(capacity__gt=F("booked"))
                    .order_by("date", "start_time")
                    .first()
                )
                if session:
                    break
            if session is None:
                continue
            appointment = Appointment.objects.create(registration=person, session=session, dose=1)
            session.booked += 1
            session.save()
            person.status = "allotted"
            person.save()
            notices.tell(appointment=appointment, kind="allotted")
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return sample / elapsed


def raw_bound(rows: int) -> tuple[float, float]:
    """One INSERT ... SELECT of `rows` appointment rows into the same table,
    with the same indexes and constraints; rolled back. Returns rows per
    second and the CPU seconds it took."""
    from django.db import connection, transaction

    backend = _backend_pid()
    with transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are checked at commit; check them now instead,
        # so the rolled-back insert pays for them as a committed one would.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cpu = _cpu_seconds(backend)
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO slots_appointment (registration_id, session_id, dose, status, code,
                created_at, updated_at, batch_number, cancel_reason)
            SELECT r.id, s.id, 1, 'booked', '0000', now(), now(), '', ''
            FROM (SELECT id, district_id, row_number() OVER () AS k
                  FROM registrations_registration LIMIT %s) r
            JOIN LATERAL (SELECT id FROM slots_session WHERE district_id = r.district_id
                          LIMIT 1) s ON true
            """,
            [rows],
        )
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(backend) - cpu
        transaction.set_rollback(True)
    return rows / elapsed, cpu


def _worker_init() -> None:
    from django.db import connections

    connections.close_all()


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_seconds(backend_pid: int) -> float:
    """CPU time of this process and of its database server process (which
    /proc shows when the database runs on this machine; else 0 for it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    try:
        with open(f"/proc/{backend_pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        backend = 0.0
    return usage.ru_utime + usage.ru_stime + backend


def _allocate(district_id: int) -> tuple[int, int, float]:
    from slots.tasks import allocate_district_task

    backend = _backend_pid()
    cpu = _cpu_seconds(backend)
    result = allocate_district_task.apply(args=[district_id]).get()
    cpu = _cpu_seconds(backend) - cpu
    return result["allotted"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, cpu


def allocate_all(workers: int) -> tuple[int, float, float, float]:
    from django.db import connections
    from django.db.models import Count

    from registrations.models import Registration

    # Biggest districts first, so the two workers finish together.
    districts = [
        row["district_id"]
        for row in Registration.objects.values("district_id").annotate(n=Count("pk")).order_by("-n")
    ]
    connections.close_all()
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_worker_init) as pool:
        results = pool.map(_allocate, districts, chunksize=1)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    allotted = sum(a for a, _, _ in results)
    # Peak of the two worker processes together (each one's peak, added up).
    per_worker = sorted({kb for _, kb, _ in results})[-workers:]
    cpu = sum(c for _, _, c in results)
    return allotted, elapsed, max(peak_kb, sum(per_worker)) / 1024, cpu


CHECKS = {
    "session over capacity": "SELECT count(*) FROM slots_session WHERE booked > capacity",
    "booked differs from appointments": """
        SELECT count(*) FROM slots_session s LEFT JOIN (
            SELECT session_id, count(*) n FROM slots_appointment
            WHERE status IN ('booked', 'attended') GROUP BY session_id) a
        ON a.session_id = s.id WHERE s.booked <> coalesce(a.n, 0)""",
    "two active appointments for a dose": """
        SELECT count(*) FROM (SELECT registration_id, dose FROM slots_appointment
            WHERE status IN ('booked', 'attended') GROUP BY 1, 2 HAVING count(*) > 1) d""",
    "appointment in another district": """
        SELECT count(*) FROM slots_appointment a
        JOIN registrations_registration r ON r.id = a.registration_id
        JOIN slots_session s ON s.id = a.session_id WHERE r.district_id <> s.district_id""",
    "allotted without appointment": """
        SELECT count(*) FROM registrations_registration r WHERE status = 'allotted'
        AND NOT EXISTS (SELECT 1 FROM slots_appointment a WHERE a.registration_id = r.id)""",
    "appointment without SMS": """
        SELECT count(*) FROM slots_appointment a WHERE NOT EXISTS (
            SELECT 1 FROM teeka_outboundsms o WHERE o.dedupe_key = 'allotted:' || a.id)""",
    "waiting while a seat they fit is left in their district": """
        SELECT count(*) FROM registrations_registration r WHERE r.status = 'waiting'
        AND EXISTS (SELECT 1 FROM slots_session s WHERE s.district_id = r.district_id
            AND s.booked < s.capacity AND s.date >= current_date + 2)""",
}


def check_invariants() -> dict[str, int]:
    from django.db import connection

    broken = {}
    with connection.cursor() as cursor:
        for name, sql in CHECKS.items():
            cursor.execute(sql)
            count = cursor.fetchone()[0]
            if count:
                broken[name] = count
    return broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=2000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/teeka_bench_alloc"
    )
    parser.add_argument(
        "--policy", action="store_true", help="with the May 2021 category quotas turned on"
    )
    args = parser.parse_args()
    recreate_database(args.database_url)
    setup_django(args.database_url)

    t = time.perf_counter()
    seed(args.registrations)
    if args.policy:
        turn_on_policy()
    total_seats = seats()
    print(
        f"seeded {args.registrations} registrations, {total_seats} seats "
        f"in {time.perf_counter() - t:.1f} s"
    )
    naive_rate = naive(args.naive_sample)
    print(f"naive: {naive_rate:.0f} allotments/s (sample of {args.naive_sample}, rolled back)")
    bound_rows = min(total_seats, args.registrations)
    bound_rate, bound_cpu = raw_bound(bound_rows)
    print(
        f"raw bound: {bound_rate:.0f} rows/s (INSERT ... SELECT, rolled back), "
        f"{bound_cpu / bound_rows * 1e6:.0f} us of CPU a row"
    )

    load_before = os.getloadavg()[0]
    allotted, seconds, peak_mb, cpu = allocate_all(args.workers)
    rate = allotted / seconds
    print(
        f"allocation: {allotted} allotted in {seconds:.2f} s = {rate:.0f} allotments/s, "
        f"peak {peak_mb:.0f} MB over {args.workers} worker processes"
    )
    # The machine may be shared: the CPU the allocation itself used (worker
    # processes and their database connections) does not depend on the others.
    print(
        f"cpu: {cpu:.1f} s in the workers and their database connections = "
        f"{cpu / max(allotted, 1) * 1e6:.0f} us per allotment, {cpu / seconds:.2f} cores "
        f"on average; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    if cpu and bound_cpu:
        # What the ratio would be if the workers had their cores to themselves.
        idle = args.workers * (bound_cpu / bound_rows) / (cpu / allotted)
        print(f"by CPU time, on an otherwise idle machine: bound_ratio about {idle:.2f}")
    if args.policy:
        print(f"policy: May 2021 shares on, {rolled_over()} seats rolled over")
    broken = check_invariants()
    print("invariants: " + ("all hold" if not broken else f"BROKEN {broken}"))
    print(
        f"RESULT allotted={allotted} allotments_per_s={rate:.0f} seconds={seconds:.2f} "
        f"peak_mb={peak_mb:.0f} naive_ratio={rate / naive_rate:.1f} "
        f"bound_ratio={rate / bound_rate:.2f}"
    )
    if broken:
        sys.exit(1)


if __name__ == "__main__":
    main()
