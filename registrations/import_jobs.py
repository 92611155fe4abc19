"""Paper lists read in the background, without ever keeping an ID number.

The upload request reads the sheet in memory and replaces every ID cell by
what Teeka keeps of it (registrations.resources.mask_cell: the keyed hash and
the last 4, or why the number was refused) before anything leaves the
process; only those rows are stored, on an ImportJob, for a Celery worker
(registrations.tasks). The worker reads every row with the same resource
the admin's import always used and checks the list as the database would,
writing nothing (the preview, registrations.import_plan); after the official
confirms, it checks every row again and writes all of them or none, a page of
rows a statement (the confirmation). What each found is the job's report; the
progress page reads the job, and the counters the worker keeps in the cache
while it runs.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import tablib
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export.results import Result, RowResult
from openpyxl import load_workbook

from districts.scoping import visible_district_ids

from . import import_plan
from .inserts import ONE_STATEMENT_VENDORS
from .models import ImportJob, Registration
from .resources import RegistrationImportResource, last4_shown, mask_cell, standard_header

# How often (rows) the worker tells the cache how far it has got.
PROGRESS_EVERY = 500


class UnreadableFileError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class MaskedSheet:
    headers: list[str]
    rows: list[list]
    # The spreadsheet row number of each row (blank rows are left out).
    lines: list[int]


# Reading the upload --------------------------------------------------------------


def read_masked(data: bytes, *, is_csv: bool) -> MaskedSheet:
    """The sheet's rows with every ID number already masked: the only form
    in which they leave this function (and this request)."""
    try:
        rows = _csv_rows(data) if is_csv else _xlsx_rows(data)
        header = next(rows, None)
    except Exception as error:  # a broken file says so, whatever the library raised
        raise UnreadableFileError(_("The file could not be read as a spreadsheet.")) from error
    if header is None:
        raise UnreadableFileError(_("The file is empty."))
    headers = [standard_header(h) for h in header]
    width = len(headers)
    id_column = headers.index("id_number") if "id_number" in headers else None
    type_column = headers.index("id_type") if "id_type" in headers else None
    sheet = MaskedSheet(headers=headers, rows=[], lines=[])
    for line, values in enumerate(rows, start=2):
        cells = [_plain(v) for v in values[:width]]
        if not any(c not in (None, "") for c in cells):
            continue
        cells += [None] * (width - len(cells))
        if id_column is not None:
            typed_type = _as_text(cells[type_column]) if type_column is not None else ""
            cells[id_column] = mask_cell(typed_type, _as_text(cells[id_column]))
        sheet.rows.append(cells)
        sheet.lines.append(line)
    return sheet


def _csv_rows(data: bytes) -> Iterator[list]:
    return iter(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # The list is the first sheet; the template's places and codes follow it.
    return book.worksheets[0].iter_rows(values_only=True)


def _plain(value: object) -> object:
    """A cell as JSON keeps it: dates as the day/month/year the import reads."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        # A NUL never means anything in a list, and no text column takes one.
        return value.replace("\x00", "").strip()
    return value


def _as_text(value: object) -> str:
    return "" if value is None else str(value).strip()


# Starting and finding jobs ------------------------------------------------------


def start_import(*, user: AbstractBaseUser, file_name: str, sheet: MaskedSheet | None) -> ImportJob:
    """A new job: waiting for a worker's preview (the caller enqueues it), or
    without its rows yet (`sheet` None) while read_in_background reads them."""
    districts = visible_district_ids(user)
    job = ImportJob(
        created_by=user,
        district_id=next(iter(districts)) if districts and len(districts) == 1 else None,
        file_name=file_name[:200],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        status=ImportJob.Status.READING,
    )
    if sheet is not None:
        _set_rows(job, sheet)
    job.save()
    return job


def _set_rows(job: ImportJob, sheet: MaskedSheet) -> None:
    job.status, job.rows_total = ImportJob.Status.QUEUED, len(sheet.rows)
    job.rows = {"headers": sheet.headers, "rows": sheet.rows, "lines": sheet.lines}


def read_in_background(job_id: int, data: bytes, *, is_csv: bool, then: Callable) -> None:
    """For a big file: the upload request answers at once and this runs in
    a thread of the same web process, so the file, ID numbers and all, never
    leaves the process; only the masked rows are stored. `then` enqueues the
    preview. A process that dies meanwhile leaves the job reading, which its
    page tells after READING_GIVEN_UP_SECONDS."""
    try:
        job = ImportJob.objects.get(pk=job_id)
        with translation.override(job.language):
            try:
                sheet = read_masked(data, is_csv=is_csv)
            except UnreadableFileError as unreadable:
                _give_up(job, unreadable.message)
                return
            if not sheet.rows:
                _give_up(job, _("The file has no rows under its header."))
                return
        _set_rows(job, sheet)
        job.save(update_fields=["status", "rows_total", "rows"])
        then()
    finally:
        connection.close()


def _give_up(job: ImportJob, message: str) -> None:
    job.status, job.finished_at, job.report = (
        ImportJob.Status.FAILED,
        timezone.now(),
        {"message": message},
    )
    job.save(update_fields=["status", "finished_at", "report"])


# A job still reading after this long lost its web process on the way.
READING_GIVEN_UP_SECONDS = 600


def reading_given_up(job: ImportJob) -> bool:
    age = (timezone.now() - job.created_at).total_seconds()
    return job.status == ImportJob.Status.READING and age > READING_GIVEN_UP_SECONDS


def visible_jobs(user: AbstractBaseUser) -> QuerySet:
    """Imports this official may see: their own, and those into a district
    they see (a list of no one district: only those who see every one)."""
    districts = visible_district_ids(user)
    jobs = ImportJob.objects.select_related("created_by", "district").defer("rows")
    if districts is None:
        return jobs
    return jobs.filter(Q(created_by=user) | Q(district__in=districts))


def confirmable(job: ImportJob, user: AbstractBaseUser) -> bool:
    """Only the official who uploaded it confirms, while the preview is fresh
    and found nothing wrong."""
    return (
        job.created_by_id == user.pk
        and job.status == ImportJob.Status.CHECKED
        and not job.report.get("invalid")
        and job.report.get("new", 0) > 0
        and not preview_expired(job)
    )


def preview_expired(job: ImportJob) -> bool:
    age = timezone.now() - (job.checked_at or job.created_at)
    return age.total_seconds() > settings.TEEKA_IMPORT_PREVIEW_SECONDS


def claim_confirmation(job: ImportJob) -> bool:
    """Compare-and-set: only one confirmation of a preview goes to a worker."""
    return bool(
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
            status=ImportJob.Status.WRITING
        )
    )


# Progress ------------------------------------------------------------------------


def _progress_key(job: ImportJob, phase: str) -> str:
    # One key per job and step: the preview's counters never show as the
    # confirmation's, nor another database's job of the same id (tests).
    return f"teeka:import-progress:{job.pk}:{job.created_at.timestamp():.6f}:{phase}"


def progress(job: ImportJob) -> dict[str, int]:
    """Rows checked, rows written and errors so far: the worker's counters
    while it runs (in the cache), the job's own once it is done."""
    counts = {"checked": job.rows_checked, "written": job.rows_written, "errors": job.error_count}
    if job.status in (ImportJob.Status.CHECKING, ImportJob.Status.WRITING):
        counts = {"checked": 0, "written": 0, "errors": 0}
        counts.update(cache.get(_progress_key(job, job.status)) or {})
    return counts


class _Counter:
    def __init__(self, job: ImportJob, *, writing: bool) -> None:
        phase = ImportJob.Status.WRITING if writing else ImportJob.Status.CHECKING
        self.key, self.writing = _progress_key(job, phase), writing
        self.checked = self.written = self.errors = 0

    def __call__(self, row: RowResult) -> None:
        """A row of the library's import (the one-row-at-a-time pass)."""
        error = row.import_type in (RowResult.IMPORT_TYPE_INVALID, RowResult.IMPORT_TYPE_ERROR)
        written = self.writing and row.import_type == RowResult.IMPORT_TYPE_NEW
        self.row(error, written=int(written))

    def row(self, error: bool, *, written: int = 0) -> None:
        self.checked += 1
        self.errors += error
        self.wrote(written)
        if self.checked % PROGRESS_EVERY == 0:
            self.tell()

    def wrote(self, rows: int) -> None:
        before, self.written = self.written, self.written + rows
        if before // PROGRESS_EVERY != self.written // PROGRESS_EVERY:
            self.tell()

    def tell(self) -> None:
        counts = {"checked": self.checked, "written": self.written, "errors": self.errors}
        cache.set(self.key, counts, 24 * 3600)


@dataclass
class Outcome:
    """What a pass over the list found, whichever way it went: refused rows
    (as the report keeps them), rows the database refused with an error
    that is no validation message (spreadsheet row, text), skipped rows
    (spreadsheet row, why), how many rows go in, and the ids written."""

    invalid: list[dict]
    failed: list[tuple[int, str]]
    skipped: list[tuple[int, str]]
    new: int
    written_ids: list[int]
    base_errors: list[str]
    counter: _Counter


# The worker's two steps --------------------------------------------------------


def check_rows(job_id: int) -> None:
    """The preview: every row checked as the confirmation will write it,
    writing nothing. Idempotent: a job already checked is left alone."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=(ImportJob.Status.QUEUED, ImportJob.Status.CHECKING)
    ).update(status=ImportJob.Status.CHECKING)
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with translation.override(job.language):
        if _set_based():
            counter = _Counter(job, writing=False)
            outcome = _planned(_plan(job, counter, accounts=False), counter)
        else:
            outcome = _outcome_of(*_run(job, dry_run=True))
        report = _report(outcome, job.rows["headers"])
        report["sample"] = _sample(job.rows, {row["row"] for row in report["invalid"]})
    job.report = report
    job.status, job.checked_at = ImportJob.Status.CHECKED, timezone.now()
    job.rows_checked, job.error_count = outcome.counter.checked, len(report["invalid"])
    job.save(update_fields=["report", "status", "checked_at", "rows_checked", "error_count"])


def write_rows(job_id: int) -> None:
    """The confirmation: every row checked again, and all written or none.
    The job's new status commits with the rows, so a worker lost half way
    leaves nothing written and the job to be run again."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.WRITING:
        return
    with translation.override(job.language), transaction.atomic():
        outcome = _confirm(job)
        refused = _refused_rows(outcome)
        if refused:
            job.status = ImportJob.Status.REFUSED
            job.report = {**job.report, "refused": refused, "message": _nothing_written()}
        else:
            job.status = ImportJob.Status.DONE
            job.rows_written = _written(outcome.written_ids)
            skipped = len(outcome.skipped)
            job.report = {**job.report, "message": _written_message(job.rows_written, skipped)}
        job.rows_checked, job.error_count = outcome.counter.checked, len(refused)
        job.finished_at, job.rows = timezone.now(), None
        job.save()


def fail(job_id: int) -> None:
    """A job whose worker raised: said on its page; its rows are not kept."""
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportJob.Status.DONE).update(
        status=ImportJob.Status.FAILED, rows=None, finished_at=timezone.now()
    )


def forget_stale_previews() -> int:
    """Previews nobody confirmed in time lose their rows (the periodic task)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.TEEKA_IMPORT_PREVIEW_SECONDS)
    return ImportJob.objects.filter(status=ImportJob.Status.CHECKED, checked_at__lt=cutoff).update(
        status=ImportJob.Status.EXPIRED, rows=None
    )


# Set-based (registrations.import_plan) ---------------------------------------------


def _set_based() -> bool:
    """PostgreSQL checks and writes a list set-based; other databases (the
    embedded SQLite) take the library's import a row at a time."""
    return connection.vendor in ONE_STATEMENT_VENDORS


def _plan(job: ImportJob, counter: _Counter, *, accounts: bool) -> import_plan.Plan:
    stored = job.rows
    return import_plan.check(
        user=job.created_by,
        headers=stored["headers"],
        rows=stored["rows"],
        lines=stored["lines"],
        on_row=counter.row,
        accounts=accounts,
    )


def _confirm(job: ImportJob) -> Outcome:
    """The list checked again and written set-based, in a savepoint of the
    caller's transaction. Any row refused: nothing is written. If the
    database refuses a row the check passed (someone registered between the
    two), the savepoint is rolled back and the list goes through the
    library's import one row at a time, which names every refused row."""
    if not _set_based():
        return _outcome_of(*_run(job, dry_run=False))
    counter = _Counter(job, writing=True)
    try:
        with transaction.atomic():
            plan = _plan(job, counter, accounts=True)
            outcome = _planned(plan, counter)
            if outcome.invalid:
                transaction.set_rollback(True)
            else:
                outcome.written_ids = import_plan.write(plan, on_page=counter.wrote)
    except DatabaseError:
        return _outcome_of(*_run(job, dry_run=False))
    counter.tell()
    return outcome


def _planned(plan: import_plan.Plan, counter: _Counter) -> Outcome:
    # Rows refused for their account are found after all were read.
    counter.errors = len(plan.refused)
    counter.tell()
    invalid = [
        {"row": line, "errors": _errors(error), "values": _shown(values)}
        for line, error, values in plan.refused
    ]
    return Outcome(
        invalid=invalid,
        failed=[],
        skipped=plan.skipped,
        new=len(plan.people),
        written_ids=[],
        base_errors=[],
        counter=counter,
    )


# One row at a time (the library's import) -------------------------------------------


def _run(job: ImportJob, *, dry_run: bool) -> tuple[Result, RegistrationImportResource, _Counter]:
    """Every row through the resource, in one transaction that is rolled
    back for a preview or when any row is refused. First without a savepoint
    a row (a list of 50,000 would hold 50,000 subtransactions); if the
    database refuses a row, that pass is rolled back and the list is run
    again with one savepoint a row, so that every refused row is told."""
    result, resource, counter = _pass(job, dry_run=dry_run, fast=True)
    if resource.aborted:
        result, resource, counter = _pass(job, dry_run=dry_run, fast=False)
    return result, resource, counter


def _pass(
    job: ImportJob, *, dry_run: bool, fast: bool
) -> tuple[Result, RegistrationImportResource, _Counter]:
    stored = job.rows
    dataset = tablib.Dataset(*map(tuple, stored["rows"]), headers=stored["headers"])
    counter = _Counter(job, writing=not dry_run)
    resource = RegistrationImportResource(
        user=job.created_by, lines=stored["lines"], on_row=counter, fast=fast
    )
    # Our transaction, not the library's: it would add a savepoint a row.
    with transaction.atomic():
        result = resource.import_data(
            dataset, dry_run=False, raise_errors=False, use_transactions=False
        )
        failed = resource.aborted or result.has_errors() or result.has_validation_errors()
        if dry_run or failed:
            transaction.set_rollback(True)
    counter.tell()
    return result, resource, counter


def _outcome_of(result: Result, resource: RegistrationImportResource, counter: _Counter) -> Outcome:
    invalid = [
        {
            "row": resource.line_of(row.number),
            "errors": _errors(row.error),
            "values": _shown(row.values),
        }
        for row in result.invalid_rows
    ]
    failed = [
        (resource.line_of(number), "; ".join(str(e.error) for e in errors))
        for number, errors in result.row_errors()
    ]
    new_ids = [
        row.object_id
        for row in result.rows
        if row.import_type == RowResult.IMPORT_TYPE_NEW and row.object_id
    ]
    return Outcome(
        invalid=invalid,
        failed=failed,
        skipped=resource.skipped,
        new=result.totals[RowResult.IMPORT_TYPE_NEW],
        written_ids=new_ids,
        base_errors=[str(error.error) for error in result.base_errors],
        counter=counter,
    )


# What the official is told ------------------------------------------------------

# The preview lists at most this many refused rows with their cells (all are
# counted; the official fixes these and uploads again).
SHOWN_INVALID = 1000


def _errors(error: ValidationError) -> list[list]:
    """A refused row's messages by column ("" for the row as a whole)."""
    try:
        by_column = error.message_dict
    except AttributeError:
        by_column = {NON_FIELD_ERRORS: error.messages}
    return [
        ["" if column == NON_FIELD_ERRORS else str(column), [str(m) for m in messages]]
        for column, messages in by_column.items()
    ]


def _shown(values: Iterable) -> list[str]:
    return ["" if v is None else str(v) for v in values]


def _report(outcome: Outcome, headers: list[str]) -> dict:
    invalid = list(outcome.invalid)
    invalid += [
        {"row": line, "errors": [["", [text]]], "values": []} for line, text in outcome.failed
    ]
    invalid.sort(key=lambda row: row["row"])
    return {
        "headers": headers,
        "invalid_count": len(invalid),
        "invalid": invalid[:SHOWN_INVALID],
        "skipped": [reason for _line, reason in sorted(outcome.skipped)],
        "new": outcome.new,
        "base_errors": outcome.base_errors,
    }


# The preview shows the first rows that go in, as the import read them.
SAMPLE_ROWS = 20


def _sample(stored: dict, invalid: set[int]) -> list[list[str]]:
    headers = stored["headers"]
    id_column = headers.index("id_number") if "id_number" in headers else None
    sample = []
    for line, values in zip(stored["lines"], stored["rows"], strict=True):
        if line in invalid:
            continue
        cells = ["" if v is None else str(v) for v in values]
        if id_column is not None and cells[id_column]:
            cells[id_column] = "••••" + last4_shown(cells[id_column])
        sample.append([str(line), *cells])
        if len(sample) == SAMPLE_ROWS:
            break
    return sample


def _refused_rows(outcome: Outcome) -> list[str]:
    """Why the confirmed import refused each row, by its spreadsheet row."""
    refused = [
        (row["row"], " ".join(m for _column, messages in row["errors"] for m in messages))
        for row in outcome.invalid
    ]
    refused += outcome.failed
    said = [_("Row %(row)d: %(reason)s") % {"row": n, "reason": why} for n, why in sorted(refused)]
    return said + outcome.base_errors


def _written(ids: list[int]) -> int:
    """The people this import wrote, counted in the database (in the
    transaction that wrote them)."""
    return sum(Registration.objects.filter(pk__in=chunk).count() for chunk in _chunks(ids, 5000))


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _nothing_written() -> str:
    return _(
        "Nothing was written: the rows above changed since the preview. "
        "Correct them in the file and import it again."
    )


def _written_message(written: int, skipped: int) -> str:
    message = ngettext(
        "%(n)d person registered from the list",
        "%(n)d people registered from the list",
        written,
    ) % {"n": written}
    if skipped:
        also = ngettext(
            "%(n)d row skipped as already registered",
            "%(n)d rows skipped as already registered",
            skipped,
        ) % {"n": skipped}
        message = f"{message}; {also}"
    return f"{message}."
