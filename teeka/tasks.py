from celery import shared_task
from django.utils import timezone

from .outbox import send_due


@shared_task
def send_pending_sms() -> int:
    """Beat runs this every minute; see teeka.outbox.send_due."""
    return send_due(now=timezone.now())
