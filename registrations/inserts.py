"""Writing a new registration: its seat on the account, the row and its history
row, in as few round trips as the database allows.

Registering is the citizen flow's hot write (the launch-day rush), and through
the ORM it took six round trips and most of the request's CPU: the free-seat
query, BEGIN, the row, django-simple-history's row, COMMIT. On PostgreSQL one
statement does it all: a data-modifying CTE inserts the row, with the
account's first free seat worked out inside the statement, and the history row
from what it returned. A single statement is atomic by itself, and every rule
stays with the database: the unique constraints (dedupe, seats), the check
that an account's person has a seat (none free: the account is full) and the
composite foreign keys (the village lies in the block or town, that in the
district). The caller turns a violation into the person's message. The
statement is prepared once per database connection (see _prepare).

The SQL is built from the models' fields, so a field added to Registration is
written (and kept in its history) without touching this file. It sends no
model signals: the only receiver, simple_history's post_save, is what the
statement replaces (tests/registrations/test_inserts.py checks that no other
receiver has appeared).

Other databases (the embedded SQLite default has no composite keys and no
data-modifying CTEs) take the ORM path, which checks the places with a query.
"""

import functools
import hashlib
import re
import weakref

from django.db import connection, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from simple_history.models import HistoricalRecords

from districts.models import Locality

from .models import Registration

# Databases that take the one-statement path.
ONE_STATEMENT_VENDORS = ("postgresql",)


class WrongPlace(Exception):  # noqa: N818 - a refusal, turned into a message by the caller
    """The district, block or town, or village does not fit with the others."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def insert_registration(
    registration: Registration, *, max_seats: int, savepoint: bool = True
) -> None:
    """Saves the new `registration` with the first free seat of its account
    (none without an account). Raises IntegrityError as the database refuses
    it, or WrongPlace. `savepoint=False` (a paper list's rows, in one
    transaction that is rolled back whole if any is refused) leaves out the
    savepoint that would keep the caller's transaction usable after a refusal:
    thousands of them in one transaction cost more than the rows."""
    # The database's own wrapper, not the `connection` proxy, which looks the
    # thread's connection up again on every use (once per field here).
    db = connections[router.db_for_write(Registration, instance=registration)]
    if db.vendor in ONE_STATEMENT_VENDORS:
        _insert_in_one_statement(registration, max_seats, db, savepoint=savepoint)
    else:
        _insert_with_the_orm(registration, max_seats)


# PostgreSQL -------------------------------------------------------------------


# The first free seat of the account (none at all for a person without an
# account; a withdrawn person holds none), the row, its history row.
# Its parameters are typed where the statement alone does not say (the row's
# values take their columns' types), for PREPARE.
_SQL = """
WITH free_seat AS (
    SELECT min(s) AS seat FROM generate_series(1, %s::integer) AS s
    WHERE %s::bigint IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM {table} AS r WHERE r.account_id = %s::bigint AND r.seat = s
    )
), new AS (
    INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING *
)
INSERT INTO {history} ({copied}, history_date, history_change_reason, history_type, history_user_id)
SELECT {from_new}, %s::timestamptz, %s::text, '+', %s::integer FROM new
RETURNING id, seat
"""
# The statement is prepared once per database connection and then only
# executed: planning this statement afresh was about half of the database's
# time for each registration (pgbench, 4 clients: 2,900 a second planned each
# time, 5,200 prepared). A prepared statement outlives a rolled-back
# transaction and dies with the connection. It needs the connection to itself
# (Django's persistent connections, or a pooler in session mode). Its name
# carries a digest of its text, so a server session that outlives a release
# (behind a pooler) never runs the old text for the new code.
_PREPARED = "teeka_insert_registration_"
# Weak: a connection that is closed and dropped leaves with its statement.
_prepared_on: weakref.WeakSet = weakref.WeakSet()


def _columns() -> tuple[type, list, list[str]]:
    """The history model, the Registration fields a new row is given (not
    the key, nor a column the database makes), and the quoted columns its
    history row copies from the new row."""
    q = connection.ops.quote_name
    history = Registration.history.model
    fields = [f for f in Registration._meta.concrete_fields if not (f.primary_key or f.generated)]
    tracked = {f.attname for f in history.tracked_fields}
    copied = [q(f.column) for f in history._meta.concrete_fields if f.attname in tracked]
    return history, fields, copied


@functools.cache
def _statement() -> tuple[str, list]:
    """The SQL, and the Registration fields whose values it takes, in order
    (the seat is worked out by the statement)."""
    q = connection.ops.quote_name
    history, fields, copied = _columns()
    # Only quoted names from the models go into the text; values are parameters.
    sql = _SQL.format(  # noqa: S608
        table=q(Registration._meta.db_table),
        columns=", ".join(q(f.column) for f in fields),
        values=", ".join(
            "(SELECT seat FROM free_seat)" if f.name == "seat" else "%s" for f in fields
        ),
        history=q(history._meta.db_table),
        copied=", ".join(copied),
        from_new=", ".join(f"new.{c}" for c in copied),
    )
    return sql, [f for f in fields if f.name != "seat"]


@functools.cache
def _statement_name() -> str:
    return _PREPARED + hashlib.sha256(_statement()[0].encode()).hexdigest()[:16]


def history_user_id(registration: Registration) -> int | None:
    """Who made the change, as simple_history decides it: the instance's
    _history_user, else the signed-in user of the current request."""
    user = getattr(registration, "_history_user", None)
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _insert_in_one_statement(
    registration: Registration, max_seats: int, db: BaseDatabaseWrapper, *, savepoint: bool
) -> None:
    sql, fields = _statement()
    account_id = registration.account_id
    params = [max_seats, account_id, account_id]
    params += [f.get_db_prep_save(f.pre_save(registration, True), db) for f in fields]
    reason = getattr(registration, "_change_reason", None)
    params += [timezone.now(), reason, history_user_id(registration)]
    with db.cursor() as cursor:
        _prepare(db, cursor, sql)
        execute = f"EXECUTE {_statement_name()} ({', '.join(['%s'] * len(params))})"
        if db.in_atomic_block and savepoint:
            # Inside the caller's transaction, a savepoint keeps it usable when
            # the database refuses the row; on its own, one statement is atomic.
            with transaction.atomic(using=db.alias):
                cursor.execute(execute, params)
        else:
            cursor.execute(execute, params)
        registration.pk, registration.seat = cursor.fetchone()
    registration._state.adding, registration._state.db = False, db.alias


def _prepare(db: BaseDatabaseWrapper, cursor, sql: str) -> None:
    """PREPAREs the statement on this connection unless it already was. The
    set remembers driver connections, not Django's wrapper: a pool (Django's
    own, on psycopg 3) hands the wrapper one of several connections in turn,
    each keeping what was prepared on it."""
    if db.connection in _prepared_on:
        return
    # Behind PgBouncer in session mode a new connection may be given a server
    # session that has it already (deploy/pgbouncer/pgbouncer.ini's reset
    # query keeps prepared statements between clients): ask, once per
    # connection, rather than fail.
    name = _statement_name()
    cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
    if cursor.fetchone() is None:
        numbered = iter(range(1, sql.count("%s") + 1))
        sql = re.sub("%s", lambda _: f"${next(numbered)}", sql)
        cursor.execute(f"PREPARE {name} AS {sql}")
    _prepared_on.add(db.connection)


# Many rows at once (a paper list's confirmation) ----------------------------------

# The rows of a page in one multi-row INSERT, with their seats already worked
# out by the caller (registrations.import_plan), and their history rows from
# what it returned: one statement a page instead of one a row. The triggers
# on the table are statement-level (transition tables), so the queue's counts
# and the dashboard's changed days are written once a page, after its rows.
_MANY_SQL = """
WITH new AS (
    INSERT INTO {table} ({columns}) VALUES {{rows}} RETURNING *
)
INSERT INTO {history} ({copied}, history_date, history_change_reason, history_type, history_user_id)
SELECT {from_new}, %s::timestamptz, %s::text, '+', %s::integer FROM new
RETURNING id
"""


@functools.cache
def _many_statement() -> tuple[str, list]:
    """The SQL (its rows left to fill in) and the Registration fields each
    row gives, in order: all that the one-row statement takes, and the seat."""
    q = connection.ops.quote_name
    history, fields, copied = _columns()
    # Only quoted names from the models go into the text; values are parameters.
    sql = _MANY_SQL.format(  # noqa: S608
        table=q(Registration._meta.db_table),
        columns=", ".join(q(f.column) for f in fields),
        history=q(history._meta.db_table),
        copied=", ".join(copied),
        from_new=", ".join(f"new.{c}" for c in copied),
    )
    return sql, fields


def row_values(registration: Registration, db: BaseDatabaseWrapper) -> tuple:
    """What insert_many writes of `registration`: its seat must be set."""
    return tuple(
        f.get_db_prep_save(f.pre_save(registration, True), db) for f in _many_statement()[1]
    )


def insert_many(
    rows: list[tuple], *, reason: str | None, user_id: int | None, db: BaseDatabaseWrapper
) -> list[int]:
    """Inserts `rows` (row_values of new registrations) and their history
    rows in one statement; returns their ids. PostgreSQL only. Raises the
    database's refusal of any row (the caller finds which, one row at a time)."""
    sql, fields = _many_statement()
    template = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with db.cursor() as cursor:
        # Every value is quoted by the driver, row by row (as psycopg2's
        # execute_values does); the text has no placeholder left after.
        values = b", ".join(cursor.mogrify(template, row) for row in rows)
        head, tail = sql.split("{rows}")
        tail = cursor.mogrify(tail, [timezone.now(), reason, user_id])
        cursor.execute((head.encode() + values + tail).decode())
        return [row[0] for row in cursor.fetchall()]


# Other databases --------------------------------------------------------------


def _check_place(registration: Registration) -> None:
    fits = Locality.objects.filter(
        pk=registration.locality_id,
        area_id=registration.area_id,
        area__district_id=registration.district_id,
    )
    if not fits.exists():
        raise WrongPlace(wrong_place_field(registration))


def wrong_place_field(registration: Registration) -> str:
    """Which of the three places to point at when they do not fit together."""
    from districts.models import Area, District

    if not District.objects.filter(pk=registration.district_id).exists():
        return "district"
    if not Area.objects.filter(
        pk=registration.area_id, district_id=registration.district_id
    ).exists():
        return "area"
    return "locality"


def _insert_with_the_orm(registration: Registration, max_seats: int) -> None:
    _check_place(registration)
    with transaction.atomic():
        if registration.account_id is not None:
            # None when full: the database's check then refuses the row.
            registration.seat = registration.account.first_free_seat(max_seats)
        registration.save(force_insert=True)
