"""The paper-list template: downloaded, filled as a block office would (the
template's own bilingual headers, a village picked from its second sheet, a
dd/mm/yyyy date) and imported; the places it offers are checked against the
shared data file."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from districts import roles

from . import imports
from .conftest import staff_user
from .test_import import aadhaar

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "districts" / "data" / "localities.csv"
URL = "admin:registrations_registration_import_template"


def _template(client) -> openpyxl.Workbook:
    response = client.get(reverse(URL))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _raipur_places_in_the_data_file() -> int:
    with open(DATA, encoding="utf-8", newline="") as f:
        return sum(1 for row in csv.DictReader(f) if row["district_current_lgd_code"] == "387")


def test_the_template_has_bilingual_headers_drop_downs_and_the_districts_places(
    client, raipur_official
):
    client.force_login(raipur_official)
    book = _template(client)
    sheet = book["list"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[0] == "name / नाम"
    assert all(" / " in h and any("\u0900" <= c <= "\u097f" for c in h) for h in headers), headers
    lists = {
        re.sub(r"\d", "", str(dv.sqref).split(":")[0]): dv.formula1
        for dv in sheet.data_validations.dataValidation
    }
    letter = {
        h.split(" / ")[0]: cell.column_letter for h, cell in zip(headers, sheet[1], strict=True)
    }
    assert lists[letter["gender"]] == '"F,M,O"'
    assert lists[letter["priority"]] == '"1,2,3,4,5"'
    assert lists[letter["district"]] == '"RAIPUR"'
    places = book["places"]
    villages = [row[2] for row in places.iter_rows(min_row=2, values_only=True) if row[2]]
    # Every village and ward of the data file, and the three whole towns Teeka
    # adds for towns the source gives no wards (README, Reference data).
    assert len(villages) == _raipur_places_in_the_data_file() + 3
    assert lists[letter["village_or_ward"]] == f"places!$C$2:$C${len(villages) + 1}"
    assert "Baktara-2 (Baktara) (Baktara)" in villages
    assert book["codes"].max_row > 10


def test_a_filled_template_imports(client, raipur_official, raipur):
    client.force_login(raipur_official)
    book = _template(client)
    sheet = book["list"]
    columns = [cell.value.split(" / ")[0] for cell in sheet[1]]
    people = [
        {
            "name": "कमला बाई",
            "gender": "F",
            "birth_year": 1961,
            "id_type": "AADHAAR",
            "id_number": aadhaar(41),
            "mobile": "98765 00041",
            "priority": "5",
            "district": "RAIPUR",
            "block_or_town": "ABHANPUR",
            "village_or_ward": "Baktara-2 (Baktara) (Baktara)",
            "registered_on": "03/05/2021",
        },
        {
            "name": "Ramesh Sahu",
            "gender": "M",
            "birth_year": 1975,
            "id_type": "AADHAAR",
            "id_number": aadhaar(42),
            "mobile": "",
            "priority": "5",
            "district": "RAIPUR",
            "block_or_town": "ABHANPUR",
            "village_or_ward": "baktara-2",
            "registered_on": "04/05/2021",
        },
    ]
    for person in people:
        sheet.append([person.get(column) for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = imports.upload(client, buffer.getvalue(), imports.XLSX)
    assert imports.invalid(preview) == {}
    imports.confirm(client, preview)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.name, l.name FROM registrations_registration r"
            " JOIN districts_locality l ON l.id = r.locality_id ORDER BY r.name"
        )
        assert cursor.fetchall() == [
            ("Ramesh Sahu", "Baktara-2 (Baktara)"),
            ("कमला बाई", "Baktara-2 (Baktara)"),
        ]


def test_only_those_who_import_may_download_it(client, raipur):
    client.force_login(staff_user("health-template", roles.HEALTH_DEPARTMENT, raipur))
    assert client.get(reverse(URL)).status_code in (302, 403, 404)
