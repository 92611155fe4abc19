"""Celery adapters for the SMS outbox (teeka.outbox says how sending works)."""

from celery import shared_task
from django.conf import settings

from . import outbox

# Beat starts a sender every minute; it sends for this long, looking for new
# messages every second, so one sender is nearly always watching the outbox.
SENDER_SECONDS = 50


@shared_task(soft_time_limit=SENDER_SECONDS + 60, time_limit=SENDER_SECONDS + 90)
def send_pending_sms() -> int:
    # Without a broker (the embedded default's run_periodic) one process runs
    # every periodic task in turn: send what is due and let the others run.
    poll = None if settings.CELERY_TASK_ALWAYS_EAGER else 1.0
    return outbox.send_for(seconds=SENDER_SECONDS, poll=poll)


@shared_task(soft_time_limit=SENDER_SECONDS + 60, time_limit=SENDER_SECONDS + 90)
def help_send_sms() -> int:
    """A helper for a crowd of messages (an allocation run's notices): sends
    until nothing is due or its time is up, beside the other senders."""
    return outbox.send_for(seconds=SENDER_SECONDS, poll=None)


def request_senders() -> None:
    """Asks for SMS_SENDERS helpers; best effort: if the broker is away the
    beat's sender still gets through the queue."""
    for _ in range(settings.SMS_SENDERS):
        help_send_sms.apply_async(expires=SENDER_SECONDS)
