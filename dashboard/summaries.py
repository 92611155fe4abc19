"""Rebuilding the summary tables from the live rows."""

import time
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
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
    "appointments": Count("pk"),
}
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
    person = {key: F(f"registration__{key}") for key in keys}
    return (
        Appointment.objects.values(day=F("session__date"), **person)
        .annotate(**APPOINTMENT_MEASURES)
        .order_by()
    )


def _merged(keys: tuple[str, ...]) -> dict[tuple, dict[str, int]]:
    """Registration and appointment counts side by side, per day and keys."""
    cells: dict[tuple, dict[str, int]] = defaultdict(dict)
    for source in (_registration_counts(keys), _appointment_counts(keys)):
        for row in source:
            key = (row.pop("day"), *(row.pop(k) for k in keys))
            cells[key].update(row)
    return cells


def _rows(model: type, keys: tuple[str, ...]) -> list:
    return [
        model(day=day, **dict(zip(keys, rest, strict=True)), **counts)
        for (day, *rest), counts in _merged(keys).items()
    ]


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
        model.objects.bulk_create(_rows(model, keys), batch_size=5000)
    state.computed_at = timezone.now()
    state.took_ms = round((time.monotonic() - started) * 1000)
    state.save()
    # The public page caches what it read from these tables.
    transaction.on_commit(stats.forget)
    return state
