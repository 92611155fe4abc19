"""The day list as a spreadsheet to print at the centre: headers on row 1,
columns as wide as the names in them, A4 pages one sheet wide with the
session in the page header. Read back with openpyxl."""

import io

import openpyxl
import pytest
from django.urls import reverse

from .. import factories
from .conftest import rows_in

pytestmark = pytest.mark.django_db

LONG_NAME = "श्रीमती कमला देवी सूर्यवंशी (पुत्री रामप्रसाद साहू)"


def _sheet(client, session):
    url = reverse("admin:slots_session_day_list_xlsx", args=[session.pk])
    return openpyxl.load_workbook(io.BytesIO(client.get(url).content)).active


def test_the_day_list_sheet_is_ready_to_print(client, raipur_official, raipur_village):
    rows = rows_in(raipur_village)
    rows.registration.name = LONG_NAME
    rows.registration.save()
    client.force_login(raipur_official)
    sheet = _sheet(client, rows.session)
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["No.", "Reference", "Name"]
    assert sheet.cell(row=2, column=3).value == LONG_NAME
    assert sheet.column_dimensions["C"].width >= len(LONG_NAME)
    assert sheet.column_dimensions["A"].width < 10
    assert sheet.freeze_panes == "A2"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.paperSize == 9  # A4 in the OOXML paper sizes
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    header = sheet.oddHeader.center.text
    assert rows.centre.name in header and f"{rows.session.date:%d-%m-%Y}" in header


def test_an_ampersand_in_a_centre_name_prints_as_itself(client, raipur_official, raipur_village):
    centre = factories.make_centre(locality=raipur_village, name="PHC Mother & Child")
    rows = rows_in(raipur_village)
    rows.session.centre = centre
    rows.session.save()
    client.force_login(raipur_official)
    assert "Mother && Child" in _sheet(client, rows.session).oddHeader.center.text
