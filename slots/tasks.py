"""Celery adapters: ids in, a service call, nothing clever.

Beat runs allocate_all_districts (every few minutes) and mark_no_shows
(nightly); officials' changes enqueue one district with request_allocation().
"""

from celery import shared_task
from django.db import transaction

from districts.models import District

from . import reminders, services
from .allocation import allocate_district


@shared_task(bind=True, max_retries=3, acks_late=True)
def allocate_district_task(self, district_id: int, retry_if_busy: bool = False) -> dict:
    """One district's run. If another run holds the district, this one skips:
    that run is already doing the work; an official's change, though, retries
    shortly so it is not left for the next beat."""
    summary = allocate_district(district_id=district_id)
    if summary.skipped and retry_if_busy and not self.request.is_eager:
        raise self.retry(countdown=30)
    return summary.as_dict()


@shared_task
def allocate_all_districts() -> int:
    """One task per district, so as many workers as there are share the state."""
    ids = list(District.objects.values_list("pk", flat=True))
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
    """Asks for a run of one district once the current transaction commits."""
    transaction.on_commit(
        lambda: allocate_district_task.delay(district_id, retry_if_busy=True), robust=True
    )
