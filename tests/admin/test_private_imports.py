"""A paper list's ID numbers never rest whole anywhere: not in the system's
temp folder, not in the database where the job's rows wait for the worker,
not in the cache, not on the preview page; an abandoned preview loses its
rows; only the official who uploaded a list confirms it, and the library's
old confirmation by file name (a path out of the folder) reads and deletes
nothing."""

import datetime
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
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from stdnum import verhoeff

from districts.roles import DISTRICT_OFFICIAL
from registrations import import_jobs
from registrations.models import ImportJob, Registration

from . import imports
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
    return imports.upload(client, content, fmt)


def _stored_anywhere_in_the_database() -> str:
    """Every import job's columns as PostgreSQL prints them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM registrations_importjob t")
        return "\n".join(row[0] for row in cursor.fetchall())


def _cached_values() -> str:
    client = cache.client.get_client() if hasattr(cache, "client") else None
    if client is None:
        return ""
    return "\n".join(
        repr(client.get(key)) for key in client.scan_iter("*") if client.type(key) == b"string"
    )


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
    assert preview.context["can_confirm"]
    page = preview.content.decode()
    stored, cached = _stored_anywhere_in_the_database(), _cached_values()
    assert "#masked:" in stored  # the rows are there, masked
    for number in numbers:
        assert number not in page
        assert number not in stored and number not in cached
        assert number[-4:] in page  # the masked form is what the official sees
        assert _temp_files_holding(number, started) == []
    # The preview is walked away from: after its time, its rows are gone.
    job = preview.context["job"]
    ImportJob.objects.filter(pk=job.pk).update(
        checked_at=timezone.now()
        - datetime.timedelta(seconds=settings.TEEKA_IMPORT_PREVIEW_SECONDS + 1)
    )
    assert import_jobs.forget_stale_previews() == 1
    assert ImportJob.objects.get(pk=job.pk).rows is None
    page = client.get(preview.wsgi_request.path)
    assert page.context["job"].status == "expired" and not page.context["can_confirm"]
    assert "not confirmed in time" in page.content.decode()


def test_a_confirmed_xlsx_import_registers_the_ids_hash_though_only_the_mask_was_kept(
    client, raipur_official, raipur_village
):
    number = aadhaar(3)
    client.force_login(raipur_official)
    preview = _upload(client, _xlsx(_rows(raipur_village, [number])), "0")
    assert imports.confirm(client, preview).context["job"].status == "done"
    person = Registration.objects.get(name="Paper Person 0")
    expected = hmac.new(
        settings.ID_HASH_KEY.encode(), f"AADHAAR:{number}".encode(), hashlib.sha256
    ).hexdigest()
    assert (person.id_hash, person.id_last4) == (expected, number[-4:])
    assert ImportJob.objects.get().rows is None  # spent once written


def test_a_made_up_file_name_is_refused_and_touches_no_file(
    client, raipur_official, raipur_village
):
    secret = os.path.join(tempfile.gettempdir(), f"teeka-not-an-import-{uuid.uuid4().hex}")
    with open(secret, "w") as f:
        f.write(",".join(HEADER) + "\n" + ",".join(_rows(raipur_village, [aadhaar(4)])[0]))
    client.force_login(raipur_official)
    _upload(client, _csv(_rows(raipur_village, [aadhaar(5)])), "1")
    try:
        for name in (
            f"../../../{secret}",
            os.path.basename(secret),
            "../../etc/passwd",
            uuid.uuid4().hex,
        ):
            data = {"import_file_name": name, "original_file_name": "list.csv", "format": "1"}
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
    job = preview.context["job"]
    # The other official of the district sees the import, but cannot confirm it.
    page = client.get(reverse("admin:registrations_registration_import_job", args=[job.pk]))
    assert page.status_code == 200 and not page.context["can_confirm"]
    response = client.post(
        reverse("admin:registrations_registration_import_confirm", args=[job.pk]), follow=True
    )
    assert "expired or is not yours" in response.content.decode()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CHECKED
    assert not Registration.objects.filter(name__startswith="Paper Person").exists()


def test_an_official_of_another_district_does_not_see_the_import(
    client, raipur_official, bastar_official, raipur_village
):
    client.force_login(raipur_official)
    job = _upload(client, _csv(_rows(raipur_village, [aadhaar(7)])), "1").context["job"]
    client.force_login(bastar_official)
    url = reverse("admin:registrations_registration_import_job", args=[job.pk])
    assert client.get(url).status_code == 404
    jobs = client.get(reverse("admin:registrations_registration_import_jobs"))
    assert job.file_name not in jobs.content.decode()
