"""Officials plan sessions in bulk, change capacity (never below bookings) and
cancel a session, whose people the engine re-allots."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from registrations.models import Registration
from slots.models import Appointment, Session
from slots.services import allot, record_vaccination

from .. import factories
from .conftest import rows_in

pytestmark = pytest.mark.django_db


def test_a_week_plan_creates_one_session_per_centre_and_weekday(
    client, raipur_official, raipur_village, bastar_village
):
    first = factories.make_centre(locality=raipur_village, name="PHC One")
    second = factories.make_centre(locality=raipur_village, name="PHC Two")
    client.force_login(raipur_official)
    response = _plan(client, [first, second], _next_monday())
    assert response.redirect_chain, response.context["form"].errors
    sessions = Session.objects.filter(centre__in=[first, second])
    assert sessions.count() == 6
    assert {s.date.weekday() for s in sessions} == {0, 2, 4}
    assert all(
        s.published and s.capacity == 100 and s.district_id == first.district_id for s in sessions
    )
    assert sessions.first().history.count() == 1


def test_a_week_plan_refuses_another_districts_centre(client, raipur_official, bastar_village):
    centre = factories.make_centre(locality=bastar_village)
    client.force_login(raipur_official)
    day = timezone.localdate() + datetime.timedelta(days=2)
    response = client.post(
        reverse("admin:slots_session_plan"),
        {
            "centres": [centre.pk],
            "first_day": day,
            "last_day": day,
            "weekdays": list(range(7)),
            "vaccine": "COVISHIELD",
            "dose": 1,
            "min_age": 18,
            "capacity": 10,
            "start_time": "09:00",
            "end_time": "17:00",
        },
    )
    assert "centres" in response.context["form"].errors
    assert not Session.objects.filter(centre=centre).exists()


def _plan(client, centres, day, **overrides):
    data = {
        "centres": [c.pk for c in centres],
        "first_day": day,
        "last_day": day + datetime.timedelta(days=6),
        "weekdays": [0, 2, 4],
        "vaccine": "COVISHIELD",
        "dose": 1,
        "min_age": 18,
        "capacity": 100,
        "start_time": "09:00",
        "end_time": "17:00",
        "publish": "on",
        **overrides,
    }
    return client.post(reverse("admin:slots_session_plan"), data, follow=True)


def _next_monday() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=7 - timezone.localdate().weekday())


def _active_sessions_sql() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM slots_session WHERE status = 'active'")
        return cursor.fetchone()[0]


def test_a_week_plan_sent_twice_creates_each_session_once(client, raipur_official, raipur_village):
    first = factories.make_centre(locality=raipur_village, name="PHC One")
    second = factories.make_centre(locality=raipur_village, name="PHC Two")
    client.force_login(raipur_official)
    monday = _next_monday()
    page = _plan(client, [first, second], monday).content.decode()
    assert "6 sessions created." in page
    page = _plan(client, [first, second], monday).content.decode()
    assert "0 sessions created; 6 already existed and were left as they were." in page
    assert _active_sessions_sql() == 6
    # A plan that overlaps the first one adds only the new days.
    page = _plan(client, [first, second], monday, weekdays=[0, 1]).content.decode()
    assert "2 sessions created; 2 already existed" in page
    assert _active_sessions_sql() == 8


def test_the_database_refuses_a_twin_session(raipur_village):
    centre = factories.make_centre(locality=raipur_village)
    session = factories.make_session(centre=centre, days_ahead=3)
    twin = {
        f.attname: getattr(session, f.attname)
        for f in Session._meta.concrete_fields
        if f.attname != "id"
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(**twin)
    # A cancelled session does not hold its slot: a new one may take it.
    Session.objects.filter(pk=session.pk).update(status="cancelled")
    Session.objects.create(**twin)


def test_capacity_and_vaccine_can_differ_per_centre(client, raipur_official, raipur_village):
    phc = factories.make_centre(locality=raipur_village, name="PHC")
    hospital = factories.make_centre(locality=raipur_village, name="District Hospital")
    client.force_login(raipur_official)
    response = _plan(
        client,
        [phc, hospital],
        _next_monday(),
        weekdays=[0],
        **{f"capacity_{hospital.pk}": 400, f"vaccine_{hospital.pk}": "COVAXIN"},
    )
    assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT centre_id, capacity, vaccine FROM slots_session WHERE centre_id IN (%s, %s)",
            [phc.pk, hospital.pk],
        )
        rows = set(cursor.fetchall())
    assert rows == {(phc.pk, 100, "COVISHIELD"), (hospital.pk, 400, "COVAXIN")}


def test_the_plan_page_lists_each_centre_with_its_own_capacity_and_vaccine(
    client, raipur_official, raipur_village
):
    centre = factories.make_centre(locality=raipur_village, name="PHC Kharora")
    client.force_login(raipur_official)
    page = client.get(reverse("admin:slots_session_plan")).content.decode()
    assert f'name="capacity_{centre.pk}"' in page and f'name="vaccine_{centre.pk}"' in page
    assert f'<label for="id_capacity_{centre.pk}"' not in page or "visually-hidden" in page
    assert "PHC Kharora" in page


def test_capacity_cannot_go_below_what_is_booked(client, raipur_official, raipur_village):
    rows = rows_in(raipur_village)
    client.force_login(raipur_official)
    url = reverse("admin:slots_session_capacity", args=[rows.session.pk])
    response = client.post(url, {"capacity": 0})
    assert "already booked" in response.content.decode()
    rows.session.refresh_from_db()
    assert rows.session.capacity == 10
    assert client.post(url, {"capacity": 4}).status_code == 302
    rows.session.refresh_from_db()
    assert rows.session.capacity == 4


def test_moving_people_never_takes_capacity_below_those_already_vaccinated(
    client, raipur_official, raipur_village
):
    session = factories.make_session(
        centre=factories.make_centre(locality=raipur_village), days_ahead=0, capacity=4
    )
    people = [factories.make_registration(locality=raipur_village) for _ in range(4)]
    appointments = [allot(registration=p, session=session, by=raipur_official) for p in people]
    for appointment in appointments[:3]:
        record_vaccination(appointment=appointment, by=raipur_official, batch_number="B1")
    client.force_login(raipur_official)
    url = reverse("admin:slots_session_capacity", args=[session.pk])

    response = client.post(url, {"capacity": 1, "move_people": "on", "reason": "Less vaccine"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "3 people of this session have already been vaccinated" in page
    session.refresh_from_db()
    assert (session.capacity, session.booked) == (4, 4)
    # Down to the vaccinated is fine: the one still booked is moved.
    assert (
        client.post(url, {"capacity": 3, "move_people": "on", "reason": "Less vaccine"}).status_code
        == 302
    )
    session.refresh_from_db()
    assert (session.capacity, session.booked) == (3, 3)


def test_cancelling_a_session_re_allots_its_people(client, raipur_official, raipur_village):
    centre = factories.make_centre(locality=raipur_village)
    doomed = factories.make_session(centre=centre, days_ahead=3, capacity=5)
    spare = factories.make_session(centre=centre, days_ahead=4, capacity=5)
    person = factories.make_registration(locality=raipur_village)
    from slots.services import allot

    allot(registration=person, session=doomed, by=raipur_official)
    client.force_login(raipur_official)
    response = client.post(
        reverse("admin:slots_session_cancel", args=[doomed.pk]), {"reason": "No vaccine supply"}
    )
    assert response.status_code == 302
    doomed.refresh_from_db()
    assert doomed.status == Session.Status.CANCELLED and doomed.booked == 0
    moved = Appointment.objects.get(registration=person, status=Appointment.Status.BOOKED)
    assert moved.session == spare
    assert Registration.objects.get(pk=person.pk).status == Registration.Status.ALLOTTED


def test_the_day_list_shows_booked_people_masked_and_as_xlsx_without_their_codes(
    client, raipur_official, raipur_village
):
    import io

    import openpyxl

    rows = rows_in(raipur_village)
    client.force_login(raipur_official)
    url = reverse("admin:slots_session_day_list", args=[rows.session.pk])
    html = client.get(url).content.decode()
    person, code_cell = rows.registration, f"<td>{rows.appointment.code}</td>"
    assert person.display_reference in html and person.name in html
    assert code_cell not in html
    assert f"••••{person.id_last4}" in html
    assert code_cell in client.get(url, {"codes": "1"}).content.decode()

    def xlsx_values(**params) -> list:
        xlsx = reverse("admin:slots_session_day_list_xlsx", args=[rows.session.pk])
        sheet = openpyxl.load_workbook(io.BytesIO(client.get(xlsx, params).content)).active
        return [c.value for row in sheet.iter_rows() for c in row]

    assert person.display_reference in xlsx_values()
    assert rows.appointment.code not in xlsx_values()
    assert rows.appointment.code in xlsx_values(codes="1")


def test_run_allocation_now_allots_the_waiting(client, raipur_official, raipur_village):
    centre = factories.make_centre(locality=raipur_village)
    session = factories.make_session(centre=centre, days_ahead=3, capacity=5)
    person = factories.make_registration(locality=raipur_village)
    client.force_login(raipur_official)
    response = client.post(
        reverse("admin:slots_session_allocate"), {"district": centre.district_id}
    )
    assert response.status_code == 302
    assert Appointment.objects.filter(registration=person, session=session).exists()
