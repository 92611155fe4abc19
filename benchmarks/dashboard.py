"""Dashboard and public statistics at state scale.

    .venv/bin/python benchmarks/dashboard.py [--registrations 1000000] [--fresh]

Works on a copy of the shared seed of N registrations (benchmarks/seed.py:
teeka_bench_<N>, copied once to teeka_bench_dash_<N> and kept; --fresh copies
it again), since the refresh writes the summaries. Then it rebuilds the
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")

from benchmarks import seed  # noqa: E402 (after the path is set)


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
