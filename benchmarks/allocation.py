"""Allocation benchmark: on a fresh copy of the shared seed of N registrations
(benchmarks/seed.py: teeka_bench_<N> cloned to teeka_bench_alloc_<N>, dropped
at the end unless --keep), adds a week of dose 1 sessions whose seats are half
of each district's people waiting for dose 1, allots everyone waiting with the
Celery task code (one task per district, two worker processes like `celery
worker -c 2`), checks the invariants, and compares with two references on the
same database: the naive way (an ORM query and save per person, on a sample)
and the raw bound (one INSERT ... SELECT of as many appointment rows).

    .venv/bin/python benchmarks/allocation.py --registrations 1000000
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

from benchmarks import seed as shared_seed  # noqa: E402 (after the path is set)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
    os.environ.pop("REDIS_URL", None)  # tasks run in these processes, no broker needed
    import django

    django.setup()


# The people come from the shared seed (benchmarks/seed.py); this benchmark
# adds a week of dose 1 sessions after the seed's last day, whose seats are
# half of each district's people waiting for dose 1.
SESSIONS_SQL = """
INSERT INTO slots_session (centre_id, district_id, date, start_time, end_time, vaccine, dose,
                           min_age, capacity, booked, published, status, cancel_reason,
                           created_at, vials_opened, standby_doses, standby_margin,
                           doses_discarded)
SELECT c.id, c.district_id, current_date + d,
       '09:00', '17:00', CASE WHEN c.id % 3 = 0 THEN 'COVAXIN' ELSE 'COVISHIELD' END, 1, 18,
       ceil(w.people / 2.0 / (w.centres * 7))::int, 0, true, 'active', '', now(), 0, 0, 2, 0
FROM slots_centre c
JOIN (SELECT c2.district_id, count(DISTINCT c2.id) AS centres,
             (SELECT count(*) FROM registrations_registration r
              WHERE r.district_id = c2.district_id AND r.status = 'waiting'
              AND r.doses_received = 0) AS people
      FROM slots_centre c2 GROUP BY c2.district_id) w ON w.district_id = c.district_id
CROSS JOIN generate_series(8, 14) d;
ANALYZE slots_session;
"""


def add_sessions() -> int:
    """Adds the sessions; returns the last appointment id before the run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SESSIONS_SQL)
        cursor.execute("SELECT coalesce(max(id), 0) FROM slots_appointment")
        return cursor.fetchone()[0]


def turn_on_policy() -> None:
    """The shipped May 2021 example, on for every session ahead (18 and
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
    """Seats left in sessions the allocator may fill (from the day after tomorrow)."""
    import datetime

    from django.db.models import F, Sum
    from django.utils import timezone

    from slots.models import Session

    ahead = Session.objects.filter(date__gte=timezone.localdate() + datetime.timedelta(days=2))
    return ahead.aggregate(s=Sum(F("capacity") - F("booked")))["s"] or 0


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
        people = Registration.objects.filter(
            district_id=district, status="waiting", doses_received=0
        )
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


def raw_bound(rows: int) -> tuple[float, float, int]:
    """One INSERT ... SELECT of `rows` appointment rows into the same table,
    with the same indexes and constraints (at most as many as wait for dose 1);
    rolled back. Returns rows per second, the CPU seconds it took and the rows."""
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
            FROM (SELECT id, district_id FROM registrations_registration
                  WHERE status = 'waiting' AND doses_received = 0 LIMIT %s) r
            JOIN LATERAL (SELECT id FROM slots_session WHERE district_id = r.district_id
                          LIMIT 1) s ON true
            """,
            [rows],
        )
        rows = cursor.rowcount
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(backend) - cpu
        transaction.set_rollback(True)
    return rows / elapsed, cpu, rows


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
    "appointment without SMS (to someone with a mobile)": """
        SELECT count(*) FROM slots_appointment a
        JOIN registrations_registration r ON r.id = a.registration_id
        WHERE a.id > %(first)s AND r.account_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM teeka_outboundsms o WHERE o.dedupe_key = 'allotted:' || a.id)""",
    "waiting while a seat they fit is left in their district": """
        SELECT count(*) FROM registrations_registration r WHERE r.status = 'waiting'
        AND r.doses_received = 0 AND r.not_before IS NULL
        AND EXISTS (SELECT 1 FROM slots_session s WHERE s.district_id = r.district_id
            AND s.dose = 1 AND s.booked < s.capacity AND s.date >= current_date + 2)""",
}


def check_invariants(first: int) -> dict[str, int]:
    """`first`: the last appointment id before the run (the seed's have no SMS)."""
    from django.db import connection

    broken = {}
    with connection.cursor() as cursor:
        for name, sql in CHECKS.items():
            cursor.execute(sql, {"first": first})
            count = cursor.fetchone()[0]
            if count:
                broken[name] = count
    return broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the copy afterwards")
    parser.add_argument(
        "--policy", action="store_true", help="with the May 2021 category quotas turned on"
    )
    args = parser.parse_args()
    t = time.perf_counter()
    name = f"teeka_bench_alloc_{args.registrations}"
    setup_django(shared_seed.clone(args.registrations, name))
    first = add_sessions()
    if args.policy:
        turn_on_policy()
    total_seats = seats()
    print(
        f"{args.registrations} registrations (copied), {total_seats} seats ahead "
        f"in {time.perf_counter() - t:.1f} s"
    )
    naive_rate = naive(args.naive_sample)
    print(f"naive: {naive_rate:.0f} allotments/s (sample of {args.naive_sample}, rolled back)")
    bound_rows = min(total_seats, args.registrations)
    bound_rate, bound_cpu, bound_rows = raw_bound(bound_rows)
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
    broken = check_invariants(first)
    print("invariants: " + ("all hold" if not broken else f"BROKEN {broken}"))
    print(
        f"RESULT allotted={allotted} allotments_per_s={rate:.0f} seconds={seconds:.2f} "
        f"peak_mb={peak_mb:.0f} naive_ratio={rate / naive_rate:.1f} "
        f"bound_ratio={rate / bound_rate:.2f}"
    )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        shared_seed.drop(name)
    if broken:
        sys.exit(1)


if __name__ == "__main__":
    main()
