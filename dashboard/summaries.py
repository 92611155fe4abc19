"""Rebuilding the summary tables from the live rows."""

import time
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from registrations.models import Registration
from slots.models import Appointment

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


def _registration_counts(keys: tuple[str, ...]) -> Iterable[dict]:
    # TruncDate uses the current time zone, so a day is an Indian day.
    return (
        Registration.objects.annotate(day=TruncDate("registered_at"))
        .values("day", *keys)
        .annotate(**REGISTRATION_MEASURES)
        .order_by()
    )


def _appointment_counts(keys: tuple[str, ...]) -> Iterable[dict]:
    where = {key: F(APPOINTMENT_PLACE.get(key, f"registration__{key}")) for key in keys}
    return (
        Appointment.objects.values(day=F("session__date"), **where)
        .annotate(**APPOINTMENT_MEASURES)
        .order_by()
    )


def _insert_counts(model: type, keys: tuple[str, ...]) -> None:
    """Both counts, joined side by side per day and keys, written straight
    into the summary table: the database does the work and no row of a
    million-row table travels to Python. The two SELECTs are the ORM's own."""
    reg_sql, reg_params = _registration_counts(keys).query.sql_with_params()
    app_sql, app_params = _appointment_counts(keys).query.sql_with_params()
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


@transaction.atomic
def refresh() -> SummaryState:
    """Recounts everything from scratch: simple and always right, at the cost
    of a few seconds of database time per run (measured in benchmarks/).
    Readers keep seeing the previous counts until this commits."""
    started = time.monotonic()
    SummaryState.objects.get_or_create(id=1)
    state = SummaryState.objects.select_for_update().get(id=1)
    for model, keys in ((AreaDay, AREA_KEYS), (GroupDay, GROUP_KEYS)):
        model.objects.all().delete()
        _insert_counts(model, keys)
    state.computed_at = timezone.now()
    state.took_ms = round((time.monotonic() - started) * 1000)
    state.save()
    # The public page caches what it read from these tables.
    transaction.on_commit(stats.forget)
    return state
