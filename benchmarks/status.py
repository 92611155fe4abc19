"""The status page at a given size of the queue, on an idle server.

    .venv/bin/python benchmarks/status.py --registrations 1000000

Takes the shared seeded database of N registrations (benchmarks/seed.py,
built once), copies it (the copy is migrated, so the counts the queue keeps
are there), starts gunicorn as the other HTTP benchmarks do (benchmarks/
harness.py), signs in the accounts of --samples people who wait for a slot,
picked at random, and asks for each one's status page (/my/<reference>/: place
in the block or town and in the district, the estimate, the appointment) one
at a time, --passes times after a first pass that is not timed. Prints p50 and
p95 for those waiting for dose 1 and dose 2, and

RESULT registrations=<n> status_p95_ms=<n>

The status page should cost the same whatever the size of the queue: compare
the figure at 100,000 with the one at 10,000,000.

--policy turns on the shipped May 2021 example policy (quotas 0002: frontline
workers, then Antyodaya, BPL and APL ration cards) in the copy, for every age
from 18 (the example's 44 at most is lifted so every person sampled has a
category or none: what a place costs does not depend on the age), so each
page also shows the person's place within their category in the block or
town; that statement is timed and its pages counted the same way, and

RESULT registrations=<n> category_pages_p50=<n> category_pages_p95=<n>
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import harness
import seed
from harness import Browser, SmsFile


def sample(db: str, n: int, count: int) -> list[tuple[str, str, int]]:
    """(mobile, reference, doses received) of about `count` waiting people,
    picked at random."""
    share = min(100.0, count * 400.0 / max(n, 1))
    rows = harness.psql(
        "SELECT a.mobile, r.reference, r.doses_received"
        f" FROM registrations_registration r TABLESAMPLE BERNOULLI ({share})"
        " JOIN registrations_account a ON a.id = r.account_id"
        f" WHERE r.status = 'waiting' AND r.doses_received < 2 LIMIT {count}",
        db,
    )
    found = []
    for line in rows.split():
        mobile, reference, doses = line.split("|")
        found.append((mobile, reference, int(doses)))
    return found


def turn_on_policy(db: str) -> None:
    """The shipped example policy, active from today for a month, for 18 and over."""
    harness.psql(
        "UPDATE quotas_policy SET active = true, starts_on = current_date,"
        " ends_on = current_date + 30, max_age = NULL"
        " WHERE name_en = '18-44, May 2021 (example)'",
        db,
    )


def _explained(sql: str, params) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        return cursor.fetchone()[0][0]


def category_work(references: list[str]) -> tuple[list[float], list[int], int]:
    """As place_work, for the place within the person's quota category (the
    people with a category only)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from quotas.standing import standing
    from registrations.models import Registration

    times, pages, compiled = [], [], 0
    for reference in references:
        registration = Registration.objects.get(reference=reference)
        standing(registration, today=timezone.localdate())  # the policies, kept
        with CaptureQueriesContext(connection) as captured:
            found = standing(registration, today=timezone.localdate())
        if found is None or found.category is None:
            continue
        # The statement as sent, its values in place (PostgreSQL's own quoting).
        plan = _explained(captured[-1]["sql"], None)
        times.append(plan["Execution Time"])
        compiled += "JIT" in plan
        top = plan["Plan"]
        pages.append(top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0))
    return times, pages, compiled


def place_work(references: list[str]) -> tuple[list[float], list[int], int]:
    """The place-in-the-queue statement of each person, run under EXPLAIN
    ANALYZE: the database's own time (ms) and the pages it touched, and how
    many of the statements PostgreSQL compiled (JIT, tens of milliseconds
    each). Pages do not depend on how busy the machine is: they show whether
    the work grows with the queue."""
    # Django is set up (the client's settings, reading the copy) by now.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registrations.models import Registration
    from registrations.services import queue_place

    times, pages, compiled = [], [], 0
    for reference in references:
        registration = Registration.objects.get(reference=reference)
        with CaptureQueriesContext(connection) as captured:
            queue_place(registration=registration)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + captured[-1]["sql"])
            plan = cursor.fetchone()[0][0]
        times.append(plan["Execution Time"])
        compiled += "JIT" in plan
        top = plan["Plan"]
        pages.append(top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0))
    return times, pages, compiled


def signed_in(port: int, mobile: str, sms: SmsFile) -> Browser:
    browser = Browser(port)
    browser.request("GET", "/sign-in/")
    national = mobile.removeprefix("+91")
    assert browser.request("POST", "/sign-in/", {"mobile": national}) == 302
    assert browser.request("POST", "/sign-in/code/", {"code": sms.code_for(mobile)}) == 302
    return browser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.add_server_arguments(parser, db="teeka_bench_status", port=8103)
    parser.add_argument("--registrations", type=int, required=True)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument(
        "--policy", action="store_true", help="turn on the example quota policy in the copy"
    )
    args = parser.parse_args()
    # The client reads the copy too, for the place statement's own cost.
    os.environ["DATABASE_URL"] = f"{harness.PG}/{args.db}"
    harness.client_django()
    from django.db import connection

    with tempfile.TemporaryDirectory() as tmp:
        env = harness.server_env(Path(tmp), args)
        started = time.perf_counter()
        seed.clone(args.registrations, args.db)
        harness.prepare_database(env, args.db, fresh=False)
        if args.policy:
            turn_on_policy(args.db)
        print(f"copied and migrated in {time.perf_counter() - started:.0f} s")
        people = sample(args.db, args.registrations, args.samples)
        server = harness.start_server(env, args)
        try:
            sms = SmsFile(Path(tmp) / "sms.jsonl")
            browsers: dict[str, Browser] = {}
            for mobile, _reference, _doses in people:
                if mobile not in browsers:
                    browsers[mobile] = signed_in(args.port, mobile, sms)
            timings: dict[int, list[float]] = {1: [], 2: []}
            for round_ in range(args.passes + 1):
                for mobile, reference, doses in people:
                    browser = browsers[mobile]
                    start = time.perf_counter()
                    status = browser.request("GET", f"/my/{reference}/")
                    ms = (time.perf_counter() - start) * 1000
                    assert status == 200, (reference, status)
                    if round_:
                        timings[doses + 1].append(ms)
            references = [reference for _m, reference, _d in people]
            times, pages, compiled = place_work(references)
            if args.policy:
                category = category_work(references)
        finally:
            server.terminate()
            server.wait(timeout=30)
            connection.close()
            # The copy is gigabytes (12 GB at 10,000,000): not kept.
            harness.psql(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
    for dose, latencies in timings.items():
        if latencies:
            p50, p95 = harness.percentiles(latencies)
            print(
                f"waiting for dose {dose}: {len(latencies)} pages,"
                f" p50 {p50:.1f} ms, p95 {p95:.1f} ms"
            )
    (t50, t95), (b50, b95) = harness.percentiles(times), harness.percentiles(pages)
    print(
        f"the place statement in the database: p50 {t50:.2f} ms, p95 {t95:.2f} ms;"
        f" pages touched p50 {b50:.0f}, p95 {b95:.0f}; compiled (JIT) {compiled} of {len(times)}"
    )
    _, p95 = harness.percentiles(timings[1] + timings[2])
    print(f"RESULT registrations={args.registrations} status_p95_ms={p95:.1f}")
    if args.policy:
        times, pages, compiled = category
        (t50, t95), (b50, b95) = harness.percentiles(times), harness.percentiles(pages)
        print(
            f"the category place ({len(times)} people in a category): p50 {t50:.2f} ms,"
            f" p95 {t95:.2f} ms; pages touched p50 {b50:.0f}, p95 {b95:.0f};"
            f" compiled (JIT) {compiled}"
        )
        print(
            f"RESULT registrations={args.registrations}"
            f" category_pages_p50={b50:.0f} category_pages_p95={b95:.0f}"
        )


if __name__ == "__main__":
    main()
