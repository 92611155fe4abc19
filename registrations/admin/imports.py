"""Paper lists and big exports in the background, as admin pages.

The upload request reads the file in memory (FILE_UPLOAD_HANDLERS), masks
every ID cell (registrations.import_jobs.read_masked) and stores only that on
an ImportJob for a worker; its page shows the worker's progress, refreshing
itself without JavaScript, then the preview and the confirm button. An export
of more than TEEKA_EXPORT_IN_REQUEST_ROWS rows becomes an ExportJob the same
way (registrations.export_jobs), downloadable by its asker only.
"""

import threading

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from .. import export_jobs, import_jobs, import_template, tasks
from ..models import ExportJob, ImportJob

TEMPLATES = "admin/registrations/registration"
# How often a running job's page reloads itself (seconds).
REFRESH_SECONDS = 3


def _labelled(report: dict) -> dict:
    """The preview's column names as the official reads them (the template's
    header says "name / नाम"; the report keeps the codes the import reads)."""
    labels = {code: str(label) for code, label in import_template.HINDI.items()}
    return {
        "columns": [labels.get(code, code) for code in report.get("headers", [])],
        "shown_invalid": [
            {**row, "errors": [[labels.get(c, c), m] for c, m in row["errors"]]}
            for row in report.get("invalid", [])
        ],
    }


class BackgroundFilesMixin:
    """For RegistrationAdmin, before django-import-export's mixin."""

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        name = "registrations_registration"
        return [
            path("imports/", view(self.import_jobs_view), name=f"{name}_import_jobs"),
            path("imports/<int:job_id>/", view(self.import_job_view), name=f"{name}_import_job"),
            path(
                "imports/<int:job_id>/confirm/",
                view(self.import_confirm_view),
                name=f"{name}_import_confirm",
            ),
            path("exports/<int:job_id>/", view(self.export_job_view), name=f"{name}_export_job"),
            path(
                "exports/<int:job_id>/download/",
                view(self.export_download_view),
                name=f"{name}_export_download",
            ),
        ] + super().get_urls()

    # Import -------------------------------------------------------------------

    def import_action(self, request: HttpRequest, **kwargs) -> HttpResponse:
        """The upload form; a good upload becomes a job and its page."""
        if request.method != "POST":
            return super().import_action(request, **kwargs)
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_import_form(request)
        if form.is_valid():
            input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
            upload = form.cleaned_data["import_file"]
            data, is_csv = upload.read(), not input_format.is_binary()
            if len(data) > settings.TEEKA_IMPORT_READ_IN_REQUEST_BYTES:
                return self._read_in_background(request, upload.name, data, is_csv)
            try:
                sheet = import_jobs.read_masked(data, is_csv=is_csv)
            except import_jobs.UnreadableFileError as unreadable:
                form.add_error("import_file", unreadable.message)
            else:
                if not sheet.rows:
                    form.add_error("import_file", _("The file has no rows under its header."))
                else:
                    job = import_jobs.start_import(
                        user=request.user, file_name=upload.name, sheet=sheet
                    )
                    transaction.on_commit(lambda: tasks.check_import.delay(job.pk))
                    return redirect("admin:registrations_registration_import_job", job.pk)
        return self._import_form_page(request, form)

    def _read_in_background(
        self, request: HttpRequest, name: str, data: bytes, is_csv: bool
    ) -> HttpResponse:
        """A big file is read by a thread of this process (reading 50,000
        rows of XLSX takes longer than a request should), never handed on."""
        job = import_jobs.start_import(user=request.user, file_name=name, sheet=None)
        reader = threading.Thread(
            target=import_jobs.read_in_background,
            args=(job.pk, data),
            kwargs={"is_csv": is_csv, "then": lambda: tasks.check_import.delay(job.pk)},
            name=f"import-{job.pk}",
        )
        transaction.on_commit(reader.start)
        return redirect("admin:registrations_registration_import_job", job.pk)

    def _import_form_page(self, request: HttpRequest, form) -> TemplateResponse:
        """The library's upload page again, with the form's errors."""
        resources = [cls(user=request.user) for cls in self.get_import_resource_classes(request)]
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": _("Import"),
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "fields_list": [
                (r.get_display_name(), [f.column_name for f in r.get_user_visible_fields()])
                for r in resources
            ],
            "import_error_display": self.import_error_display,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def process_import(self, request: HttpRequest, **kwargs) -> HttpResponse:
        # Confirmation is on the job's page now; the library's form of a
        # file name kept on disk is not taken.
        messages.error(
            request, _("This import's preview has expired or is not yours. Upload the file again.")
        )
        return redirect("admin:registrations_registration_import")

    def import_jobs_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Paper-list imports"),
            "jobs": import_jobs.visible_jobs(request.user)
            .defer("report")
            .order_by("-created_at")[:100],
            "exports": ExportJob.objects.filter(created_by=request.user)
            .defer("content", "pks")
            .order_by("-created_at")[:20],
        }
        return TemplateResponse(request, f"{TEMPLATES}/import_jobs.html", context)

    def _import_job(self, request: HttpRequest, job_id: int) -> ImportJob:
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = import_jobs.visible_jobs(request.user).filter(pk=job_id).first()
        if job is None:
            raise Http404
        return job

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._import_job(request, job_id)
        report = job.report
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Paper list: %(name)s") % {"name": job.file_name},
            "job": job,
            "running": job.status in ImportJob.RUNNING and not import_jobs.reading_given_up(job),
            "given_up": import_jobs.reading_given_up(job),
            "refresh": REFRESH_SECONDS,
            "progress": import_jobs.progress(job),
            "report": report,
            **_labelled(report),
            "hidden_invalid": report.get("invalid_count", 0) - len(report.get("invalid", [])),
            "can_confirm": import_jobs.confirmable(job, request.user),
            "expired": job.status == ImportJob.Status.CHECKED and import_jobs.preview_expired(job),
        }
        return TemplateResponse(request, f"{TEMPLATES}/import_job.html", context)

    def import_confirm_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._import_job(request, job_id)
        if request.method != "POST":
            return redirect("admin:registrations_registration_import_job", job.pk)
        if not import_jobs.confirmable(job, request.user) or not import_jobs.claim_confirmation(
            job
        ):
            messages.error(
                request,
                _("This import's preview has expired or is not yours. Upload the file again."),
            )
            return redirect("admin:registrations_registration_import_job", job.pk)
        transaction.on_commit(lambda: tasks.write_import.delay(job.pk))
        return redirect("admin:registrations_registration_import_job", job.pk)

    # Export -------------------------------------------------------------------

    def _do_file_export(self, file_format, request: HttpRequest, queryset, export_form=None):
        """A small export answers at once; a big one goes to a worker."""
        limit = settings.TEEKA_EXPORT_IN_REQUEST_ROWS
        if queryset[: limit + 1].count() <= limit:
            return super()._do_file_export(file_format, request, queryset, export_form)
        job = export_jobs.start_export(
            user=request.user,
            queryset=queryset,
            file_format=file_format.get_extension(),
            fields=self.get_export_resource_fields_from_form(export_form) or (),
        )
        transaction.on_commit(lambda: tasks.write_export.delay(job.pk))
        return redirect("admin:registrations_registration_export_job", job.pk)

    def _export_job(self, request: HttpRequest, job_id: int) -> ExportJob:
        if not self.has_export_permission(request):
            raise PermissionDenied
        # Only the official who asked: anyone else is told it does not exist.
        job = (
            ExportJob.objects.defer("content", "pks")
            .filter(pk=job_id, created_by=request.user)
            .first()
        )
        if job is None:
            raise Http404
        return job

    def export_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._export_job(request, job_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Export: %(name)s") % {"name": job.file_name},
            "job": job,
            "running": job.status in (ExportJob.Status.QUEUED, ExportJob.Status.WRITING),
            "refresh": REFRESH_SECONDS,
            "can_download": export_jobs.downloadable(job, request.user),
        }
        return TemplateResponse(request, f"{TEMPLATES}/export_job.html", context)

    def export_download_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._export_job(request, job_id)
        if not export_jobs.downloadable(job, request.user):
            raise Http404
        content = ExportJob.objects.values_list("content", flat=True).get(pk=job.pk)
        kind = {
            export_jobs.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            export_jobs.CSV: "text/csv; charset=utf-8",
        }[job.file_format]
        response = HttpResponse(bytes(content), content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
        return response
