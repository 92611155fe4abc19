"""Celery adapters: ids in, a service call, nothing clever.

Beat runs allocate_all_districts (every few minutes), catch_up_allocations
(every minute) and mark_no_shows (nightly); officials' changes ask for one
district with request_allocation().
"""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from districts.models import District
from teeka.tasks import request_senders

from . import reminders, services
from .allocation import allocate_district
from .models import AllocationRequest

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, acks_late=True)
def allocate_district_task(self, district_id: int, retry_if_busy: bool = False) -> dict:
    """One district's run. If another run holds the district, this one skips:
    that run is already doing the work; an official's change, though, retries
    shortly so it is not left for the next beat. A run that seated people
    calls in more SMS senders for their notices."""
    summary = allocate_district(district_id=district_id)
    if summary.skipped and retry_if_busy and not self.request.is_eager:
        raise self.retry(countdown=30)
    if summary.allotted and not self.request.is_eager:
        _ask(request_senders)
    return summary.as_dict()


@shared_task
def allocate_all_districts() -> int:
    """One task per district, so as many workers as there are share the state."""
    ids = list(District.objects.values_list("pk", flat=True))
    for district_id in ids:
        allocate_district_task.delay(district_id)
    return len(ids)


@shared_task
def catch_up_allocations() -> int:
    """Runs the districts whose request could not reach the broker (or whose
    run has not happened yet): a run clears its district's request."""
    ids = list(AllocationRequest.objects.values_list("district_id", flat=True))
    for district_id in ids:
        allocate_district_task.delay(district_id)
    return len(ids)


@shared_task
def mark_no_shows() -> int:
    return services.mark_no_shows()


@shared_task
def send_reminders() -> int:
    return reminders.send_reminders()


def request_allocation(district_id: int) -> None:
    """Asks for a run of one district once the current transaction commits.
    The request is written down first, so if the broker is away the change
    still saves and the run is caught up when it returns."""

    def ask() -> None:
        AllocationRequest.objects.bulk_create(
            [AllocationRequest(district_id=district_id, requested_at=timezone.now())],
            update_conflicts=True,
            unique_fields=["district"],
            update_fields=["requested_at"],
        )
        _ask(lambda: allocate_district_task.delay(district_id, retry_if_busy=True))

    transaction.on_commit(ask, robust=True)


def _ask(publish) -> None:
    """Publishes to the broker, or logs why not: nothing a person waits on."""
    try:
        publish()
    except Exception:
        logger.warning("broker unreachable; the work is caught up later", exc_info=True)
