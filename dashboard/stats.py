"""The public statistics: totals only, small cells suppressed, and cached so
that a crowd of visitors costs the database nothing after the first."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone
from redis import exceptions as redis_errors

from districts.models import District

from .models import AreaDay, SummaryState

logger = logging.getLogger(__name__)
# What django-redis lets through when Redis does not answer.
REDIS_DOWN = (redis_errors.ConnectionError, redis_errors.TimeoutError)

CACHE_KEY = "dashboard:public-stats:v1"
# Safety net only: every refresh of the summaries drops the cached copy.
CACHE_SECONDS = 3600
STATE_MEASURES = ("registered", "appointments", "dose1", "dose2")
DISTRICT_MEASURES = ("registered", "appointments", "doses")


def suppress(values: dict[int, int], threshold: int) -> dict[int, int | None]:
    """None for every count under threshold. If exactly one cell of a column
    would go, the next smallest goes too, or the published total would give
    it away by subtraction."""
    hidden = {k for k, v in values.items() if v < threshold}
    if len(hidden) == 1:
        shown = sorted((v, k) for k, v in values.items() if k not in hidden)
        hidden |= {k for _v, k in shown[:1]}
    return {k: (None if k in hidden else v) for k, v in values.items()}


def _state(totals: dict[str, int], threshold: int) -> dict[str, int | None]:
    return {m: (totals[m] if totals[m] >= threshold else None) for m in STATE_MEASURES}


def _districts(threshold: int) -> list[dict]:
    sums = {m: Sum(m, default=0) for m in ("registered", "appointments", "dose1", "dose2")}
    counts = AreaDay.objects.values("district_id").annotate(**sums).order_by()
    found = {row.pop("district_id"): row for row in counts}
    rows = {
        d.pk: {"name_en": d.name_en.title(), "name_hi": d.name_hi} for d in District.objects.all()
    }
    for measure in DISTRICT_MEASURES:
        raw = {pk: _district_value(found.get(pk, {}), measure) for pk in rows}
        for pk, value in suppress(raw, threshold).items():
            rows[pk][measure] = value
    for row in rows.values():
        row["cells"] = [row[m] for m in DISTRICT_MEASURES]
    return sorted(rows.values(), key=lambda r: r["name_en"])


def _district_value(counts: dict, measure: str) -> int:
    if measure == "doses":
        return counts.get("dose1", 0) + counts.get("dose2", 0)
    return counts.get(measure, 0)


def compute() -> dict:
    threshold = settings.TEEKA_STATS_MIN_CELL
    state = SummaryState.objects.filter(id=1).first()
    totals = AreaDay.objects.aggregate(**{m: Sum(m, default=0) for m in STATE_MEASURES})
    return {
        "computed_at": state.computed_at if state else None,
        "threshold": threshold,
        "state": _state(totals, threshold),
        "districts": _districts(threshold),
        "cached_at": timezone.now(),
    }


def public_stats() -> dict:
    """Plain data (no model instances), so the cache can hold it."""
    try:
        return cache.get_or_set(CACHE_KEY, compute, CACHE_SECONDS)
    except REDIS_DOWN:
        # Redis is down: the page still answers, from the summary tables.
        logger.warning("public statistics computed without the cache", exc_info=True)
        return compute()


def forget() -> None:
    try:
        cache.delete(CACHE_KEY)
    except REDIS_DOWN:
        # Nothing can be read from a cache that is down; a restarted Redis
        # comes back empty, or at worst serves this copy until CACHE_SECONDS.
        logger.warning("could not drop the cached public statistics", exc_info=True)
