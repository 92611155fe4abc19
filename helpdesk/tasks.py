from celery import shared_task

from . import services


@shared_task
def escalate_overdue() -> int:
    """Periodic: passes tickets not answered or closed in time to the state team."""
    return services.escalate_overdue()
