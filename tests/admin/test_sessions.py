"""Officials plan sessions in bulk, change capacity (never below bookings) and
cancel a session, whose people the engine re-allots."""

import datetime

import pytest
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
    monday = timezone.localdate() + datetime.timedelta(days=7 - timezone.localdate().weekday())
    response = client.post(
        reverse("admin:slots_session_plan"),
        {
            "centres": [first.pk, second.pk],
            "first_day": monday,
            "last_day": monday + datetime.timedelta(days=6),
            "weekdays": [0, 2, 4],
            "vaccine": "COVISHIELD",
            "dose": 1,
            "min_age": 18,
            "capacity": 100,
            "start_time": "09:00",
            "end_time": "17:00",
            "publish": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
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


def test_the_day_list_shows_booked_people_masked_and_as_xlsx(
    client, raipur_official, raipur_village
):
    import io

    import openpyxl

    rows = rows_in(raipur_village)
    client.force_login(raipur_official)
    html = client.get(
        reverse("admin:slots_session_day_list", args=[rows.session.pk])
    ).content.decode()
    person = rows.registration
    assert (
        person.display_reference in html and person.name in html and rows.appointment.code in html
    )
    assert f"••••{person.id_last4}" in html
    response = client.get(reverse("admin:slots_session_day_list_xlsx", args=[rows.session.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert person.display_reference in values and rows.appointment.code in values


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
