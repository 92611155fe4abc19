"""Dashboard and public statistics at state scale.

    .venv/bin/python benchmarks/dashboard.py [--registrations 1000000] [--reseed]

Seeds its own database (BENCH_DATABASE_URL, default teeka_bench_dash on the
local PostgreSQL) with N registrations spread over 120 days and their
appointments (about 0.9 per person: doses given, bookings ahead, no-shows,
cancellations), in bulk SQL; a second run reuses it. Then it rebuilds the
summaries (as the Celery task does) and renders both pages through the test
client, as a state-wide user: the work a page view costs.

Ends with: RESULT dashboard_ms=<n> stats_ms=<n> dashboard_queries=<n>
(dashboard_ms: median of 5 warm renders; stats_ms: the first visitor after a
refresh, when the cache is empty; later visitors are faster still.)
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/teeka_bench_dash"
)
os.environ["DATABASE_URL"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")

DAYS_BACK = 120


def ensure_database() -> None:
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    name = params.pop("dbname", params.pop("database", None))
    admin = psycopg2.connect(**params, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


# Everything keyed on the registration id: k = id % 20 decides what became of
# the person, reg_off = (id * 7919) % 120 how many days ago they registered.
SEED_SQL = [
    "TRUNCATE slots_appointment, slots_historicalappointment, slots_session, "
    "slots_historicalsession, slots_centre_staff, slots_centre, slots_historicalcentre, "
    "registrations_registration, registrations_historicalregistration CASCADE",
    """CREATE TEMP TABLE bench_loc AS
       SELECT row_number() OVER (ORDER BY l.id) - 1 AS n, l.id AS locality_id, l.area_id,
              a.district_id
       FROM districts_locality l JOIN districts_area a ON a.id = l.area_id""",
    """INSERT INTO registrations_registration (
         id, reference, name, gender, birth_year, id_type, id_hash, id_last4, priority,
         district_id, area_id, locality_id, address_line, pincode, status, doses_received,
         last_vaccine, registered_at, queue_at, no_show_count, no_mobile_reason)
       SELECT g, 'B' || lpad(g::text, 8, '0'), 'Bench person ' || g,
         CASE WHEN g %% 100 < 49 THEN 'F' WHEN g %% 100 < 99 THEN 'M' ELSE 'O' END,
         1940 + g %% 60, 'VOTER', md5(g::text) || md5('x' || g), lpad((g %% 10000)::text, 4, '0'),
         CASE WHEN g %% 50 = 0 THEN 1 WHEN g %% 50 < 4 THEN 2 WHEN g %% 50 < 14 THEN 3
              WHEN g %% 50 < 20 THEN 4 ELSE 5 END,
         l.district_id, l.area_id, l.locality_id, '', '',
         CASE WHEN g %% 20 IN (6, 7) THEN 'allotted' WHEN g %% 20 BETWEEN 14 AND 17 THEN 'completed'
              WHEN g %% 20 = 19 THEN 'withdrawn' ELSE 'waiting' END,
         CASE WHEN g %% 20 BETWEEN 8 AND 13 THEN 1 WHEN g %% 20 BETWEEN 14 AND 17 THEN 2 ELSE 0 END,
         '',
         now() - ((g * 7919) %% %(days)s) * interval '1 day' - (g %% 36000) * interval '1 s',
         now() - ((g * 7919) %% %(days)s) * interval '1 day' - (g %% 36000) * interval '1 s',
         (g %% 20 = 18)::int, ''
       FROM generate_series(1::bigint, %(n)s::bigint) AS g
       JOIN bench_loc l ON l.n = (g * 7907) %% (SELECT count(*) FROM bench_loc)""",
    "SELECT setval(pg_get_serial_sequence('registrations_registration', 'id'), %(n)s)",
    """CREATE TEMP TABLE bench_centre AS SELECT DISTINCT ON (area_id) area_id, district_id,
         locality_id FROM bench_loc ORDER BY area_id, n""",
    """INSERT INTO slots_centre (district_id, area_id, locality_id, name, address, pincode,
         active, created_at)
       SELECT district_id, area_id, locality_id, 'Bench centre ' || area_id, 'Main road', '', true,
         now() FROM bench_centre""",
    """INSERT INTO slots_session (centre_id, district_id, date, start_time, end_time, vaccine,
         dose, min_age, capacity, booked, published, status, cancel_reason, created_at)
       SELECT c.id, c.district_id, %(today)s::date + d, '09:00', '17:00', 'COVISHIELD', dose,
         18, 0, 0, true, 'active', '', now()
       FROM slots_centre c, generate_series(-%(days)s, 7) AS d, generate_series(1, 2) AS dose""",
    """CREATE TEMP TABLE bench_plan AS
       SELECT r.id, r.area_id, 1 AS dose,
         CASE WHEN r.id %% 20 IN (6, 7) THEN 'booked' WHEN r.id %% 20 = 18 THEN 'no_show'
              WHEN r.id %% 20 = 19 THEN 'cancelled' ELSE 'attended' END AS status,
         CASE WHEN r.id %% 20 IN (6, 7, 19) THEN 1 + r.id %% 7
              ELSE -greatest((r.id * 7919) %% %(days)s - 3, 1) END AS day_off
       FROM registrations_registration r WHERE r.id %% 20 >= 6
       UNION ALL
       SELECT r.id, r.area_id, 2, 'attended', -greatest((r.id * 7919) %% %(days)s - 31, 1)
       FROM registrations_registration r WHERE r.id %% 20 BETWEEN 14 AND 17""",
    """INSERT INTO slots_appointment (registration_id, session_id, dose, status, code,
         created_at, updated_at, batch_number, cancel_reason)
       SELECT p.id, s.id, p.dose, p.status, lpad((p.id %% 10000)::text, 4, '0'), now(), now(),
         '', ''
       FROM bench_plan p JOIN slots_centre c ON c.area_id = p.area_id
       JOIN slots_session s ON s.centre_id = c.id AND s.date = %(today)s::date + p.day_off::int
         AND s.dose = p.dose""",
    """UPDATE slots_session s SET booked = b.n, capacity = greatest(100, b.n)
       FROM (SELECT session_id, count(*) AS n FROM slots_appointment
             WHERE status IN ('booked', 'attended') GROUP BY session_id) b
       WHERE b.session_id = s.id""",
    "UPDATE slots_session SET capacity = 100 WHERE capacity = 0",
]


def seed(n: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    params = {"n": n, "days": DAYS_BACK, "today": timezone.localdate()}
    with transaction.atomic(), connection.cursor() as cur:
        for sql in SEED_SQL:
            started = time.monotonic()
            cur.execute(sql, params)
            print(f"  {time.monotonic() - started:6.1f}s  {' '.join(sql.split())[:70]}")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def render(client, url: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        ms, response = timed(lambda: client.get(url))
    assert response.status_code == 200, (url, response.status_code)
    return ms, len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    ensure_database()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from dashboard import stats, summaries
    from districts.models import District
    from registrations.models import Registration
    from slots.models import Appointment

    call_command("migrate", verbosity=0)
    if not District.objects.exists():
        call_command("load_geography")
    have = Registration.objects.count()
    if args.reseed or have != args.registrations:
        print(f"Seeding {args.registrations:,} registrations (had {have:,})")
        seed(args.registrations)
    appointments = Appointment.objects.count()
    print(f"{Registration.objects.count():,} registrations, {appointments:,} appointments")

    refresh_ms, _ = timed(summaries.refresh)
    stats.forget()  # the task does this on commit
    print(f"refresh_summaries: {refresh_ms:.0f} ms")

    user, _ = User.objects.get_or_create(username="bench-chief", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(user)
    render(client, "/dashboard/")  # warm up: templates, translations, connection
    runs = [render(client, "/dashboard/") for _ in range(5)]
    dashboard_ms = statistics.median(ms for ms, _q in runs)
    queries = runs[0][1]
    raipur_ms, _q = render(client, "/dashboard/?district=387")
    dated_ms, _q = render(client, "/dashboard/?date_from=2026-01-01&district=387")
    csv_ms, _q = render(client, "/dashboard/export/places.xlsx")

    public = Client()
    stats_ms, stats_queries = render(public, "/stats/")
    warm = [render(public, "/stats/") for _ in range(5)]
    print(f"dashboard (state) median {dashboard_ms:.0f} ms, {queries} queries")
    print(
        f"dashboard (Raipur) {raipur_ms:.0f} ms; with dates {dated_ms:.0f} ms; xlsx {csv_ms:.0f} ms"
    )
    print(
        f"stats: first visitor {stats_ms:.0f} ms ({stats_queries} queries), then median "
        f"{statistics.median(ms for ms, _q in warm):.1f} ms ({warm[0][1]} queries)"
    )
    print(
        f"RESULT dashboard_ms={dashboard_ms:.0f} stats_ms={stats_ms:.0f} "
        f"dashboard_queries={queries}"
    )


if __name__ == "__main__":
    main()
