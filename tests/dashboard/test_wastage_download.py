"""The wastage download: one row per district, centre and day, in columns a
spreadsheet can sort, with the doses opened, given and wasted; counted here
with SQL (10 doses a Covishield vial, 20 a Covaxin one)."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.utils import timezone

from slots.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db

EXPECTED_SQL = """
SELECT initcap(d.name_en), c.name, s.date,
       s.vials_opened * CASE s.vaccine WHEN 'COVISHIELD' THEN 10 WHEN 'COVAXIN' THEN 20 END,
       (SELECT count(*) FROM slots_appointment a
        WHERE a.session_id = s.id AND a.status = 'attended')
FROM slots_session s JOIN slots_centre c ON c.id = s.centre_id
JOIN districts_district d ON d.lgd_code = s.district_id
WHERE s.vials_opened > 0 AND s.date < %s AND (%s IS NULL OR s.district_id = %s)
ORDER BY d.name_en, c.name, s.date
"""


def _give(session, n: int) -> None:
    for _ in range(n):
        person = factories.make_registration(locality=session.centre.locality)
        Appointment.objects.create(
            registration=person, session=session, dose=1, status=Appointment.Status.ATTENDED
        )


@pytest.fixture
def week(raipur_village, raipur_town, bastar_village):
    town = factories.first_locality(raipur_town)
    centres = [
        factories.make_centre(locality=raipur_village, name="PHC Village"),
        factories.make_centre(locality=town, name="UPHC Town"),
        factories.make_centre(locality=bastar_village, name="PHC Bastar"),
    ]
    plan = [  # centre, days ago, vaccine, vials, doses given
        (0, 1, "COVISHIELD", 2, 17),
        (0, 2, "COVISHIELD", 1, 10),
        (1, 1, "COVAXIN", 2, 31),
        (2, 1, "COVISHIELD", 3, 28),
    ]
    for centre, days_ago, vaccine, vials, given in plan:
        session = factories.make_session(
            centre=centres[centre],
            days_ahead=-days_ago,
            vaccine=vaccine,
            vials_opened=vials,
            capacity=40,
        )
        _give(session, given)
    # Today's session is not over: not counted yet.
    factories.make_session(centre=centres[0], days_ahead=0, vials_opened=4)


def _expected(district_id: int | None = None) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(EXPECTED_SQL, [timezone.localdate(), district_id, district_id])
        rows = cursor.fetchall()
    return [
        [district, centre, day.isoformat(), str(opened), str(given), str(opened - given)]
        for district, centre, day, opened, given in rows
    ]


def _csv(client, **query) -> list[list[str]]:
    response = client.get("/dashboard/export/wastage-centres.csv", query)
    assert response["Content-Disposition"] == 'attachment; filename="teeka-wastage-centres.csv"'
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_wastage_downloads_by_district_centre_and_day(client, admin_user, week):
    client.force_login(admin_user)
    rows = _csv(client)
    assert rows[0][:3] == ["District", "Centre", "Day"]
    expected = _expected()
    assert len(expected) == 4
    assert sorted(row[:6] for row in rows[1:-1]) == sorted(expected)
    # Covaxin at the town: 2 x 20 opened, 31 given, 9 wasted, 22.5%.
    town = next(row for row in rows if row[1] == "UPHC Town")
    assert town[3:] == ["40", "31", "9", "22.5"]
    opened = sum(int(row[3]) for row in expected)
    given = sum(int(row[4]) for row in expected)
    assert rows[-1][0] == "Total"
    assert rows[-1][3:6] == [str(opened), str(given), str(opened - given)]
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/dashboard/export/wastage-centres.xlsx").content)
    ).active
    assert sheet.max_row == len(rows)


def test_a_district_official_downloads_only_their_district(client, raipur_official, raipur, week):
    client.force_login(raipur_official)
    rows = _csv(client)
    assert sorted(row[:6] for row in rows[1:-1]) == sorted(_expected(raipur.pk))
    assert "PHC Bastar" not in {row[1] for row in rows}


def test_the_dashboard_links_the_download(client, admin_user, week):
    client.force_login(admin_user)
    page = client.get("/dashboard/", {"date_from": datetime.date(2020, 1, 1).isoformat()})
    assert "/dashboard/export/wastage-centres.csv?date_from=2020-01-01" in page.content.decode()
