"""Every dose used: the vaccinator records each vial opened; the check-in page
says how many doses were given, how many are left in the open vial and until
when; the dashboard counts what was wasted, against the target. Counted by
hand and with SQL here."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dashboard.report import Filters, wastage_table
from districts import roles
from slots.models import Appointment, Session

from .. import factories
from .conftest import rows_in, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(raipur_village, role_groups, raipur):
    rows = rows_in(raipur_village)
    Session.objects.filter(pk=rows.session.pk).update(date=timezone.localdate(), capacity=20)
    vaccinator = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    rows.centre.staff.add(vaccinator)
    return rows, vaccinator


def _vials_opened(session) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT vials_opened FROM slots_session WHERE id = %s", [session.pk])
        return cursor.fetchone()[0]


def _give(session, n: int) -> None:
    for _ in range(n):
        person = factories.make_registration(locality=session.centre.locality)
        Appointment.objects.create(
            registration=person, session=session, dose=1, status=Appointment.Status.ATTENDED
        )


def test_a_vaccinator_records_a_vial_and_sees_what_is_left(client, today):
    rows, vaccinator = today
    client.force_login(vaccinator)
    url = reverse("checkin:open_vial", args=[rows.session.pk])
    assert client.get(url).status_code == 405
    page = client.post(url, follow=True).content.decode()
    assert _vials_opened(rows.session) == 1
    expires = timezone.localtime(timezone.now() + datetime.timedelta(hours=4))
    assert f"use its doses by {expires:%H:%M}" in page
    assert "Doses given: 0 of 10 in the vials opened." in page
    assert "Left in the open vial: 10" in page
    _give(rows.session, 3)
    page = client.get(reverse("checkin:session", args=[rows.session.pk])).content.decode()
    assert "Doses given: 3 of 10" in page and "Left in the open vial: 7" in page


def test_an_open_vial_past_its_hours_has_nothing_left(client, today, monkeypatch):
    rows, vaccinator = today
    client.force_login(vaccinator)
    client.post(reverse("checkin:open_vial", args=[rows.session.pk]))
    later = timezone.now() + datetime.timedelta(hours=4, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = client.get(reverse("checkin:session", args=[rows.session.pk])).content.decode()
    assert "Left in the open vial" not in page


def test_another_centres_vaccinator_cannot_open_a_vial_here(client, today, raipur, raipur_village):
    rows, _vaccinator = today
    other = staff_user("vax-other", roles.VACCINATOR, raipur, is_staff=False)
    factories.make_centre(locality=raipur_village, name="Other PHC").staff.add(other)
    client.force_login(other)
    assert client.post(reverse("checkin:open_vial", args=[rows.session.pk])).status_code == 404
    assert _vials_opened(rows.session) == 0


def test_the_dashboard_counts_doses_wasted_against_the_target(client, raipur_village, admin_user):
    centre = factories.make_centre(locality=raipur_village, name="PHC Wastage")
    yesterday = dict(days_ahead=-1, capacity=40)
    covishield = factories.make_session(centre=centre, vials_opened=2, **yesterday)
    covaxin = factories.make_session(
        centre=centre, vaccine="COVAXIN", vials_opened=1, start_time=datetime.time(13), **yesterday
    )
    factories.make_session(centre=centre, days_ahead=0, vials_opened=3)  # today: not over yet
    _give(covishield, 17)
    _give(covaxin, 20)
    table = wastage_table(user=admin_user, filters=Filters())
    # Covishield 2 x 10 opened, 17 given; Covaxin 1 x 20 opened, 20 given.
    assert table.total[1:] == [40, 37, 3, 7.5]
    assert "under 1%" in str(table.caption)
    client.force_login(admin_user)
    page = client.get(reverse("dashboard:dashboard")).content.decode()
    assert "Doses wasted (target: under 1%)" in page
    export = client.get(reverse("dashboard:export", args=["wastage", "csv"])).content.decode()
    assert "7.5" in export
