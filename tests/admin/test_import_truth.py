"""A confirmed import tells the truth: it writes every row or none, says which
rows changed since the preview and why (by their spreadsheet row), and counts
what it wrote by reading the database back. Counted here with plain SQL."""

import io
import re

import openpyxl
import pytest
from django.db import connection

from tests import factories

from . import imports
from .test_import import HEADER, _confirm, _line, _upload, aadhaar

pytestmark = pytest.mark.django_db

MOBILE = "9876500077"


def _registrations() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registrations_registration")
        return cursor.fetchone()[0]


def _list(village) -> str:
    return (
        HEADER
        + _line(village, name="Asha Bai", number=aadhaar(11), mobile="9876500011")
        + _line(village, name="Ramesh Sahu", number=aadhaar(12), mobile=MOBILE)
        + _line(village, name="Kamla Devi", number=aadhaar(13), mobile="9876500013")
    )


def _messages(page) -> list[str]:
    """What the job's page says after the confirmation."""
    report = page.context["report"]
    return [*report.get("refused", []), report.get("message", "")]


def test_a_row_that_changed_since_the_preview_stops_the_whole_import(
    client, raipur_official, raipur_village
):
    client.force_login(raipur_official)
    preview = _upload(client, _list(raipur_village))
    assert preview.context["can_confirm"]
    # Meanwhile, four people register on Ramesh's mobile: the account is full.
    account = factories.make_account(mobile=f"+91{MOBILE}")
    for seat in range(1, 5):
        factories.make_registration(locality=raipur_village, account=account, seat=seat)
    before = _registrations()
    response = _confirm(client, preview)
    assert _registrations() == before
    assert response.context["job"].status == "refused"
    said = _messages(response)
    # Ramesh is the second person: row 3 of the spreadsheet, under the header.
    assert any(m.startswith("Row 3:") for m in said), said
    assert any("Nothing was written" in m for m in said), said
    assert not any("Import finished" in m or "registered from the list" in m for m in said)


def test_a_good_import_counts_what_the_database_holds(client, raipur_official, raipur_village):
    client.force_login(raipur_official)
    factories.make_registration(locality=raipur_village)  # someone already there
    before = _registrations()
    text = _list(raipur_village) + _line(
        raipur_village, name="Asha Bai again", number=aadhaar(11), mobile="9876500011"
    )
    response = _confirm(client, _upload(client, text))
    assert _registrations() == before + 3
    said = _messages(response)
    assert "3 people registered from the list; 1 row skipped as already registered." in said, said


def _xlsx_upload(client, rows: list[list]):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return imports.upload(client, buffer.getvalue(), imports.XLSX)


def test_the_preview_numbers_rows_as_the_spreadsheet_does_and_shows_blank_cells_blank(
    client, raipur_official, raipur_village
):
    area = raipur_village.area
    place = [area.district.name_en, area.name_en, raipur_village.name]
    header = HEADER.strip().split(",")
    good = ["Asha Bai", "F", 1970, "AADHAAR", aadhaar(21), None, 5, *place, "01/05/2021"]
    bad_date = ["Ramesh", "M", 1971, "AADHAAR", aadhaar(22), None, 5, *place, "31/13/2021"]
    client.force_login(raipur_official)
    page = _xlsx_upload(client, [header, good, bad_date]).content.decode()
    # The bad row is the third row of the spreadsheet (the header is row 1).
    assert re.search(r"<td>\s*3\s*</td>\s*<td class=\"errors\">", page), page
    assert "day/month/year, like 01/05/2021" in page
    table = page.split('class="import-preview"')[1]
    assert "<td>None</td>" not in table
