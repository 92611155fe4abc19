"""An export bigger than TEEKA_EXPORT_IN_REQUEST_ROWS is written by a real
Celery worker: the official is sent to its page, the file has every row of
their list with names kept as text (no formula in the XLSX's XML) and IDs and
mobiles masked, only the official who asked may download it, and once it has
expired the periodic task deletes it. A small export still answers at once.
Counted and checked with plain SQL and the file itself."""

import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from districts import roles
from teeka.celery import app
from tests import factories
from tests.workers import wait_for

from .conftest import staff_user
from .test_export_formulas import FORMULAS, _csv_cells, _xlsx_formulas, _xlsx_values

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

IN_REQUEST = 10


@pytest.fixture
def people(raipur_village, bastar_village):
    account = factories.make_account("+919876512345")
    made = [
        factories.make_registration(
            locality=raipur_village,
            account=account if n < 4 else None,
            seat=n + 1 if n < 4 else None,
        )
        for n in range(30)
    ]
    for person, name in zip(made, FORMULAS, strict=False):
        person.name = name
        person.save()
    factories.make_registration(locality=bastar_village)  # not the Raipur official's
    return made


def _export(client, fmt: str):
    return client.post(
        reverse("admin:registrations_registration_export"),
        {
            "format": fmt,
            "resource": "0",
            **{
                f"registrationexportresource_{f}": "on"
                for f in ("reference", "name", "photo_id", "mobile")
            },
        },
    )


def _status(job_id: int) -> tuple[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, content IS NOT NULL FROM registrations_exportjob WHERE id = %s",
            [job_id],
        )
        return cursor.fetchone()


def test_a_big_export_is_written_by_the_worker_for_its_asker_only_until_it_expires(
    client, settings, raipur_official, raipur, people, worker
):
    settings.TEEKA_EXPORT_IN_REQUEST_ROWS = IN_REQUEST
    client.force_login(raipur_official)
    response = _export(client, "0")
    assert response.status_code == 302
    job_id = int(response.url.rstrip("/").split("/")[-1])
    assert wait_for(lambda: _status(job_id)[0] == "ready", seconds=90), _status(job_id)

    page = client.get(response.url)
    assert page.status_code == 200 and page.context["can_download"]
    download = reverse("admin:registrations_registration_export_download", args=[job_id])
    got = client.get(download)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment;")
    assert _xlsx_formulas(got.content) == []
    values = _xlsx_values(got.content)
    assert all(name in values for name in FORMULAS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registrations_registration WHERE district_id = %s", [raipur.pk]
        )
        assert len(values) == 4 * (cursor.fetchone()[0] + 1)  # four columns, a header
    assert "+919876512345" not in values and "9876512345" not in str(values)
    assert "******2345" in values
    photo_ids = values[6::4]  # the photo_id column, under its header
    assert photo_ids and all("••••" in v for v in photo_ids), photo_ids
    # The factory's whole numbers (ID0000000042) appear nowhere.
    assert not [v for v in values if re.search(r"ID\d{10}", str(v))]

    # Another official of the same district: no such file, for them.
    other = staff_user("other-exporter", roles.DISTRICT_OFFICIAL, raipur)
    client.force_login(other)
    assert client.get(download).status_code == 404
    assert client.get(response.url).status_code == 404

    # Its time is up: the periodic task, run by the worker, deletes the file.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registrations_exportjob SET expires_at = %s WHERE id = %s",
            [timezone.now() - datetime.timedelta(seconds=1), job_id],
        )
    with app.connection_for_write(settings.REDIS_URL) as conn:
        app.send_task("registrations.tasks.forget_old_files", connection=conn)
    assert wait_for(lambda: _status(job_id) == ("expired", False), seconds=60)
    client.force_login(raipur_official)
    assert client.get(download).status_code == 404
    assert "expired" in client.get(response.url).content.decode()


def test_a_small_export_answers_at_once(client, settings, raipur_official, people):
    settings.TEEKA_EXPORT_IN_REQUEST_ROWS = 1000
    client.force_login(raipur_official)
    response = _export(client, "1")
    assert response.status_code == 200
    cells = _csv_cells(response.content)
    assert all(f"'{name}" in cells for name in FORMULAS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registrations_exportjob")
        assert cursor.fetchone()[0] == 0
