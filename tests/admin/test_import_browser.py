"""In Chromium, in English and in Hindi: an official downloads the template,
fills it (openpyxl, as a spreadsheet program would), imports it, watches the
progress page (it refreshes itself, without JavaScript) while a real Celery
worker checks the rows, confirms, and watches it to the end. Screenshots go
to artifacts/; counts are read with plain SQL."""

import io

import openpyxl
import pytest
from django.db import connection
from playwright.sync_api import expect
from stdnum import verhoeff

from tests.conftest import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WORDS = {
    "en": {
        "template": "Download the template (XLSX)",
        "checked": "Checked: waiting for your confirmation",
        "confirm": "Confirm import",
        "done": "2 people registered from the list.",
        "progress": "Rows checked",
    },
    "hi": {
        "template": "टेम्पलेट डाउनलोड करें (XLSX)",
        "checked": "जाँच पूरी: आपकी पुष्टि की प्रतीक्षा में",
        "confirm": "आयात पक्का करें",
        "done": "सूची से 2 लोग पंजीकृत हुए",
        "progress": "जाँची गई पंक्तियाँ",
    },
}


def _aadhaar(n: int) -> str:
    body = f"{73410000000 + n:011d}"
    return body + verhoeff.calc_check_digit(body)


def _fills(template: bytes, raipur_village, first: int) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["list"]
    columns = [cell.value.split(" / ")[0] for cell in sheet[1]]
    area = raipur_village.area
    for n, name in enumerate(("कमला बाई", "Ramesh Sahu"), start=first):
        person = {
            "name": name,
            "gender": "F" if n % 2 else "M",
            "birth_year": 1961,
            "id_type": "AADHAAR",
            "id_number": _aadhaar(n),
            "district": area.district.name_en.upper(),
            "block_or_town": area.name_en,
            "village_or_ward": raipur_village.name,
            "registered_on": "03/05/2021",
        }
        sheet.append([person.get(column) for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registrations_registration")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_an_official_imports_the_filled_template_and_watches_it_to_the_end(
    live_server, desk, raipur_official, raipur_village, worker, tmp_path, language
):
    words = WORDS[language]
    desk.goto(live_server.url + "/admin/login/?next=/admin/")
    desk.get_by_label("Username").fill("raipur-official")
    desk.get_by_label("Password").fill("correct horse battery")
    desk.get_by_role("button", name="Log in").click()
    if language == "hi":
        desk.get_by_role("button", name="हिन्दी").click()
    desk.goto(live_server.url + "/admin/registrations/registration/import/")
    with desk.expect_download() as download:
        desk.get_by_role("link", name=words["template"]).click()
    path = tmp_path / "template.xlsx"
    download.value.save_as(path)
    path.write_bytes(_fills(path.read_bytes(), raipur_village, first=10 * len(language)))
    before = _count()

    desk.locator("input[name=import_file]").set_input_files(str(path))
    desk.locator("select[name=format]").select_option("xlsx")
    screenshot(desk, f"admin-import-upload-{language}")
    desk.locator("input[type=submit]").click()
    # The progress page, then (after its own refreshes) the preview.
    expect(desk.get_by_text(words["progress"])).to_be_visible()
    screenshot(desk, f"admin-import-progress-{language}")
    expect(desk.get_by_text(words["checked"], exact=False)).to_be_visible(timeout=60_000)
    screenshot(desk, f"admin-import-preview-{language}")
    assert _count() == before
    desk.get_by_role("button", name=words["confirm"]).click()
    expect(desk.get_by_text(words["done"], exact=False)).to_be_visible(timeout=60_000)
    screenshot(desk, f"admin-import-done-{language}")
    assert _count() == before + 2
