"""Driving a paper-list import as an official does, with the worker's two
steps (registrations.import_jobs.check_rows and write_rows, what the Celery
tasks call) run here in the test's process, where no worker is needed."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse

from registrations import import_jobs

XLSX, CSV = "0", "1"


def upload(client, content: bytes | str, fmt: str = CSV, *, check: bool = True):
    """Uploads a file and, unless `check` is False, runs the preview and
    returns the job's page; else the upload's own response."""
    data = content.encode() if isinstance(content, str) else content
    name = "paper-list.csv" if fmt == CSV else "paper-list.xlsx"
    response = client.post(
        reverse("admin:registrations_registration_import"),
        {"import_file": SimpleUploadedFile(name, data), "format": fmt, "resource": "0"},
    )
    if not check:
        return response
    assert response.status_code == 302, response.content.decode()[-2000:]
    import_jobs.check_rows(job_id_of(response.url))
    return client.get(response.url)


def job_id_of(url: str) -> int:
    return resolve(url).kwargs["job_id"]


def confirm(client, page):
    """Presses "Confirm import" on a preview's page, runs the write and
    returns the job's page."""
    job = page.context["job"]
    pressed = client.post(reverse("admin:registrations_registration_import_confirm", args=[job.pk]))
    assert pressed.status_code == 302
    import_jobs.write_rows(job.pk)
    return client.get(reverse("admin:registrations_registration_import_job", args=[job.pk]))


def invalid(page) -> dict[int, dict[str, list[str]]]:
    """The preview's refused rows: spreadsheet row -> column -> messages."""
    return {
        row["row"]: {column: messages for column, messages in row["errors"]}
        for row in page.context["report"]["invalid"]
    }
