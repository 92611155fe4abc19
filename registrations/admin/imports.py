"""An import's file between its preview and its confirmation.

django-import-export writes the upload whole to the system's temp folder and
trusts the confirm form's file name. Here the upload is read in memory (see
FILE_UPLOAD_HANDLERS), its ID column is masked at once
(registrations.resources.mask_id_numbers), and only the masked copy waits,
in the cache for TEEKA_IMPORT_PREVIEW_SECONDS (teeka.spreadsheets.PreviewStorage).
Its key goes into the signed-in session; a confirmation naming any other key
is refused.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV

from teeka import spreadsheets

from ..resources import mask_id_numbers

SESSION_KEY = "teeka_import_previews"
# A few previews open at once (tabs); older keys are forgotten.
KEPT_PREVIEWS = 5


class PrivateImportMixin:
    def write_to_tmp_storage(self, import_file, input_format):
        data = b"".join(import_file.chunks())
        if not input_format.is_binary():
            data = data.decode(self.from_encoding)
        dataset = mask_id_numbers(input_format.create_dataset(data))
        # Stored in the format it came in, since the library reads it back so.
        if isinstance(input_format, CSV):
            masked = spreadsheets.csv_text(dataset, neutralise=False)
        else:
            masked = spreadsheets.xlsx_bytes("import", [dataset.headers, *dataset])
        storage = self.get_tmp_storage_class()(
            encoding=getattr(input_format, "encoding", None),
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),
        )
        storage.save(masked)
        return storage

    def import_action(self, request: HttpRequest, **kwargs) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        confirm_form = getattr(response, "context_data", {}).get("confirm_form")
        if confirm_form is not None:
            key = confirm_form.initial["import_file_name"]
            keys = [*request.session.get(SESSION_KEY, []), key][-KEPT_PREVIEWS:]
            request.session[SESSION_KEY] = keys
        return response

    def process_import(self, request: HttpRequest, **kwargs) -> HttpResponse:
        key = request.POST.get("import_file_name", "")
        keys = request.session.get(SESSION_KEY, [])
        if (
            request.method == "POST"
            and self.has_import_permission(request)
            and not (key in keys and self.get_tmp_storage_class()(name=key).exists())
        ):
            messages.error(
                request,
                _("This import's preview has expired or is not yours. Upload the file again."),
            )
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        response = super().process_import(request, **kwargs)
        if key in keys:
            request.session[SESSION_KEY] = [k for k in keys if k != key]
        return response
