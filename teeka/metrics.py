"""Prometheus metrics for operators, at /metrics (docs/operations.md lists the
alerts built on them).

django-prometheus counts requests, responses and their latency in every web
process (with PROMETHEUS_MULTIPROC_DIR set, gunicorn's workers share them
through files there). Teeka's own figures are read when Prometheus scrapes,
from the broker and the database, so they are the same whichever process
answers: Celery queue lengths, the SMS outbox's backlog and the age of its
oldest due message, allocation runs, and people waiting per district (from the
dashboard's summary tables, a few minutes old, rather than counting a million
registrations every scrape).

Only operators reach it: a request must carry `Authorization: Bearer
<TEEKA_METRICS_TOKEN>`; with no token set the endpoint does not exist. nginx
also keeps /metrics to the operators' network (deploy/nginx/teeka.conf).
"""

import hmac
import logging
import os
from collections.abc import Iterator
from datetime import timedelta

import prometheus_client
from celery import current_app
from django.conf import settings
from django.db.models import Max, Min, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from dashboard.models import AreaDay, SummaryState
from districts.models import District
from slots.models import AllocationRun

from .models import OutboundSms

logger = logging.getLogger(__name__)

# Runs older than this are history, not news (and the query stays small).
RUN_WINDOW = timedelta(days=1)


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def queue_metrics() -> Iterator[Metric]:
    up = _gauge("teeka_broker_up", "1 when the Celery broker answered this scrape.")
    lengths = _gauge("teeka_celery_queue_length", "Tasks waiting in a queue.", ["queue"])
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # the embedded default runs tasks in-process: there is no queue
    try:
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.default_channel
            for queue in _queue_names():
                # Not passive: Redis keeps no empty list, so a passive declare
                # of an empty queue answers NOT_FOUND; on Redis an active one
                # creates nothing and returns the length.
                declared = channel.queue_declare(queue=queue)
                lengths.add_metric([queue], declared.message_count)
        up.add_metric([], 1)
    except Exception as error:  # any broker failure is the answer "down"
        logger.warning("metrics: broker did not answer: %s", error)
        up.add_metric([], 0)
        yield up
        return
    yield up
    yield lengths


def _queue_names() -> list[str]:
    declared = {queue.name for queue in current_app.conf.task_queues or ()}
    return sorted({current_app.conf.task_default_queue} | declared)


def sms_metrics() -> Iterator[Metric]:
    now = timezone.now()
    pending = OutboundSms.objects.filter(status=OutboundSms.Status.PENDING)
    backlog = _gauge("teeka_sms_outbox_pending", "SMS not yet sent (due or waiting).")
    backlog.add_metric([], pending.count())
    oldest = pending.filter(send_after__lte=now).aggregate(due=Min("send_after"))["due"]
    age = _gauge(
        "teeka_sms_outbox_oldest_due_age_seconds",
        "How long the oldest SMS that is due to be sent has waited (0 when none).",
    )
    age.add_metric([], (now - oldest).total_seconds() if oldest else 0)
    expired = _gauge(
        "teeka_sms_outbox_expired", "SMS that expired without being delivered (never given up)."
    )
    expired.add_metric([], OutboundSms.objects.filter(status=OutboundSms.Status.EXPIRED).count())
    yield from (backlog, age, expired)


def allocation_metrics(districts: dict[int, str]) -> Iterator[Metric]:
    """Per district: how long its last finished run took and how long ago it
    finished, and how long a run now going has been going (a killed worker's
    run stops counting once the next run starts)."""
    now = timezone.now()
    done = Q(finished_at__isnull=False)
    last = (
        AllocationRun.objects.filter(started_at__gte=now - RUN_WINDOW)
        .values("district")
        .annotate(last=Max("id"), last_done=Max("id", filter=done))
        .order_by()
    )
    runs = AllocationRun.objects.in_bulk(
        [r[k] for r in last for k in ("last", "last_done") if r[k]]
    )
    took = _gauge(
        "teeka_allocation_last_run_seconds", "How long the last finished run took.", ["district"]
    )
    since = _gauge(
        "teeka_allocation_last_run_age_seconds",
        "Time since the last run finished.",
        ["district"],
    )
    going = _gauge(
        "teeka_allocation_running_seconds", "How long the run now going has run.", ["district"]
    )
    for row in last:
        label = [districts.get(row["district"], str(row["district"]))]
        if finished := runs.get(row["last_done"]):
            took.add_metric(label, (finished.finished_at - finished.started_at).total_seconds())
            since.add_metric(label, (now - finished.finished_at).total_seconds())
        if (current := runs[row["last"]]).finished_at is None:
            going.add_metric(label, (now - current.started_at).total_seconds())
    yield from (took, since, going)


def waiting_metrics(districts: dict[int, str]) -> Iterator[Metric]:
    waiting = _gauge(
        "teeka_waiting_people",
        "People waiting for a slot, by district, as of the last summary refresh.",
        ["district"],
    )
    totals = AreaDay.objects.values("district").annotate(n=Sum("waiting")).order_by()
    for row in totals:
        waiting.add_metric([districts.get(row["district"], str(row["district"]))], row["n"])
    state = SummaryState.objects.filter(id=1).first()
    age = _gauge("teeka_summary_age_seconds", "Time since the summary tables were rebuilt.")
    if state and state.computed_at:
        age.add_metric([], (timezone.now() - state.computed_at).total_seconds())
    yield from (waiting, age)


class TeekaCollector:
    """Teeka's own metrics, read at scrape time (see the module's doc)."""

    def collect(self) -> Iterator[Metric]:
        districts = {d.pk: d.name_en.title() for d in District.objects.only("name_en")}
        yield from queue_metrics()
        yield from sms_metrics()
        yield from allocation_metrics(districts)
        yield from waiting_metrics(districts)


_TEEKA_REGISTRY = CollectorRegistry(auto_describe=False)
_TEEKA_REGISTRY.register(TeekaCollector())


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def _is_operator(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.TEEKA_METRICS_TOKEN:
        raise Http404
    if not _is_operator(request, settings.TEEKA_METRICS_TOKEN):
        return HttpResponse("operators only\n", status=403, content_type="text/plain")
    body = prometheus_client.generate_latest(_process_registry())
    body += prometheus_client.generate_latest(_TEEKA_REGISTRY)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
