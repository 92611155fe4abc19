"""Big exports written by a worker, for the official who asked, for a while.

An export of more than TEEKA_EXPORT_IN_REQUEST_ROWS registrations would keep
a web request (and gunicorn's 30 s) busy; instead the request notes which
registrations the official's list showed (their ids, in its order) and a
Celery worker writes the file with the same columns as the admin's own export
(registrations.resources.RegistrationExportResource: masked IDs and mobiles)
and the same safety (teeka.spreadsheets: strings are text cells in XLSX, a
CSV cell that starts like a formula gets an apostrophe). The file waits in
the database, so any web node can hand it over, to its asker only, until
TEEKA_EXPORT_KEEP_SECONDS have passed; delete_expired() then deletes it.
"""

import csv
import datetime
import io
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from teeka.spreadsheets import neutralised

from .models import ExportJob, Registration
from .resources import RegistrationExportResource

# Rows read from the database at a time (and how often progress is saved).
CHUNK = 2000
XLSX, CSV = "xlsx", "csv"


def start_export(
    *, user: AbstractBaseUser, queryset: QuerySet, file_format: str, fields: Sequence[str] = ()
) -> ExportJob:
    """A new job for the rows of `queryset` (already scoped and filtered as
    the official's list); the caller enqueues it."""
    pks = list(queryset.values_list("pk", flat=True))
    now = timezone.now()
    return ExportJob.objects.create(
        created_by=user,
        file_format=file_format,
        fields=list(fields),
        file_name=f"registrations-{timezone.localtime(now):%Y-%m-%d-%H%M}.{file_format}",
        pks=pks,
        rows_total=len(pks),
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=settings.TEEKA_EXPORT_KEEP_SECONDS),
    )


def downloadable(job: ExportJob, user: AbstractBaseUser) -> bool:
    return (
        job.created_by_id == user.pk
        and job.status == ExportJob.Status.READY
        and job.expires_at > timezone.now()
    )


def write_export(job_id: int) -> None:
    """Writes the file. Idempotent: a job already written is left alone, and
    one whose worker was lost starts again from the first row."""
    claimed = ExportJob.objects.filter(
        pk=job_id, status__in=(ExportJob.Status.QUEUED, ExportJob.Status.WRITING)
    ).update(status=ExportJob.Status.WRITING, rows_written=0)
    if not claimed:
        return
    job = ExportJob.objects.defer("content").get(pk=job_id)
    resource = RegistrationExportResource()
    selected = job.fields or None
    writer = (_XlsxWriter if job.file_format == XLSX else _CsvWriter)(
        resource.get_export_headers(selected_fields=selected)
    )
    fields = resource.get_export_fields(selected)
    # As the admin's own export: native values (numbers) in XLSX, text in CSV.
    native = job.file_format == XLSX
    for start in range(0, len(job.pks), CHUNK):
        chunk = job.pks[start : start + CHUNK]
        found = Registration.objects.select_related("account", "district", "area", "locality")
        by_pk = found.in_bulk(chunk)
        for pk in chunk:
            if pk in by_pk:
                writer.row(
                    [resource.export_field(f, by_pk[pk], force_native_type=native) for f in fields]
                )
        ExportJob.objects.filter(pk=job_id).update(rows_written=start + len(chunk))
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.WRITING).update(
        status=ExportJob.Status.READY, content=writer.finish(), rows_written=len(job.pks), pks=[]
    )


def fail(job_id: int) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportJob.Status.READY).update(
        status=ExportJob.Status.FAILED, content=None, pks=[]
    )


def delete_expired() -> int:
    """Expired files are deleted (the periodic task); the job stays, empty,
    so its page can say the file has gone."""
    return (
        ExportJob.objects.filter(expires_at__lte=timezone.now())
        .exclude(status=ExportJob.Status.EXPIRED)
        .update(status=ExportJob.Status.EXPIRED, content=None, pks=[])
    )


class _XlsxWriter:
    """openpyxl's write-only workbook: rows go straight to the file, so
    memory does not grow with the list. Every string is a text cell."""

    def __init__(self, headers: list[str]) -> None:
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("registrations")
        self.sheet.freeze_panes = "A2"
        for number, header in enumerate(headers, 1):
            # Wide enough for the header and a typical value (a name, a date).
            width = max(len(header), 16 if header in ("name", "village_or_ward") else 10) + 2
            self.sheet.column_dimensions[get_column_letter(number)].width = width
        bold = Font(bold=True)
        self.sheet.append([self._cell(h, font=bold) for h in headers])

    def _cell(self, value: object, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever it starts with
        if font is not None:
            cell.font = font
        return cell

    def row(self, values: list) -> None:
        self.sheet.append([self._cell(v) for v in values])

    def finish(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


class _CsvWriter:
    def __init__(self, headers: list[str]) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        self.writer.writerow([neutralised(h) for h in headers])

    def row(self, values: list) -> None:
        self.writer.writerow([neutralised("" if v is None else str(v)) for v in values])

    def finish(self) -> bytes:
        # With a byte-order mark, so a spreadsheet program reads Hindi names right.
        return self.buffer.getvalue().encode("utf-8-sig")
