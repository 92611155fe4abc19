from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from districts.scoped_admin import ScopedAdmin
from registrations.admin.forms import ReasonForm
from registrations.admin.registrations import _action_page
from teeka.admin import CappedCountPaginator

from ..models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(ScopedAdmin, SimpleHistoryAdmin):
    scope_path = "session__district"
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_display = ("reference", "person", "session", "dose", "status", "allotted_by", "created_at")
    list_select_related = ("registration", "session__centre", "allotted_by")
    list_filter = ("status", "dose", "session__date")
    search_fields = ("registration__reference",)
    fields = (
        "registration",
        "session",
        "dose",
        "status",
        "allotted_by",
        "created_at",
        "attended_at",
        "batch_number",
        "cancelled_at",
        "cancel_reason",
    )
    readonly_fields = fields
    actions = ("cancel_selected",)

    @admin.display(description=gettext_lazy("reference"), ordering="registration__reference")
    def reference(self, obj: Appointment) -> str:
        return obj.registration.display_reference

    @admin.display(description=gettext_lazy("name"))
    def person(self, obj: Appointment) -> str:
        return obj.registration.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Seats are booked only through the engine's allot() (the registrations list).
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Cancel the selected appointments"), permissions=["change"]
    )
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet):
        from ..services import AllotmentError, cancel_appointment

        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return _action_page(
                request, queryset, form, "cancel_selected", _("Cancel appointments")
            )
        done = 0
        for appointment in queryset.filter(status=Appointment.Status.BOOKED):
            try:
                cancel_appointment(
                    appointment=appointment, by=request.user, reason=form.cleaned_data["reason"]
                )
                done += 1
            except AllotmentError as error:
                self.message_user(request, error.message, messages.ERROR)
        message = ngettext("%(n)d appointment cancelled.", "%(n)d appointments cancelled.", done)
        self.message_user(request, message % {"n": done})
        return None
