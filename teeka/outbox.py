"""Writing and sending SMS through the outbox (teeka.models.OutboundSms).

Write with queue_sms() inside the transaction that makes the change the message
reports; the periodic task teeka.tasks.send_pending_sms sends what is due.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundSms
from .sms import send_sms

logger = logging.getLogger(__name__)


def render_sms(kind: str, context: dict, language: str) -> str:
    """Renders templates/sms/<kind>.txt in the reader's language."""
    with translation.override(language):
        return render_to_string(f"sms/{kind}.txt", context).strip()


def next_sending_time(now: datetime.datetime) -> datetime.datetime:
    """Now, unless it is night in India: then 07:00 the next morning."""
    local = timezone.localtime(now)
    start, end = settings.SMS_QUIET_START_HOUR, settings.SMS_QUIET_END_HOUR
    if end <= local.hour < start:
        return now
    morning = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if local.hour >= start:
        morning += datetime.timedelta(days=1)
    return morning


def queue_sms(
    *, to: str, kind: str, context: dict, language: str, dedupe_key: str | None = None
) -> OutboundSms | None:
    """Adds a message to the outbox; with a dedupe_key, a second call is a no-op
    and returns None."""
    text = render_sms(kind, context, language)
    return queue_text(to=to, kind=kind, text=text, dedupe_key=dedupe_key)


def queue_text(
    *, to: str, kind: str, text: str, dedupe_key: str | None = None
) -> OutboundSms | None:
    """queue_sms() for a message already rendered (slots.notices fills its
    templates itself, the same way for one person and for a batch)."""
    message = OutboundSms(
        to=to,
        kind=kind,
        text=text,
        dedupe_key=dedupe_key,
        send_after=next_sending_time(timezone.now()),
    )
    if dedupe_key is None:
        message.save()
        return message
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None
    return message


# A message that keeps failing is tried this often, waiting longer each time
# (1, 2, 4 ... 60 minutes), then left as failed for an official to see.
MAX_ATTEMPTS = 10


def _retry_delay(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=min(2 ** (attempts - 1), 60))


def send_due(*, now: datetime.datetime, limit: int = 1000) -> int:
    """Sends up to `limit` pending messages that are due, one transaction each,
    and returns how many went out. Sends nothing at night. Several senders may
    run at once: each claims its row with SKIP LOCKED. A crash between the
    gateway's answer and the commit sends that one message again: an SMS twice
    is better than none."""
    if next_sending_time(now) != now:
        return 0
    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            message = (
                OutboundSms.objects.select_for_update(skip_locked=True)
                .filter(status=OutboundSms.Status.PENDING, send_after__lte=now)
                .order_by("send_after", "pk")
                .first()
            )
            if message is None:
                break
            sent += _attempt(message, now)
    return sent


def _attempt(message: OutboundSms, now: datetime.datetime) -> int:
    message.attempts += 1
    try:
        send_sms(to=message.to, text=message.text)
    except Exception as error:  # any gateway failure: keep the message, try later
        logger.warning("SMS %s failed (attempt %s): %s", message.pk, message.attempts, error)
        message.last_error = str(error)[:200]
        message.send_after = next_sending_time(now + _retry_delay(message.attempts))
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboundSms.Status.FAILED
        message.save(update_fields=["attempts", "last_error", "send_after", "status"])
        return 0
    message.status = OutboundSms.Status.SENT
    message.sent_at = now
    message.save(update_fields=["attempts", "status", "sent_at"])
    return 1
