"""What the lists' indexes and the dashboard's change trigger cost a registration.

    .venv/bin/python benchmarks/insert_cost.py [--rounds 6]

On a copy of the shared seed of 100,000 (benchmarks/seed.py), three copies of
registrations_registration with all its indexes and constraints: without
reg_registered and reg_district_person ("before"), with them ("indexes"),
and with them and the dashboard's change trigger ("after", the table as it
is). Single-row INSERTs (prepared, one per statement as a registration is)
in interleaved rounds of 1,000, timed by the wall clock and by the CPU time
of the database process (/proc), which a busy machine changes less.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import seed  # noqa: E402 (after the path is set)

COLUMNS = (
    "account_id, seat, reference, name, gender, birth_year, id_type, id_hash, id_last4, "
    "priority, district_id, area_id, locality_id, address_line, pincode, status, "
    "doses_received, last_vaccine, registered_at, queue_at, no_show_count, "
    "no_mobile_reason, ration_card"
)
NEW = ("reg_registered", "reg_district_person")
TABLES = ("before", "indexes", "after")


def _prepare(cursor) -> None:
    cursor.execute(
        "CREATE TABLE source AS SELECT * FROM registrations_registration ORDER BY id LIMIT 1000;"
        "ALTER TABLE source ADD PRIMARY KEY (id);"
    )
    for table in TABLES:
        cursor.execute(f"CREATE TABLE {table} (LIKE registrations_registration INCLUDING ALL)")
        cursor.execute(
            f"PREPARE insert_{table}(bigint) AS INSERT INTO {table} ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM source WHERE id = $1"
        )
    # The copies' indexes are named after their columns: drop the two new ones from "before".
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'before' AND ("
        "indexdef LIKE '%%(registered_at)' OR indexdef LIKE '%%(district_id, locality_id, lower%%')"
    )
    for (index,) in cursor.fetchall():
        cursor.execute(f'DROP INDEX "{index}"')
    cursor.execute(
        "CREATE TRIGGER changed AFTER INSERT ON after REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION dashboard_registration_changed()"
    )


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    name = "teeka_bench_inserts"
    connection = psycopg2.connect(seed.clone(100_000, name))
    connection.autocommit = True
    cursor = connection.cursor()
    # No WAL flush per row: the commit's disk wait is the same for all three.
    cursor.execute("SET synchronous_commit = off")
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    _prepare(cursor)
    wall = {t: [] for t in TABLES}
    cpu = {t: [] for t in TABLES}
    for _ in range(args.rounds):
        for table in (*TABLES, *reversed(TABLES)):
            started, cpu_started = time.perf_counter(), _cpu(pid)
            for i in range(1, 1001):
                cursor.execute(f"EXECUTE insert_{table}(%s)", [i])
            wall[table].append((time.perf_counter() - started) * 1000)
            cpu[table].append((_cpu(pid) - cpu_started) * 1000)
            cursor.execute(f"TRUNCATE {table}")
    for table in TABLES:
        print(
            f"{table:8} wall median {statistics.median(wall[table]):5.0f} us a row; "
            f"database CPU median {statistics.median(cpu[table]):4.0f} us "
            f"({min(cpu[table]):.0f} to {max(cpu[table]):.0f})"
        )
    before, after = statistics.median(cpu["before"]), statistics.median(cpu["after"])
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"RESULT cpu_before_us={before:.0f} cpu_after_us={after:.0f} ratio={after / before:.2f}")
    connection.close()
    seed.drop(name)


if __name__ == "__main__":
    main()
