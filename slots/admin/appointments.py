import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from districts.scoped_admin import ScopedAdmin
from registrations import ids
from registrations.admin.forms import ReasonForm
from registrations.admin.registrations import _action_page
from teeka.admin import CappedCountPaginator

from ..models import Appointment, Session


class DoseFilter(admin.SimpleListFilter):
    """Dose 1 or 2. Django's filter for a field without choices offers the
    values found by SELECT DISTINCT over every appointment (a second at
    10,000,000 people, on every page of the list)."""

    title = gettext_lazy("dose")
    parameter_name = "dose"

    def lookups(self, request, model_admin) -> list:
        return [(1, _("Dose 1")), (2, _("Dose 2"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(dose=int(value)) if value in ("1", "2") else queryset


class DayFilter(admin.SimpleListFilter):
    """The appointments of one session day (a date from a few days back to
    a week ahead offered, any other as ?day=YYYY-MM-DD). One day, not a
    range: a day's appointments are found through its sessions (a few
    thousand across the state) and sorted, so a day costs what it holds;
    a range of days, or a walk of every appointment newest first hoping to
    meet the day's, took seconds at 10,000,000 people (docs/performance.md)."""

    title = gettext_lazy("session day")
    parameter_name = "day"
    NAMED = {-1: gettext_lazy("Yesterday"), 0: gettext_lazy("Today"), 1: gettext_lazy("Tomorrow")}

    def lookups(self, request, model_admin) -> list:
        today = timezone.localdate()
        days = (today + datetime.timedelta(days=n) for n in range(-3, 8))
        return [
            (day.isoformat(), self.NAMED.get((day - today).days) or formats.date_format(day))
            for day in days
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        day = self.day()
        if day is None:
            return queryset
        # The ids themselves, not a join or a subquery: the planner then
        # counts how many appointments those sessions hold and reads them
        # through appointment_session_status; joined, it guessed too many and
        # read every appointment.
        sessions = list(Session.objects.filter(date=day).values_list("pk", flat=True))
        return queryset.filter(session_id__in=sessions)

    def day(self) -> datetime.date | None:
        try:
            return datetime.date.fromisoformat(self.value() or "")
        except ValueError:
            return None


@admin.register(Appointment)
class AppointmentAdmin(ScopedAdmin, SimpleHistoryAdmin):
    scope_path = "session__district"
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_display = (
        "reference",
        "person",
        "session_label",
        "dose",
        "status",
        "allotted_by",
        "created_at",
    )
    list_select_related = ("registration", "session__centre", "allotted_by")
    list_filter = ("status", DoseFilter, DayFilter)
    search_fields = ("registration__reference",)
    # Newest first, by the primary key: every other column is another
    # table's or has no index, and sorting millions of appointments by it
    # took seconds (docs/performance.md, "Lists").
    ordering = ("-pk",)
    sortable_by = ()

    def get_ordering(self, request: HttpRequest) -> list:
        if request.GET.get(DayFilter.parameter_name):
            # Still newest first, but by an expression no index gives: the
            # day's appointments are found first and then sorted, instead of
            # the primary key walked back until the day's turn up (all of
            # them, for a day that has none).
            return [(F("pk") + 0).desc()]
        return list(self.ordering)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """The person's reference, typed any way (ABC-DEF-GHJ): one lookup in
        its unique index. "Contains" on the reference read every appointment
        of the state (7 s at 10,000,000 people); anything that is no
        reference finds nothing."""
        term = ids.ascii_digits(search_term).strip()
        if not term:
            return queryset, False
        reference = ids.clean_reference(term)
        found = queryset.filter(registration__reference=reference) if reference else queryset.none()
        return self.scope_queryset(found, request), False

    fields = (
        "reference",
        "person",
        "session_label",
        "dose",
        "status",
        "allotted_by",
        "created_at",
        "vaccinated_at",
        "batch_number",
        "cancelled_on",
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

    # Appointment's keys and times below have no verbose_name of their own.
    @admin.display(description=gettext_lazy("vaccinated at"))
    def vaccinated_at(self, obj: Appointment) -> str:
        return display_for_value(obj.attended_at, self.get_empty_value_display())

    @admin.display(description=gettext_lazy("cancelled at"))
    def cancelled_on(self, obj: Appointment) -> str:
        return display_for_value(obj.cancelled_at, self.get_empty_value_display())

    @admin.display(description=gettext_lazy("session"), ordering="session__date")
    def session_label(self, obj: Appointment) -> str:
        return str(obj.session)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Seats are booked only through the engine's allot() (the registrations list).
        return False

    def may_allot(self, request: HttpRequest) -> bool:
        """Allotting by hand (allot()): what the add permission would be."""
        return super().has_add_permission(request)

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
