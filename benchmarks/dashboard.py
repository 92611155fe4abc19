"""Dashboard and public statistics at state scale.

    .venv/bin/python benchmarks/dashboard.py [--registrations 1000000] [--fresh]

Works on a copy of the shared seed of N registrations (benchmarks/seed.py:
teeka_bench_<N>, copied once to teeka_bench_dash_<N> and kept; --fresh copies
it again), since the refresh writes the summaries. Then it rebuilds the
summaries (as the Celery task does) and renders both pages through the test
client, as a state-wide user: the work a page view costs.

The refresh is timed three ways: a full recount (the first refresh), then
an incremental one after a few minutes' worth of changes (CHANGES_SQL: new
registrations today all over the state, one district's allocator batch, a
morning of check-ins), then one with nothing changed.

Ends with: RESULT refresh_full_ms=<n> refresh_incremental_ms=<n>
dashboard_ms=<n> stats_ms=<n> dashboard_queries=<n>
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")

from benchmarks import seed  # noqa: E402 (after the path is set)

# What happens between two refreshes, a few minutes apart on a busy day.
CHANGES_SQL = [
    # 2,000 people register (no mobile: no account needed), all over the state.
    """INSERT INTO registrations_registration (reference, name, gender, birth_year, id_type,
         id_hash, id_last4, priority, district_id, area_id, locality_id, address_line, pincode,
         status, doses_received, last_vaccine, registered_at, queue_at, no_show_count,
         no_mobile_reason)
       SELECT 'N' || lpad(upper(to_hex(last + g)), 8, '0'), 'New person', 'F', 1990, 'VOTER',
         md5('new' || g || clock_timestamp()), '0000', 5, district_id, area_id, locality_id,
         '', '', 'waiting', 0, '', now(), now(), 0, 'No phone'
       FROM (SELECT g, (SELECT id FROM registrations_registration
                        WHERE id = 1 + (g * 7919) %% %(n)s) AS model
             FROM generate_series(1, 2000) g) p
       -- References after the highest id: a second run on the same copy adds others.
       CROSS JOIN (SELECT max(id) AS last FROM registrations_registration) m
       JOIN registrations_registration r ON r.id = p.model""",
    # The allocator allots 20,000 of Raipur's waiting people (one batch).
    """UPDATE registrations_registration SET status = 'allotted' WHERE id IN (
         SELECT id FROM registrations_registration WHERE district_id = 387
         AND status = 'waiting' LIMIT 20000)""",
    # 5,000 doses given at tomorrow's sessions (as the check-in marks them).
    """UPDATE slots_appointment SET status = 'attended', attended_at = now() WHERE id IN (
         SELECT a.id FROM slots_appointment a JOIN slots_session s ON s.id = a.session_id
         WHERE s.date = current_date + 1 AND a.status = 'booked' LIMIT 5000)""",
]


def change_some_rows(n: int) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for sql in CHANGES_SQL:
            cursor.execute(sql, {"n": n})
            print(f"  changed {cursor.rowcount:,} rows: {' '.join(sql.split())[:60]}")


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
    parser.add_argument("--fresh", action="store_true", help="copy the seed again")
    args = parser.parse_args()
    name = f"teeka_bench_dash_{args.registrations}"
    os.environ["DATABASE_URL"] = seed.clone(args.registrations, name, reuse=not args.fresh)

    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    from django.contrib.auth.models import User
    from django.test import Client

    from dashboard import stats, summaries
    from registrations.models import Registration
    from slots.models import Appointment

    appointments = Appointment.objects.count()
    print(f"{Registration.objects.count():,} registrations, {appointments:,} appointments")

    full_ms, _ = timed(lambda: summaries.refresh(full=True))
    print(f"refresh_summaries, full recount: {full_ms:.0f} ms")
    change_some_rows(args.registrations)
    incremental_ms, _ = timed(summaries.refresh)
    print(f"refresh_summaries after the changes: {incremental_ms:.0f} ms")
    unchanged_ms, _ = timed(summaries.refresh)
    print(f"refresh_summaries with nothing changed: {unchanged_ms:.0f} ms")
    stats.forget()  # the task does this on commit

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
        f"RESULT refresh_full_ms={full_ms:.0f} refresh_incremental_ms={incremental_ms:.0f} "
        f"dashboard_ms={dashboard_ms:.0f} stats_ms={stats_ms:.0f} dashboard_queries={queries}"
    )


if __name__ == "__main__":
    main()
