"""After the first refresh, a refresh recounts only the days of the districts
that changed; what it writes must be what a full recount gives, counted here
in plain SQL, whichever way the rows changed (ORM, raw SQL, moved sessions)."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from dashboard import summaries
from dashboard.models import AreaDay, GroupDay
from registrations.models import PriorityGroup, Registration
from slots.models import Appointment, Session
from tests import factories

pytestmark = pytest.mark.django_db

# The oracle: every measure by plain SQL from the live rows, per day and
# keys, as the dashboard defines them (registrations by home place and
# registration day in India; appointments by the session's day and place).
REGISTRATIONS_SQL = """
    SELECT (r.registered_at AT TIME ZONE 'Asia/Kolkata')::date AS day, {keys},
        count(*) FILTER (WHERE status <> 'duplicate') AS registered,
        count(*) FILTER (WHERE status = 'waiting') AS waiting,
        count(*) FILTER (WHERE status = 'allotted') AS allotted
    FROM registrations_registration r GROUP BY 1, {keys}"""
APPOINTMENTS_SQL = """
    SELECT s.date AS day, {keys},
        count(*) FILTER (WHERE a.status = 'attended' AND a.dose = 1) AS dose1,
        count(*) FILTER (WHERE a.status = 'attended' AND a.dose = 2) AS dose2,
        count(*) FILTER (WHERE a.status = 'no_show') AS no_show,
        count(*) FILTER (WHERE a.status = 'cancelled') AS cancelled,
        count(*) FILTER (WHERE a.status <> 'cancelled') AS appointments
    FROM slots_appointment a JOIN slots_session s ON s.id = a.session_id
    JOIN slots_centre c ON c.id = s.centre_id
    JOIN registrations_registration r ON r.id = a.registration_id
    GROUP BY 1, {keys}"""
MEASURES = ("registered", "waiting", "allotted", "dose1", "dose2", "no_show", "cancelled")
AREA = ("r.district_id", "r.area_id"), ("s.district_id", "c.area_id")
GROUP = ("r.district_id", "r.priority", "r.gender"), ("s.district_id", "r.priority", "r.gender")


def _oracle(keys: tuple[tuple[str, ...], tuple[str, ...]]) -> dict[tuple, dict]:
    counts: dict[tuple, dict] = {}
    with connection.cursor() as cursor:
        for sql, columns in ((REGISTRATIONS_SQL, keys[0]), (APPOINTMENTS_SQL, keys[1])):
            cursor.execute(sql.format(keys=", ".join(columns)))
            names = [c.name for c in cursor.description]
            for row in cursor.fetchall():
                width = len(columns) + 1
                key = tuple(row[:width])
                measures = dict(zip(names[width:], row[width:], strict=True))
                counts.setdefault(key, {}).update(measures)
    nothing = dict.fromkeys([*MEASURES, "appointments"], 0)
    return {
        key: {**nothing, **found}
        for key, found in counts.items()
        if any({**nothing, **found}.values())
    }


def _summary(model, keys: tuple[str, ...]) -> dict[tuple, dict]:
    rows = model.objects.values("day", *keys, *MEASURES, "appointments")
    return {
        tuple(row[k] for k in ("day", *keys)): {m: row[m] for m in [*MEASURES, "appointments"]}
        for row in rows
        if any(row[m] for m in [*MEASURES, "appointments"])
    }


def _assert_summaries_match_the_live_rows() -> None:
    assert _summary(AreaDay, ("district_id", "area_id")) == _oracle(AREA)
    assert _summary(GroupDay, ("district_id", "priority", "gender")) == _oracle(GROUP)


def _session(locality, day: datetime.date) -> Session:
    return factories.make_session(centre=factories.make_centre(locality=locality), date=day)


def test_an_incremental_refresh_counts_what_a_full_recount_counts(
    raipur_village, bastar_village, raipur_town
):
    today = timezone.localdate()
    person = factories.make_registration
    old = timezone.now() - datetime.timedelta(days=30)
    waiting = [person(locality=raipur_village, registered_at=old) for _ in range(3)]
    bastar = person(locality=bastar_village)
    past = _session(raipur_village, today - datetime.timedelta(days=2))
    ahead = _session(raipur_village, today + datetime.timedelta(days=3))
    given = Appointment.objects.create(registration=waiting[0], session=past, dose=1)
    summaries.refresh()
    _assert_summaries_match_the_live_rows()

    # New people, a status changed by the ORM and one in raw SQL (as the
    # allocator writes), a dose given, an appointment cancelled, a priority
    # group changed, a session moved to another day.
    person(locality=factories.first_locality(raipur_town))
    Registration.objects.filter(pk=waiting[1].pk).update(status=Registration.Status.ALLOTTED)
    booked = Appointment.objects.create(registration=waiting[1], session=ahead, dose=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registrations_registration SET status = 'paused' WHERE id = %s",
            [waiting[2].pk],
        )
    Appointment.objects.filter(pk=given.pk).update(status=Appointment.Status.ATTENDED)
    Appointment.objects.filter(pk=booked.pk).update(status=Appointment.Status.CANCELLED)
    Registration.objects.filter(pk=waiting[0].pk).update(priority=PriorityGroup.HEALTH_WORKER)
    Session.objects.filter(pk=past.pk).update(date=today - datetime.timedelta(days=9))
    Registration.objects.filter(pk=bastar.pk).update(status=Registration.Status.WITHDRAWN)
    summaries.refresh()
    _assert_summaries_match_the_live_rows()


def test_a_refresh_leaves_the_rows_of_unchanged_districts_alone(raipur_village, bastar_village):
    factories.make_registration(locality=raipur_village)
    factories.make_registration(locality=bastar_village)
    summaries.refresh()
    bastar_rows = set(
        AreaDay.objects.filter(district_id=bastar_village.area.district_id).values_list("pk")
    )
    raipur_rows = set(
        AreaDay.objects.filter(district_id=raipur_village.area.district_id).values_list("pk")
    )

    factories.make_registration(locality=raipur_village)
    summaries.refresh()

    assert bastar_rows == set(
        AreaDay.objects.filter(district_id=bastar_village.area.district_id).values_list("pk")
    )
    assert raipur_rows.isdisjoint(
        AreaDay.objects.filter(district_id=raipur_village.area.district_id).values_list("pk")
    )
    _assert_summaries_match_the_live_rows()


def test_a_refresh_with_nothing_changed_keeps_every_row(raipur_village):
    factories.make_registration(locality=raipur_village)
    summaries.refresh()
    before = set(AreaDay.objects.values_list("pk", "registered"))

    summaries.refresh()

    assert set(AreaDay.objects.values_list("pk", "registered")) == before
