"""Writing and sending SMS through the outbox (teeka.models.OutboundSms).

Write with queue_sms() inside the transaction that makes the change the message
reports; the periodic task teeka.tasks.send_pending_sms sends what is due.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundSms


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
    message = OutboundSms(
        to=to,
        kind=kind,
        text=render_sms(kind, context, language),
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
