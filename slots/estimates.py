"""When a waiting person's slot is likely, from the sessions published in
their block or town: the status page's estimate beside their place in the
queue (registrations.services.queue_place). Here, in slots, because it reads
sessions; the page that shows both sits above the two apps' services."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from registrations.models import Registration

from .allocation import notice_cutoff
from .models import Session, SkippedSession


@dataclass
class Estimate:
    """When a slot is likely: `days` when the published seats reach the person,
    else how many free seats are published (0: none at all)."""

    days: int | None
    seats_published: int


def _open_seats_by_day(
    registration: Registration, now: datetime.datetime
) -> list[tuple[datetime.date, int]]:
    """Free seats per day in the person's block or town that the allocator
    could give them: far enough ahead for the notice rule (to the minute, as
    the allocator counts it), their age, dose and vaccine, and their wishes."""
    cutoff = notice_cutoff(now)
    age = registration.age_on(timezone.localdate(now))
    sessions = Session.objects.filter(
        Q(date__gt=cutoff.date()) | Q(date=cutoff.date(), start_time__gte=cutoff.time()),
        # Implied by the line above, but an index on (centre, date) can start
        # from it instead of reading every session the centre ever had.
        date__gte=cutoff.date(),
        centre__area_id=registration.area_id,
        centre__active=True,
        published=True,
        status=Session.Status.ACTIVE,
        dose=registration.next_dose(),
        min_age__lte=age,
    ).filter(Q(max_age__isnull=True) | Q(max_age__gte=age))
    if registration.doses_received == 1:
        interval = settings.TEEKA_DOSE_INTERVAL_DAYS.get(registration.last_vaccine, 0)
        sessions = sessions.filter(
            vaccine=registration.last_vaccine,
            date__gte=registration.last_dose_date + datetime.timedelta(days=interval),
        )
    if registration.not_before:
        sessions = sessions.filter(date__gte=registration.not_before)
    skipped = SkippedSession.objects.filter(registration=registration).values("session_id")
    rows = (
        sessions.exclude(pk__in=skipped)
        .values("date")
        .annotate(free=Sum("capacity") - Sum("booked"))
    )
    return sorted((row["date"], row["free"]) for row in rows)


def estimate_slot(
    *, registration: Registration, place_in_area: int, now: datetime.datetime | None = None
) -> Estimate:
    """From the seats published in the person's block or town: the first day
    on which the free seats reach their place in the queue."""
    now = now or timezone.now()
    total = 0
    for day, free in _open_seats_by_day(registration, now):
        total += free
        if total >= place_in_area:
            return Estimate(days=(day - timezone.localdate(now)).days, seats_published=total)
    return Estimate(days=None, seats_published=total)
