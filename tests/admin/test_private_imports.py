"""A paper list's ID numbers never rest whole anywhere: not in the system's
temp folder, not in the cache where the preview waits, not on the preview
page; an abandoned preview expires; a confirmation names only a key the
server handed to the same session, so a made-up file name (a path out of the
folder) reads and deletes nothing."""

import hashlib
import hmac
import io
import os
import tempfile
import time
import uuid

import openpyxl
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from stdnum import verhoeff

from districts.roles import DISTRICT_OFFICIAL
from registrations.models import Registration

from .conftest import staff_user

pytestmark = pytest.mark.django_db

HEADER = [
    "name",
    "gender",
    "birth_year",
    "id_type",
    "id_number",
    "mobile",
    "priority",
    "district",
    "block_or_town",
    "village_or_ward",
]
SESSION_KEY = "teeka_import_previews"


def aadhaar(n: int) -> str:
    body = f"{53410000000 + n:011d}"
    return body + verhoeff.calc_check_digit(body)


def _rows(locality, numbers: list[str]) -> list[list[str]]:
    area = locality.area
    return [
        [f"Paper Person {i}", "F", "1970", "AADHAAR", number, "", "5"]
        + [area.district.name_en, area.name_en, locality.name]
        for i, number in enumerate(numbers)
    ]


def _csv(rows) -> bytes:
    return "\n".join(",".join(r) for r in [HEADER, *rows]).encode()


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in [HEADER, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client, content: bytes, fmt: str):
    name = "list.csv" if fmt == "1" else "list.xlsx"
    return client.post(
        reverse("admin:registrations_registration_import"),
        {"import_file": SimpleUploadedFile(name, content), "format": fmt, "resource": "0"},
    )


def _confirm_data(preview) -> dict:
    form = preview.context["confirm_form"]
    return {name: form[name].value() for name in form.fields}


def _temp_files_holding(text: str, since: float) -> list[str]:
    found = []
    for folder, _dirs, files in os.walk(tempfile.gettempdir()):
        for name in files:
            path = os.path.join(folder, name)
            try:
                if os.path.getmtime(path) < since or os.path.getsize(path) > 5_000_000:
                    continue
                with open(path, "rb") as f:
                    if text.encode() in f.read():
                        found.append(path)
            except OSError:
                continue  # another process's file came and went
    return found


@pytest.mark.parametrize("fmt", ["1", "0"], ids=["csv", "xlsx"])
def test_an_abandoned_preview_leaves_no_id_number_anywhere(
    client, raipur_official, raipur_village, fmt
):
    numbers = [aadhaar(1), aadhaar(2)]
    content = (_csv if fmt == "1" else _xlsx)(_rows(raipur_village, numbers))
    client.force_login(raipur_official)
    started = time.time() - 1
    preview = _upload(client, content, fmt)
    assert preview.context["confirm_form"] is not None
    page = preview.content.decode()
    key = client.session[SESSION_KEY][-1]
    stored = cache.get(f"django-import-export-{key}")
    assert stored is not None
    stored_text = stored if isinstance(stored, str) else stored.decode("latin-1")
    for number in numbers:
        assert number not in page
        assert number not in stored_text
        assert number[-4:] in page  # the masked form is what the official sees
        assert _temp_files_holding(number, started) == []
    # The preview is walked away from: it expires on its own.
    assert 0 < cache.ttl(f"django-import-export-{key}") <= settings.TEEKA_IMPORT_PREVIEW_SECONDS


def test_a_confirmed_xlsx_import_registers_the_ids_hash_though_only_the_mask_was_kept(
    client, raipur_official, raipur_village
):
    number = aadhaar(3)
    client.force_login(raipur_official)
    preview = _upload(client, _xlsx(_rows(raipur_village, [number])), "0")
    response = client.post(
        reverse("admin:registrations_registration_process_import"), _confirm_data(preview)
    )
    assert response.status_code == 302
    person = Registration.objects.get(name="Paper Person 0")
    expected = hmac.new(
        settings.ID_HASH_KEY.encode(), f"AADHAAR:{number}".encode(), hashlib.sha256
    ).hexdigest()
    assert (person.id_hash, person.id_last4) == (expected, number[-4:])
    assert SESSION_KEY not in client.session or not client.session[SESSION_KEY]


def test_a_made_up_file_name_is_refused_and_touches_no_file(
    client, raipur_official, raipur_village
):
    secret = os.path.join(tempfile.gettempdir(), f"teeka-not-an-import-{uuid.uuid4().hex}")
    with open(secret, "w") as f:
        f.write(",".join(HEADER) + "\n" + ",".join(_rows(raipur_village, [aadhaar(4)])[0]))
    client.force_login(raipur_official)
    preview = _upload(client, _csv(_rows(raipur_village, [aadhaar(5)])), "1")
    try:
        for name in (
            f"../../../{secret}",
            os.path.basename(secret),
            "../../etc/passwd",
            uuid.uuid4().hex,
        ):
            data = {**_confirm_data(preview), "import_file_name": name}
            response = client.post(
                reverse("admin:registrations_registration_process_import"), data, follow=True
            )
            assert "expired or is not yours" in response.content.decode()
            assert os.path.exists(secret)
        assert not Registration.objects.filter(name__startswith="Paper Person").exists()
    finally:
        os.remove(secret)


def test_a_preview_of_one_session_cannot_be_confirmed_from_another(
    client, raipur_official, raipur_village
):

    client.force_login(raipur_official)
    preview = _upload(client, _csv(_rows(raipur_village, [aadhaar(6)])), "1")
    other = staff_user("other-official", DISTRICT_OFFICIAL, raipur_village.area.district)
    client.force_login(other)
    response = client.post(
        reverse("admin:registrations_registration_process_import"),
        _confirm_data(preview),
        follow=True,
    )
    assert "expired or is not yours" in response.content.decode()
    assert not Registration.objects.filter(name__startswith="Paper Person").exists()
