"""One database of N registrations at state scale, shared by the benchmarks.

    from benchmarks import seed
    url = seed.ensure(1_000_000)              # teeka_bench_1000000, built once, then reused
    url = seed.clone(1_000_000, "teeka_bench_alloc_1000000")   # a copy to write to

or from the shell: `.venv/bin/python benchmarks/seed.py 1000000 [--rebuild]`.

`ensure(n)` returns the database URL of `teeka_bench_<n>`. Built the way a
fresh deployment is (`migrate`, `load_geography`, run as commands), then, in
bulk SQL (generate_series, INSERT ... SELECT): two centres per block and
town, sessions for each of them from DAYS_BACK days ago to a week ahead, N
people spread over the villages and wards as the population is (below) with
a mix of statuses, and about 0.87 appointments a person (doses given,
bookings ahead, no-shows, cancellations). The big tables' indexes and
constraints are taken off while they fill and put back afterwards (each is
one sort instead of N insertions), then ANALYZE. It is built under another
name and renamed when complete, so a database of this name is always whole;
an advisory lock keeps two benchmarks from building the same one at once.

Who the people are, from hashes of the row number (so a rebuild is the same):
- where: each village and ward has a weight, wards 23% of the people in all
  (Chhattisgarh was 23.2% urban at the 2011 Census), villages the rest,
  either varying from 1x to 4x around their mean (the shared data files have
  no population per village);
- names from common first names and surnames, a third in Devanagari, so
  names repeat as they do (and the duplicates view finds some);
- two people an account (seats 1 and 2), 2% with no mobile at all;
- what became of them, by share of people: waiting for dose 1 (33%), dose 1
  given and waiting for dose 2 (10%), booked ahead for dose 1 (8%) or for
  dose 2 after dose 1 (4%), a no-show (5%) or a cancellation (4%) now
  waiting again, both doses given (26%), paused (3%), withdrawn (4%, seat
  given up), marked a duplicate of the person before (3%);
- ration cards (for the category quotas): 10% Antyodaya, 45% BPL, 30% APL,
  15% none.

No history rows are written (simple_history's tables stay empty).
"""

import argparse
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
DAYS_BACK = 120
# Bump when the seed changes what it writes: an older database is then rebuilt.
SEED_VERSION = 2

# The tables filled in bulk, whose indexes and constraints wait until they are full.
BULK_TABLES = ("registrations_account", "registrations_registration", "slots_appointment")

FIRST_NAMES = [
    ("Ramesh", "रमेश"),
    ("Suresh", "सुरेश"),
    ("Sunita", "सुनीता"),
    ("Geeta", "गीता"),
    ("Rajesh", "राजेश"),
    ("Anita", "अनीता"),
    ("Santosh", "संतोष"),
    ("Kavita", "कविता"),
    ("Dinesh", "दिनेश"),
    ("Rekha", "रेखा"),
    ("Mahesh", "महेश"),
    ("Savitri", "सावित्री"),
    ("Lakshmi", "लक्ष्मी"),
    ("Ganesh", "गणेश"),
    ("Pushpa", "पुष्पा"),
    ("Mukesh", "मुकेश"),
    ("Kamla", "कमला"),
    ("Vijay", "विजय"),
    ("Radha", "राधा"),
    ("Ashok", "अशोक"),
    ("Meena", "मीना"),
    ("Rakesh", "राकेश"),
    ("Usha", "उषा"),
    ("Manoj", "मनोज"),
    ("Sarita", "सरिता"),
    ("Anil", "अनिल"),
    ("Shanti", "शांति"),
    ("Sanjay", "संजय"),
    ("Durga", "दुर्गा"),
    ("Ravi", "रवि"),
    ("Phoolbai", "फूलबाई"),
    ("Budhram", "बुधराम"),
    ("Sukhmati", "सुखमती"),
    ("Bhagwati", "भगवती"),
    ("Deepak", "दीपक"),
    ("Pooja", "पूजा"),
    ("Tijau", "तिजउ"),
    ("Janki", "जानकी"),
    ("Hemlal", "हेमलाल"),
    ("Chandrika", "चंद्रिका"),
]
SURNAMES = [
    ("Sahu", "साहू"),
    ("Verma", "वर्मा"),
    ("Yadav", "यादव"),
    ("Patel", "पटेल"),
    ("Netam", "नेताम"),
    ("Markam", "मरकाम"),
    ("Kashyap", "कश्यप"),
    ("Sinha", "सिन्हा"),
    ("Dhruw", "ध्रुव"),
    ("Nishad", "निषाद"),
    ("Kurre", "कुर्रे"),
    ("Sonwani", "सोनवानी"),
    ("Tandon", "टंडन"),
    ("Chandrakar", "चंद्राकर"),
    ("Dewangan", "देवांगन"),
    ("Banjare", "बंजारे"),
    ("Mandavi", "मंडावी"),
    ("Thakur", "ठाकुर"),
    ("Sharma", "शर्मा"),
    ("Gupta", "गुप्ता"),
    ("Kanwar", "कंवर"),
    ("Painkra", "पैंकरा"),
    ("Baghel", "बघेल"),
    ("Sori", "सोरी"),
    ("Korram", "कोर्राम"),
    ("Sahu Rathia", "राठिया"),
    ("Tiwari", "तिवारी"),
    ("Mishra", "मिश्रा"),
]


def database_name(n: int) -> str:
    return f"teeka_bench_{int(n)}"


def database_url(name: str) -> str:
    return f"{SERVER}/{name}"


def _admin():
    connection = psycopg2.connect(database_url("postgres"))
    connection.autocommit = True
    return connection


def _exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _seeded(name: str, n: int) -> bool:
    connection = psycopg2.connect(database_url(name))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('bench_seed') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("SELECT registrations, version FROM bench_seed")
            return cursor.fetchone() == (n, SEED_VERSION)
    finally:
        connection.close()


def _manage(url: str, *command: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "teeka.settings"}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command, "-v", "0"], env=env, check=True
    )


def ensure(n: int, *, rebuild: bool = False) -> str:
    """The URL of a complete, migrated `teeka_bench_<n>`; built if missing."""
    url = built(n, rebuild=rebuild)
    migrate(url)
    return url


def built(n: int, *, rebuild: bool = False) -> str:
    """The URL of a complete `teeka_bench_<n>`, built if missing, as it is
    (migrations that landed since the build not run)."""
    name = database_name(n)
    admin = _admin()
    try:
        with admin.cursor() as cursor:
            # Two benchmarks asking for the same size: the second waits for the first's build.
            cursor.execute("SELECT pg_advisory_lock(%s)", [zlib.crc32(name.encode())])
            if rebuild and _exists(cursor, name):
                cursor.execute(f'DROP DATABASE "{name}"')
            if not _exists(cursor, name) or not _seeded(name, n):
                _build(cursor, name, n)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [zlib.crc32(name.encode())])
    finally:
        admin.close()
    return database_url(name)


def migrate(url: str) -> None:
    """Migrations that landed since the build (a no-op otherwise)."""
    _manage(url, "migrate", "--noinput")


def clone(n: int, name: str, *, reuse: bool = False, wait: float = 600) -> str:
    """A copy of `teeka_bench_<n>` named `name`, for a benchmark that writes:
    made afresh (replacing an older copy), or with `reuse` an existing copy is
    kept. PostgreSQL copies a database only while nobody is connected to it,
    so this waits up to `wait` seconds for other benchmarks to disconnect.
    The copy is migrated, not the shared seed: a checkout with a migration
    main does not have yet never changes the seed others copy."""
    built(n)
    admin = _admin()
    try:
        with admin.cursor() as cursor:
            if not (reuse and _exists(cursor, name)):
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                _copy(cursor, database_name(n), name, wait)
    finally:
        admin.close()
    migrate(database_url(name))
    return database_url(name)


def _copy(cursor, source: str, name: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            # FILE_COPY copies the files: much faster than the default
            # WAL_LOG for a database of many gigabytes.
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
            return
        except psycopg2.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            print(f"{source} is in use; waiting to copy it", flush=True)
            time.sleep(5)


def recreate(url: str) -> None:
    """An empty database at `url` (any server), dropped first if it is there:
    for a benchmark that builds its own small world."""
    server, name = url.rsplit("/", 1)
    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


def drop(name: str) -> None:
    admin = _admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.close()


def _build(admin_cursor, name: str, n: int) -> None:
    building = f"{name}_building"
    admin_cursor.execute(f'DROP DATABASE IF EXISTS "{building}"')
    admin_cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin_cursor.execute(f'CREATE DATABASE "{building}"')
    url = database_url(building)
    started = time.monotonic()
    print(f"Building {name}: migrate, load_geography", flush=True)
    _manage(url, "migrate", "--noinput")
    _manage(url, "load_geography")
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET work_mem = '256MB'")
        definitions = _take_off_indexes(cursor)
        for label, sql in _seed_sql(n):
            _timed(cursor, label, sql)
        _put_back_indexes(cursor, definitions)
        cursor.execute(
            "CREATE TABLE bench_seed AS SELECT %s::bigint AS registrations, %s AS version",
            [n, SEED_VERSION],
        )
    connection.close()
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        _timed(cursor, "VACUUM ANALYZE", "VACUUM ANALYZE")
    connection.close()
    admin_cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    print(f"Built {name} in {time.monotonic() - started:.0f} s", flush=True)


def _timed(cursor, label: str, sql: str) -> None:
    started = time.monotonic()
    cursor.execute(sql)
    print(f"  {time.monotonic() - started:7.1f} s  {label}", flush=True)


def _take_off_indexes(cursor) -> list[tuple[str, str]]:
    """Drops the bulk tables' constraints (but their primary keys) and other
    indexes; returns the statements that put them back, foreign keys last."""
    cursor.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
           FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype <> 'p'
           ORDER BY contype = 'f' DESC""",
        [list(BULK_TABLES)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [list(BULK_TABLES)],
    )
    indexes = cursor.fetchall()
    for table, constraint, _definition, _type in constraints:  # foreign keys first
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
    for index, _definition in indexes:
        cursor.execute(f"DROP INDEX {index}")
    put_back = [(index, definition) for index, definition in indexes]
    put_back += [
        (constraint, f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')
        for table, constraint, definition, _type in reversed(constraints)
    ]
    return put_back


def _put_back_indexes(cursor, definitions: list[tuple[str, str]]) -> None:
    for label, sql in definitions:
        _timed(cursor, label, sql)


def _names_sql() -> str:
    def values(pairs: list[tuple[str, str]]) -> str:
        return ", ".join(f"({i}, '{en}', '{hi}')" for i, (en, hi) in enumerate(pairs))

    return f"""
    CREATE TEMP TABLE bench_first (i int PRIMARY KEY, en text, hi text);
    INSERT INTO bench_first VALUES {values(FIRST_NAMES)};
    CREATE TEMP TABLE bench_surname (i int PRIMARY KEY, en text, hi text);
    INSERT INTO bench_surname VALUES {values(SURNAMES)};
    """


def _seed_sql(n: int) -> list[tuple[str, str]]:
    n = int(n)
    firsts, surnames, days = len(FIRST_NAMES), len(SURNAMES), DAYS_BACK
    # h(s): an independent hash of the row number g for each s.
    h = "abs(hashint4extended(g::int, {}))".format
    return [
        ("names", _names_sql()),
        (
            "places by population",
            """
            CREATE TEMP TABLE bench_place AS
            SELECT l.id AS locality_id, l.area_id, a.district_id,
                   -- Wards share 23.2% of the people, villages the rest (the docstring).
                   CASE WHEN l.kind = 'ward'
                        THEN 0.232 / (SELECT count(*) FROM districts_locality WHERE kind = 'ward')
                        ELSE 0.768
                             / (SELECT count(*) FROM districts_locality WHERE kind = 'village')
                   END * (0.4 + 1.2 * (abs(hashint4(l.id::int)) % 1000) / 1000.0) AS weight
            FROM districts_locality l JOIN districts_area a ON a.id = l.area_id;
            -- A million buckets, each a place, as many as its weight: a person's
            -- place is the bucket a hash of them falls in (a hash join).
            CREATE TEMP TABLE bench_bucket AS
            SELECT row_number() OVER () - 1 AS bucket, p.locality_id, p.area_id, p.district_id
            FROM (SELECT *, round(1000000 * weight / sum(weight) OVER ()) AS buckets
                  FROM bench_place) p, generate_series(1, p.buckets::int);
            CREATE TEMP TABLE bench_buckets AS SELECT count(*) AS n FROM bench_bucket;
            ANALYZE bench_bucket;
            """,
        ),
        (
            "accounts",
            f"""
            INSERT INTO registrations_account (id, mobile, language, created_at)
            SELECT a, '+916' || lpad(a::text, 9, '0'), CASE WHEN a % 4 = 0 THEN 'en' ELSE 'hi' END,
                   now() - (a % {days}) * interval '1 day'
            FROM generate_series(1, ({n} + 1) / 2) a;
            SELECT setval(pg_get_serial_sequence('registrations_account', 'id'), ({n} + 1) / 2);
            """,
        ),
        (
            "registrations",
            f"""
            INSERT INTO registrations_registration (
                id, account_id, seat, reference, name, gender, birth_year, id_type, id_hash,
                id_last4, priority, district_id, area_id, locality_id, address_line, pincode,
                status, doses_received, last_dose_date, last_vaccine, registered_at, queue_at,
                no_show_count, duplicate_of_id, no_mobile_reason, ration_card)
            SELECT g, CASE WHEN nomobile THEN NULL ELSE (g + 1) / 2 END,
                CASE WHEN nomobile OR k BETWEEN 93 AND 96 THEN NULL ELSE 2 - g % 2 END,
                upper(lpad(to_hex(g), 9, '0')),
                CASE WHEN {h(3)} % 3 = 0 THEN f.hi || ' ' || s.hi ELSE f.en || ' ' || s.en END,
                CASE WHEN {h(4)} % 100 < 49 THEN 'F' WHEN {h(4)} % 100 < 99 THEN 'M' ELSE 'O' END,
                2007 - (({h(6)} % 1000) ^ 1.6 / 1000 ^ 1.6 * 80)::int,
                (ARRAY['AADHAAR', 'AADHAAR', 'AADHAAR', 'VOTER', 'RATION', 'PAN'])[1 + {h(7)} % 6],
                md5(g::text) || md5('id' || g), lpad(({h(8)} % 10000)::text, 4, '0'),
                CASE WHEN {h(9)} % 50 = 0 THEN 1 WHEN {h(9)} % 50 < 3 THEN 2
                     WHEN {h(9)} % 50 < 12 THEN 3 WHEN {h(9)} % 50 < 18 THEN 4 ELSE 5 END,
                b.district_id, b.area_id, b.locality_id, '', '',
                CASE WHEN k < 43 OR k BETWEEN 55 AND 63 THEN 'waiting'
                     WHEN k < 55 THEN 'allotted' WHEN k < 90 THEN 'completed'
                     WHEN k < 93 THEN 'paused' WHEN k < 97 THEN 'withdrawn'
                     ELSE 'duplicate' END,
                CASE WHEN k BETWEEN 33 AND 42 OR k BETWEEN 51 AND 54 THEN 1
                     WHEN k BETWEEN 64 AND 89 THEN 2 ELSE 0 END,
                CASE WHEN k BETWEEN 33 AND 42 OR k BETWEEN 51 AND 54 THEN current_date - d1_ago::int
                     WHEN k BETWEEN 64 AND 89 THEN current_date - d2_ago::int END,
                CASE WHEN k BETWEEN 33 AND 42 OR k BETWEEN 51 AND 89 THEN 'COVISHIELD' ELSE '' END,
                at, at, (k BETWEEN 55 AND 59)::int,
                CASE WHEN k >= 97 AND g > 1 THEN g - 1 END,
                CASE WHEN nomobile THEN 'No phone in the family' ELSE '' END,
                CASE WHEN {h(16)} % 100 < 10 THEN 'antyodaya' WHEN {h(16)} % 100 < 55 THEN 'bpl'
                     WHEN {h(16)} % 100 < 85 THEN 'apl' ELSE 'none' END
            FROM (
                SELECT g, {h(1)} % 100 AS k, {h(5)} % 50 = 0 AS nomobile,
                    {h(2)} % (SELECT n FROM bench_buckets) AS bucket,
                    -- Seat 2 takes its first name from the other half of the list:
                    -- two people of one account never share name and year of birth.
                    {h(10)} % {firsts // 2} + g % 2 * {firsts // 2} AS first,
                    {h(11)} % {surnames} AS surname,
                    -- Registered reg_ago days ago; doses after that (see bench_plan).
                    now() - reg_ago * interval '1 day' - ({h(12)} % 36000) * interval '1 s' AS at,
                    greatest(reg_ago - 3 - {h(13)} % 10, 1) AS d1_ago,
                    greatest(reg_ago - 35 - {h(14)} % 10, 1) AS d2_ago
                FROM (SELECT g, CASE WHEN {h(1)} % 100 BETWEEN 64 AND 89
                                     THEN 45 + {h(15)} % ({days} - 45)
                                     ELSE {h(15)} % {days} END AS reg_ago
                      FROM generate_series(1, {n}) g) ages
            ) p
            JOIN bench_bucket b ON b.bucket = p.bucket
            JOIN bench_first f ON f.i = p.first
            JOIN bench_surname s ON s.i = p.surname;
            SELECT setval(pg_get_serial_sequence('registrations_registration', 'id'), {n});
            ANALYZE registrations_registration;
            """,
        ),
        (
            "centres and sessions",
            f"""
            INSERT INTO slots_centre (district_id, area_id, locality_id, name, address, pincode,
                                      active, created_at)
            SELECT a.district_id, a.id, l.id, 'PHC ' || l.name, 'Main road', '', true, now()
            FROM districts_area a
            CROSS JOIN LATERAL (SELECT id, name FROM districts_locality WHERE area_id = a.id
                                ORDER BY id LIMIT 2) l;
            INSERT INTO slots_session (centre_id, district_id, date, start_time, end_time, vaccine,
                dose, min_age, capacity, booked, published, status, cancel_reason, created_at,
                vials_opened, standby_doses, standby_margin, doses_discarded)
            SELECT c.id, c.district_id, current_date + d, '09:00', '17:00', 'COVISHIELD', dose,
                18, 100, 0, true, 'active', '', now(), 0, 0, 2, 0
            FROM slots_centre c, generate_series(-{days}, 7) d, generate_series(1, 2) dose;
            CREATE TEMP TABLE bench_centre AS
            SELECT id, area_id, row_number() OVER (PARTITION BY area_id ORDER BY id) - 1 AS i,
                   count(*) OVER (PARTITION BY area_id) AS centres
            FROM slots_centre;
            ANALYZE slots_centre, slots_session, bench_centre;
            """,
        ),
        (
            "appointments",
            f"""
            CREATE TEMP TABLE bench_plan AS
            SELECT r.id, r.area_id, 1 AS dose,
                CASE WHEN k BETWEEN 43 AND 50 THEN 'booked' WHEN k BETWEEN 55 AND 59 THEN 'no_show'
                     WHEN k BETWEEN 60 AND 63 THEN 'cancelled' ELSE 'attended' END AS status,
                CASE WHEN k BETWEEN 43 AND 50 THEN 1 + r.id % 7
                     WHEN k BETWEEN 55 AND 63 THEN -greatest(reg_ago - 3, 1)
                     ELSE r.last_dose_date - current_date
                          - CASE WHEN k BETWEEN 64 AND 89 THEN 30 ELSE 0 END END AS day_off
            FROM (SELECT r.*, {h(1).replace("g::int", "r.id::int")} % 100 AS k,
                         current_date - r.registered_at::date AS reg_ago
                  FROM registrations_registration r) r
            WHERE k BETWEEN 33 AND 89
            UNION ALL
            SELECT r.id, r.area_id, 2,
                CASE WHEN r.status = 'allotted' THEN 'booked' ELSE 'attended' END,
                CASE WHEN r.status = 'allotted' THEN 1 + r.id % 7
                     ELSE r.last_dose_date - current_date END
            FROM registrations_registration r
            WHERE r.doses_received = 2 OR (r.status = 'allotted' AND r.doses_received = 1);
            ANALYZE bench_plan;
            INSERT INTO slots_appointment (registration_id, session_id, dose, status, code,
                created_at, updated_at, attended_at, batch_number, cancelled_at, cancel_reason)
            SELECT p.id, s.id, p.dose, p.status, lpad((p.id % 10000)::text, 4, '0'),
                s.date - 3, now(),
                CASE WHEN p.status = 'attended' THEN s.date + interval '11 hours' END,
                CASE WHEN p.status = 'attended' THEN 'B' || (s.id % 500) ELSE '' END,
                CASE WHEN p.status = 'cancelled' THEN s.date - 1 END,
                CASE WHEN p.status = 'cancelled' THEN 'Could not come' ELSE '' END
            FROM bench_plan p
            JOIN bench_centre c ON c.area_id = p.area_id AND c.i = p.id % c.centres
            JOIN slots_session s ON s.centre_id = c.id
                AND s.date = current_date + greatest(least(p.day_off, 7), -{days})::int
                AND s.dose = p.dose;
            """,
        ),
        (
            "session counts",
            """
            UPDATE slots_session s SET booked = b.n, capacity = greatest(100, b.n)
            FROM (SELECT session_id, count(*) AS n FROM slots_appointment
                  WHERE status IN ('booked', 'attended') GROUP BY session_id) b
            WHERE b.session_id = s.id;
            ANALYZE slots_appointment;
            """,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registrations", type=int, nargs="+")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    for n in args.registrations:
        print(ensure(n, rebuild=args.rebuild))


if __name__ == "__main__":
    main()
