import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import User

from dashboard.models import AreaDay, GroupDay, SummaryState

from .scenario import RAIPUR

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_the_staff_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/"


def test_an_anonymous_visitor_cannot_download_a_table(client, scenario):
    response = client.get("/dashboard/export/places.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_signed_in_user_without_a_role_or_district_is_refused(client, db):
    client.force_login(User.objects.create_user("someone", is_staff=True))
    assert client.get("/dashboard/").status_code == 403


def test_the_health_department_sees_every_district(client, health_officer, scenario):
    client.force_login(health_officer)
    places = client.get("/dashboard/").context["tables"]["places"]
    assert len(places.rows) == 33


def test_a_district_official_sees_only_their_district(client, raipur_official, raipur, scenario):
    client.force_login(raipur_official)
    response = client.get("/dashboard/")
    places = response.context["tables"]["places"]
    # One district: straight to its blocks and towns.
    assert places.slug == "places" and len(places.rows) == raipur.areas.count()
    assert places.total[1] == RAIPUR["registered"]
    assert response.context["tables"]["gender"].total[1] == RAIPUR["registered"]
    assert "Bastar" not in response.content.decode()


def test_a_district_official_cannot_pick_another_district(
    client, raipur_official, bastar, scenario
):
    client.force_login(raipur_official)
    response = client.get("/dashboard/", {"district": bastar.pk})
    assert response.context["form"].errors["district"]
    assert response.context["tables"]["places"].total[1] == RAIPUR["registered"]


def test_a_district_officials_download_holds_only_their_district(
    client, raipur_official, bastar, scenario
):
    client.force_login(raipur_official)
    response = client.get("/dashboard/export/places.csv", {"district": bastar.pk})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Block or town"
    assert rows[-1][:2] == ["Total", str(RAIPUR["registered"])]


def test_each_table_downloads_as_csv_and_xlsx(client, admin_user, scenario):
    client.force_login(admin_user)
    for table in ("places", "days", "priority", "gender"):
        response = client.get(f"/dashboard/export/{table}.csv")
        assert response["Content-Disposition"] == f'attachment; filename="teeka-{table}.csv"'
        assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[-1][0] == "Total"
        response = client.get(f"/dashboard/export/{table}.xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet.cell(sheet.max_row, 1).value == "Total"


def test_an_unknown_table_or_format_is_not_found(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/dashboard/export/people.csv").status_code == 404
    assert client.get("/dashboard/export/places.pdf").status_code == 404


def test_a_start_date_after_the_end_date_is_explained(client, admin_user, scenario):
    client.force_login(admin_user)
    response = client.get("/dashboard/", {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert "The start date must not be after the end date." in response.content.decode()
    assert response.context["tables"]["places"].total[1] == 9  # the defaults still show


def test_the_dashboard_reads_in_hindi(client, admin_user, scenario):
    client.force_login(admin_user)
    client.cookies["django_language"] = "hi"
    page = client.get("/dashboard/").content.decode()
    assert 'lang="hi"' in page
    assert "रायपुर" in page


def test_before_the_first_summary_refresh_the_dashboard_shows_no_days(client, admin_user):
    # A fresh deployment: registrations may exist, the summaries not yet.
    client.force_login(admin_user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert response.context["tables"]["days"].rows == []


def test_the_dashboard_and_its_files_answer_before_the_first_refresh(
    client, health_officer, raipur_village
):
    """No summary computed yet (a fresh install, or before the first beat)."""
    AreaDay.objects.all().delete()
    GroupDay.objects.all().delete()
    SummaryState.objects.all().delete()
    client.force_login(health_officer)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert response.context["tables"]["days"].rows == []
    assert "no-store" in response["Cache-Control"]
    for name in ("days", "places"):
        download = client.get(f"/dashboard/export/{name}.csv")
        assert download.status_code == 200 and "no-store" in download["Cache-Control"]
