"""When a waiting person's slot is likely, from the sessions published in
their block or town: the status page's estimate beside their place in the
queue (registrations.services.queue_place). Here, in slots, because it reads
sessions; the page that shows both sits above the two apps' services."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from registrations.models import Registration

from .allocation import notice_cutoff
from .models import Session


@dataclass
class Estimate:
    """When a slot is likely: `days` when the published seats reach the person,
    else how many free seats are published (0: none at all)."""

    days: int | None
    seats_published: int


# The sessions the allocator could give a person, summed by day: the same
# statement for every status page, so written out once rather than built by
# the ORM on each (building it cost more CPU than the rest of the page's
# queries together). Every value is a parameter; only the fixed conditions
# below are added.
_OPEN_SEATS = (
    "SELECT s.date, sum(s.capacity) - sum(s.booked)"
    " FROM slots_session s JOIN slots_centre c ON c.id = s.centre_id"
    " WHERE (s.date > %s OR (s.date = %s AND s.start_time >= %s))"
    # Implied by the line above, but an index on (centre, date) can start
    # from it instead of reading every session the centre ever had.
    " AND s.date >= %s"
    " AND c.area_id = %s AND c.active AND s.published AND s.status = %s"
    " AND s.dose = %s AND s.min_age <= %s AND (s.max_age IS NULL OR s.max_age >= %s)"
    " AND s.id NOT IN (SELECT session_id FROM slots_skippedsession WHERE registration_id = %s)"
)
_SECOND_DOSE = " AND s.vaccine = %s AND s.date >= %s"
_NOT_BEFORE = " AND s.date >= %s"


def _open_seats_by_day(
    registration: Registration, now: datetime.datetime
) -> list[tuple[datetime.date, int]]:
    """Free seats per day in the person's block or town that the allocator
    could give them: far enough ahead for the notice rule (to the minute, as
    the allocator counts it), their age, dose and vaccine, and their wishes."""
    cutoff = notice_cutoff(now)
    age = registration.age_on(timezone.localdate(now))
    sql = _OPEN_SEATS
    start = connection.ops.adapt_timefield_value(cutoff.time())
    params: list = [cutoff.date(), cutoff.date(), start, cutoff.date()]
    params += [registration.area_id, Session.Status.ACTIVE.value, registration.next_dose()]
    params += [age, age, registration.pk]
    if registration.doses_received == 1:
        interval = settings.TEEKA_DOSE_INTERVAL_DAYS.get(registration.last_vaccine, 0)
        sql += _SECOND_DOSE
        params += [
            registration.last_vaccine,
            registration.last_dose_date + datetime.timedelta(days=interval),
        ]
    if registration.not_before:
        sql += _NOT_BEFORE
        params.append(registration.not_before)
    with connection.cursor() as cursor:
        cursor.execute(sql + " GROUP BY s.date", params)
        rows = cursor.fetchall()
    # SQLite (the embedded default) answers dates as text.
    return sorted((_date(day), free) for day, free in rows)


def _date(value: datetime.date | str) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


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
