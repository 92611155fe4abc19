"""Rebuilding the summary tables from the live rows: all of them the first
time, then only the days of the districts that changed since the last
refresh (the database notes those: dashboard/migrations/0002_changes.py)."""

import datetime
import operator
import time
from collections.abc import Iterable
from functools import reduce

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from registrations.models import Registration
from slots.models import Appointment, Session

from . import stats
from .models import AreaDay, GroupDay, SummaryState

Status = Registration.Status
Visit = Appointment.Status

REGISTRATION_MEASURES = {
    "registered": Count("pk", filter=~Q(status=Status.DUPLICATE)),
    "waiting": Count("pk", filter=Q(status=Status.WAITING)),
    "allotted": Count("pk", filter=Q(status=Status.ALLOTTED)),
}
APPOINTMENT_MEASURES = {
    "dose1": Count("pk", filter=Q(status=Visit.ATTENDED, dose=1)),
    "dose2": Count("pk", filter=Q(status=Visit.ATTENDED, dose=2)),
    "no_show": Count("pk", filter=Q(status=Visit.NO_SHOW)),
    "cancelled": Count("pk", filter=Q(status=Visit.CANCELLED)),
    # Allotted and not cancelled: what the public page calls appointments.
    "appointments": Count("pk", filter=~Q(status=Visit.CANCELLED)),
}
# An appointment counts where it was given: the district, block or town of
# the session's centre (a person may be vaccinated outside their home block);
# the priority group and gender are the person's.
APPOINTMENT_PLACE = {"district_id": "session__district_id", "area_id": "session__centre__area_id"}
AREA_KEYS = ("district_id", "area_id")
GROUP_KEYS = ("district_id", "priority", "gender")


# district id -> (first day, last day) to recount; None: everything.
Days = dict[int, tuple[datetime.date, datetime.date]] | None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _per_district(days: Days, condition) -> Q:
    """One condition for each district's range of days, OR-ed: everything
    when `days` is None."""
    if days is None:
        return Q()
    return reduce(operator.or_, (condition(d, first, last) for d, (first, last) in days.items()))


def _registered_in(days: Days) -> Q:
    # A range of registered_at per district, which the (district,
    # registered_at) index answers; TruncDate would read every row.
    return _per_district(
        days,
        lambda district, first, last: Q(
            district_id=district,
            registered_at__gte=_day_start(first),
            registered_at__lt=_day_start(last + datetime.timedelta(days=1)),
        ),
    )


def _given_in(days: Days) -> Q:
    if days is None:
        return Q()
    # The sessions first (a few thousand), then their appointments by
    # appointment_session_status; the same condition across the join read
    # every appointment of the state (85 s at 10,000,000 people).
    sessions = Session.objects.filter(
        _per_district(
            days,
            lambda district, first, last: Q(district_id=district, date__range=(first, last)),
        )
    )
    return Q(session__in=sessions.values("pk"))


def _summary_in(days: Days) -> Q:
    return _per_district(
        days, lambda district, first, last: Q(district_id=district, day__range=(first, last))
    )


def _registration_counts(keys: tuple[str, ...], days: Days = None) -> Iterable[dict]:
    # TruncDate uses the current time zone, so a day is an Indian day.
    return (
        Registration.objects.filter(_registered_in(days))
        .annotate(day=TruncDate("registered_at"))
        .values("day", *keys)
        .annotate(**REGISTRATION_MEASURES)
        .order_by()
    )


def _appointment_counts(keys: tuple[str, ...], days: Days = None) -> Iterable[dict]:
    where = {key: F(APPOINTMENT_PLACE.get(key, f"registration__{key}")) for key in keys}
    return (
        Appointment.objects.filter(_given_in(days))
        .values(day=F("session__date"), **where)
        .annotate(**APPOINTMENT_MEASURES)
        .order_by()
    )


def _insert_counts(model: type, keys: tuple[str, ...], days: Days = None) -> None:
    """Both counts, joined side by side per day and keys, written straight
    into the summary table: the database does the work and no row of a
    million-row table travels to Python. The two SELECTs are the ORM's own.
    `days`: only those days of those districts (their rows were deleted)."""
    reg_sql, reg_params = _registration_counts(keys, days).query.sql_with_params()
    app_sql, app_params = _appointment_counts(keys, days).query.sql_with_params()
    columns = ("day", *keys)
    key_sql = ", ".join(f"COALESCE(r.{c}, a.{c})" for c in columns)
    join_sql = " AND ".join(f"r.{c} = a.{c}" for c in columns)
    counts_sql = ", ".join(
        [f"COALESCE(r.{m}, 0)" for m in REGISTRATION_MEASURES]
        + [f"COALESCE(a.{m}, 0)" for m in APPOINTMENT_MEASURES]
    )
    targets = ", ".join([*columns, *REGISTRATION_MEASURES, *APPOINTMENT_MEASURES])
    # Names come from this module and the model, values go as parameters.
    table = model._meta.db_table
    sql = f"INSERT INTO {table} ({targets}) SELECT {key_sql}, {counts_sql} "  # noqa: S608
    sql += f"FROM ({reg_sql}) r FULL OUTER JOIN ({app_sql}) a ON {join_sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*reg_params, *app_params])


def _take_changes() -> Days:
    """The days and districts changed since the last refresh, as one range
    of days per district; taken (deleted) in this transaction. A change
    committed after this statement stays for the next refresh."""
    if connection.vendor != "postgresql":
        return None  # no triggers there: recount everything
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH taken AS (DELETE FROM dashboard_change RETURNING day, district_id) "
            "SELECT district_id, min(day), max(day) FROM taken GROUP BY district_id"
        )
        return {district: (first, last) for district, first, last in cursor.fetchall()}


@transaction.atomic
def refresh(*, full: bool = False) -> SummaryState:
    """Recounts the days of the districts that changed since the last refresh
    (each district from its earliest to its latest changed day), or
    everything the first time and with `full`. The changes are taken before
    counting, so whatever commits meanwhile is counted now or next time,
    never lost. Readers keep seeing the previous counts until this commits."""
    started = time.monotonic()
    SummaryState.objects.get_or_create(id=1)
    state = SummaryState.objects.select_for_update().get(id=1)
    days = _take_changes()
    if full or state.computed_at is None:
        days = None
    for model, keys in ((AreaDay, AREA_KEYS), (GroupDay, GROUP_KEYS)):
        if days == {}:
            break
        model.objects.filter(_summary_in(days)).delete()
        _insert_counts(model, keys, days)
    state.computed_at = timezone.now()
    state.took_ms = round((time.monotonic() - started) * 1000)
    state.save()
    # The public page caches what it read from these tables.
    transaction.on_commit(stats.forget)
    return state
