"""Celery adapters for paper lists and big exports: ids in, a service call.

A job whose service raises is marked failed (its page says so) before the
error goes on to Celery's log; the job's rows and files are not logged."""

from celery import shared_task

from . import export_jobs, import_jobs


@shared_task(acks_late=True)
def check_import(job_id: int) -> None:
    try:
        import_jobs.check_rows(job_id)
    except Exception:
        import_jobs.fail(job_id)
        raise


@shared_task(acks_late=True)
def write_import(job_id: int) -> None:
    try:
        import_jobs.write_rows(job_id)
    except Exception:
        import_jobs.fail(job_id)
        raise


@shared_task(acks_late=True)
def write_export(job_id: int) -> None:
    try:
        export_jobs.write_export(job_id)
    except Exception:
        export_jobs.fail(job_id)
        raise


@shared_task
def forget_old_files() -> dict:
    """Every quarter of an hour: expired export files deleted, unconfirmed
    previews' rows forgotten."""
    return {
        "exports_deleted": export_jobs.delete_expired(),
        "previews_forgotten": import_jobs.forget_stale_previews(),
    }
