"""A district's paper list at scale, through the real import path.

    .venv/bin/python benchmarks/import_rows.py [--rows 50000]

Makes its own database (BENCH_DATABASE_URL, default teeka_bench_import on
the local PostgreSQL), emptied of registrations and imports at each run, and
a Raipur district official. Generates a messy list as a block office types
it (mixed case, Devanagari names and digits, blank cells, dd/mm/yyyy dates,
bad IDs, duplicates, villages with their bracketed part or without, and
misspelt ones) as an XLSX file in memory, then runs what the web request and
the worker run, in this process:

- upload: registrations.import_jobs.read_masked + start_import (the upload
  request: read the sheet, mask every ID, store the rows);
- preview: import_jobs.check_rows (the worker's preview);
- confirm: import_jobs.write_rows (the worker's confirmation) of the list's
  good rows only (the same list without its faulty rows, checked again by a
  preview first, since a list with faults is never confirmed).

With --registrations N the list is imported into a copy of the seeded
teeka_bench_<N> (benchmarks/seed.py, dropped after the run), whose people
stay: their mobiles and IDs are not the list's.

Baseline, in the same run: a plain bulk INSERT (psycopg2 execute_values,
pages of 1,000) of the rows the confirmation wrote, into a table of the
registration's shape (LIKE ... INCLUDING ALL: its indexes and checks, no
foreign keys), as the least any import of them costs.

With --upload-request it only times the upload request itself, through
Django's test client as the official posts the file (a big file is then read
by a thread of the process, which this run does not wait for), and prints
RESULT rows=<n> upload_request_s=<n>.

Prints RESULT rows=<n> preview_s=<n> confirm_s=<n> rows_per_s=<n>
upload_s=<n> peak_mb=<n> baseline_s=<n> ratio=<baseline_s/confirm_s>
(rows_per_s: rows confirmed per second; peak_mb: this process's max RSS).
"""

import argparse
import csv
import io
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/teeka_bench_import"
)
os.environ["DATABASE_URL"] = BENCH_DB
os.environ.pop("REDIS_URL", None)  # tasks' functions are called here; a local cache
# As a production worker runs: DEBUG off (Django then keeps no list of queries).
os.environ.update(DEBUG="false", SECRET_KEY="bench-" + "k" * 50, ID_HASH_KEY="bench-id-key")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")

from benchmarks import seed  # noqa: E402 (after the path is set)

RAIPUR = "387"
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
HEADER = [
    "Name / नाम",
    "GENDER",
    "birth_year",
    "id_type",
    "id_number",
    "mobile",
    "priority",
    "district",
    "block_or_town",
    "village_or_ward",
    "registered_on",
    "address",
]
NAMES = ["कमला बाई", "Ramesh Sahu", "SUNITA dhruw", "राम कुमार", "Asha  Bai", "gita verma"]


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


def villages() -> list[tuple[str, str]]:
    """(block, village) of Raipur's villages, from the shared data file."""
    path = ROOT / "districts" / "data" / "localities.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["district_current_lgd_code"] == RAIPUR]
    return [
        (r["block_en"], r["locality_name"])
        for r in rows
        if r["locality_type"] == "village" and r["block_en"]
    ]


def aadhaar(n: int) -> str:
    from stdnum import verhoeff

    body = f"{52340000000 + n:011d}"
    return body + verhoeff.calc_check_digit(body)


def messy_rows(n: int, places: list[tuple[str, str]], seed: int = 15) -> tuple[list, list]:
    """All the rows, and the good ones alone (what can be confirmed)."""
    rng = random.Random(seed)
    rows, good = [], []
    for i in range(n):
        block, village = places[i % len(places)]
        number = aadhaar(i)
        fault = i % 50
        row = [
            NAMES[i % len(NAMES)] + f" {i}",
            rng.choice(["F", "m", "Female", "महिला", "पुरुष"]),
            str(1950 + i % 50).translate(DEVANAGARI) if i % 7 == 0 else 1950 + i % 50,
            rng.choice(["AADHAAR", "aadhar", "Aadhaar"]),
            number.translate(DEVANAGARI)
            if i % 5 == 0
            else f"{number[:4]} {number[4:8]} {number[8:]}",
            None if i % 4 == 0 else f"9{(876000000 + i // 3) % 1_000_000_000:09d}",
            None if i % 3 else 5,
            "RAIPUR" if i % 2 else "raipur",
            block.upper() if i % 2 else block,
            # Written with or without the bracketed part, in any case.
            village.split(" (")[0] if i % 3 == 0 else village.lower(),
            f"{1 + i % 28:02d}/{1 + i % 4:02d}/2021",
            None,
        ]
        if fault == 7:
            row[4] = number[:-1] + str((int(number[-1]) + 1) % 10)  # bad check digit
        elif fault == 13:
            row[9] = village.replace(village[1], "", 1) + "x"  # misspelt
        elif fault == 21:
            row[10] = "31/13/2021"  # no such day
        elif fault == 29:
            row[4] = aadhaar(i - 1)  # the same person as the row before
        elif fault == 37:
            row[0] = None  # a blank name
        rows.append(row)
        if fault not in (7, 13, 21, 37):
            good.append(row)
    return rows, good


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("list")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def baseline(official_id: int) -> float:
    """A plain bulk INSERT of the rows the import wrote, as tuples from Python."""
    from django.db import connection
    from psycopg2.extras import execute_values

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_baseline")
        cursor.execute(
            "CREATE TABLE bench_import_baseline (LIKE registrations_registration INCLUDING ALL)"
        )
        cursor.execute(
            "SELECT * FROM registrations_registration WHERE created_by_id = %s ORDER BY id",
            [official_id],
        )
        columns = [c.name for c in cursor.description]
        rows = cursor.fetchall()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"INSERT INTO bench_import_baseline ({', '.join(columns)}) VALUES %s",
            rows,
            page_size=1000,
        )
    return time.perf_counter() - started


def upload_request(official, content: bytes, rows: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client()
    client.force_login(official)
    upload = SimpleUploadedFile("bench.xlsx", content)
    seconds, response = timed(
        client.post,
        "/admin/registrations/registration/import/",
        {"import_file": upload, "format": "0", "resource": "0"},
        secure=True,
    )
    assert response.status_code == 302, response.status_code
    print(f"{len(content) / 1e6:.1f} MB; load {os.getloadavg()[0]:.1f}")
    print(f"RESULT rows={rows} upload_request_s={seconds:.2f}", flush=True)
    os._exit(0)  # the reading thread is not waited for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--upload-request", action="store_true")
    parser.add_argument(
        "--registrations",
        type=int,
        default=0,
        help="import into a copy of the seeded teeka_bench_<N> (dropped after) instead",
    )
    args = parser.parse_args()
    os.environ["ALLOWED_HOSTS"] = "testserver"
    copy = f"teeka_bench_import_{args.registrations}" if args.registrations else None
    if copy:
        os.environ["DATABASE_URL"] = seed.clone(args.registrations, copy)
    try:
        run(args)
    finally:
        if copy:
            from django.db import connections

            connections.close_all()
            seed.drop(copy)


def run(args: argparse.Namespace) -> None:

    import django

    django.setup()
    ensure_database()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from districts import roles
    from districts.models import District, OfficialProfile
    from districts.role_permissions import sync_role_groups
    from registrations import import_jobs
    from registrations.models import ImportJob

    call_command("migrate", verbosity=0)
    if not District.objects.exists():
        call_command("load_geography")
    from django.apps import apps

    sync_role_groups(apps)
    with connection.cursor() as cursor:
        if args.registrations:
            # The seeded people stay (their mobiles and IDs are not the list's).
            cursor.execute("TRUNCATE registrations_importjob")
        else:
            cursor.execute(
                "TRUNCATE registrations_registration, registrations_historicalregistration,"
                " registrations_account, registrations_importjob CASCADE"
            )
    official, made = User.objects.get_or_create(username="bench-raipur", is_staff=True)
    if made:
        OfficialProfile.objects.create(user=official).districts.add(
            District.objects.get(lgd_code=int(RAIPUR))
        )
        from django.contrib.auth.models import Group

        official.groups.add(Group.objects.get(name=roles.DISTRICT_OFFICIAL))

    rows, good = messy_rows(args.rows, villages())
    if args.upload_request:
        upload_request(official, xlsx(rows), len(rows))
    everything, good_file = xlsx(rows), xlsx(good)
    print(f"{len(rows):,} rows ({len(good):,} without faults), {len(everything) / 1e6:.1f} MB XLSX")

    def upload(content: bytes) -> int:
        sheet = import_jobs.read_masked(content, is_csv=False)
        return import_jobs.start_import(user=official, file_name="bench.xlsx", sheet=sheet).pk

    upload_s, job_id = timed(upload, everything)
    preview_s, _ = timed(import_jobs.check_rows, job_id)
    report = ImportJob.objects.get(pk=job_id).report
    print(
        f"upload {upload_s:.1f} s, preview {preview_s:.1f} s:"
        f" {report['invalid_count']:,} rows refused, {len(report['skipped']):,} skipped,"
        f" {report['new']:,} to register"
    )

    good_id = upload(good_file)
    good_preview_s, _ = timed(import_jobs.check_rows, good_id)
    assert ImportJob.objects.filter(pk=good_id).update(status=ImportJob.Status.WRITING) == 1
    confirm_s, _ = timed(import_jobs.write_rows, good_id)
    job = ImportJob.objects.get(pk=good_id)
    print(
        f"good rows: preview {good_preview_s:.1f} s, confirm {confirm_s:.1f} s, {job.status},"
        f" {job.rows_written:,} written"
    )
    baseline_s = baseline(official.pk)
    load = os.getloadavg()[0]
    print(
        f"baseline (bulk INSERT of {job.rows_written:,} rows): {baseline_s:.2f} s; load {load:.1f}"
    )
    print(
        f"RESULT rows={len(rows)} preview_s={preview_s:.1f} confirm_s={confirm_s:.1f}"
        f" rows_per_s={job.rows_written / confirm_s:.0f} upload_s={upload_s:.1f}"
        f" peak_mb={peak_mb():.0f} baseline_s={baseline_s:.2f}"
        f" ratio={baseline_s / confirm_s:.3f}"
    )


if __name__ == "__main__":
    main()
