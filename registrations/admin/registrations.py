import re
import unicodedata

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from districts import access
from districts.models import District
from districts.scoped_admin import ScopedAdmin, ScopedRelatedFilter, scope
from teeka.admin import CappedCountPaginator
from teeka.spreadsheets import SafeCSV, SafeXLSX

from .. import duplicates, ids, import_template, validators
from ..models import Registration, mobile_ends_with
from ..resources import RegistrationExportResource, RegistrationImportResource
from ..services import RegistrationRefused, register_person
from ..signals import changed_by_official
from .filters import AgeBandFilter, LocalityFilter, StatusFilter
from .forms import (
    AllotForm,
    AssistedRegistrationForm,
    MarkDuplicateForm,
    ReasonForm,
    RegistrationChangeForm,
)
from .imports import BackgroundFilesMixin

ACTION_TEMPLATE = "admin/teeka/action_form.html"


# Fewer letters match too many people to be of use (and too few trigrams to
# narrow the index).
NAME_SEARCH_MIN_LETTERS = 3


@admin.register(Registration)
class RegistrationAdmin(ScopedAdmin, BackgroundFilesMixin, ImportExportMixin, SimpleHistoryAdmin):
    form = RegistrationChangeForm
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    # Short columns, so a row fits beside the filters on an office screen.
    list_display = (
        "display_ref",
        "name",
        "masked_mobile",
        "masked_id",
        "birth_year",
        "priority",
        "place",
        "status",
        "registered_on",
    )
    list_select_related = ("account", "district", "area", "locality")
    list_filter = (
        ("district", ScopedRelatedFilter),
        ("area", ScopedRelatedFilter),
        LocalityFilter,
        ("status", StatusFilter),
        "priority",
        AgeBandFilter,
        "registered_at",
    )
    search_fields = ("reference",)
    search_help_text = gettext_lazy(
        "Reference (like ABC-DEF-GHJ), the whole ID number, the last 4 or more digits "
        "of the mobile, or part of the name (3 letters or more)."
    )
    ordering = ("-registered_at",)
    # Only the columns an index sorts (reg_registered, the reference's unique
    # key): sorting millions of people by name or status took seconds; the
    # filters narrow by those instead (docs/performance.md, "Lists").
    sortable_by = ("display_ref", "registered_on")
    autocomplete_fields = ("area", "locality")
    readonly_fields = (
        "display_ref",
        "masked_mobile",
        "masked_id",
        "status",
        "doses",
        "last_dose",
        "registered_at",
        "queue_since",
        "not_before",
        "duplicate_of_ref",
        "registered_by",
        "no_mobile_reason",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "display_ref",
                    "status",
                    "name",
                    "gender",
                    "birth_year",
                    "masked_id",
                    "masked_mobile",
                    "no_mobile_reason",
                    "priority",
                    "ration_card",
                )
            },
        ),
        (
            gettext_lazy("Where they live"),
            {"fields": ("district", "area", "locality", "address_line", "pincode")},
        ),
        (
            gettext_lazy("Queue and doses"),
            {
                "fields": (
                    "registered_at",
                    "queue_since",
                    "not_before",
                    "doses",
                    "last_dose",
                    "duplicate_of_ref",
                    "registered_by",
                )
            },
        ),
    )
    actions = ("allot_to_session", "cancel_appointments", "resume_paused")
    resource_classes = (RegistrationImportResource,)
    import_template_name = "admin/registrations/registration/import.html"
    # Text cells and neutralised formulas on export (teeka.spreadsheets).
    formats = (SafeXLSX, SafeCSV)
    change_list_template = "admin/registrations/registration/change_list.html"

    # Columns -----------------------------------------------------------------

    @admin.display(description=gettext_lazy("reference"), ordering="reference")
    def display_ref(self, obj: Registration) -> str:
        return obj.display_reference

    @admin.display(description=gettext_lazy("mobile"))
    def masked_mobile(self, obj: Registration) -> str:
        return obj.account.masked_mobile() if obj.account_id else "—"

    @admin.display(description=gettext_lazy("photo ID"))
    def masked_id(self, obj: Registration) -> str:
        return obj.masked_id()

    @admin.display(description=gettext_lazy("village or ward"))
    def place(self, obj: Registration) -> str:
        return f"{obj.locality}, {obj.area}"

    @admin.display(description=gettext_lazy("registered at"), ordering="registered_at")
    def registered_on(self, obj: Registration) -> str:
        return date_format(timezone.localtime(obj.registered_at), "d-m-Y")

    # Registration's fields below have no verbose_name of their own (Django
    # would show their English attribute names): translated titles here.
    @admin.display(description=gettext_lazy("In the queue since"))
    def queue_since(self, obj: Registration) -> str:
        return self.shown(obj.queue_at)

    @admin.display(description=gettext_lazy("doses received"))
    def doses(self, obj: Registration) -> int:
        return obj.doses_received

    @admin.display(description=gettext_lazy("date of the last dose"))
    def last_dose(self, obj: Registration) -> str:
        return self.shown(obj.last_dose_date)

    @admin.display(description=gettext_lazy("duplicate of"))
    def duplicate_of_ref(self, obj: Registration) -> str:
        return self.shown(obj.duplicate_of.display_reference if obj.duplicate_of_id else None)

    @admin.display(description=gettext_lazy("registered by"))
    def registered_by(self, obj: Registration) -> str:
        return self.shown(obj.created_by)

    def shown(self, value) -> str:
        """A value as the admin shows a field's: local time, "-" for none."""
        return display_for_value(value, self.get_empty_value_display())

    # Search, permissions, import and export ----------------------------------

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """A reference, a whole ID number, the last digits of a mobile (in any
        script's digits) or part of a name: each hits an index, never a scan
        across the state."""
        term = ids.ascii_digits(search_term).strip()
        if not term:
            return queryset, False
        reference = ids.clean_reference(term)
        if reference:
            queryset = queryset.filter(reference=reference)
        elif (by_id := self._by_id_number(queryset, term)) is not None:
            queryset = by_id
        else:
            queryset = self._by_mobile(queryset, term)
        return self.scope_queryset(queryset, request), False

    def _by_id_number(self, queryset: QuerySet, term: str) -> QuerySet | None:
        """The registrations of the ID number `term` (by its keyed hash, as
        registering computes it), or None when it is no ID number or, being
        all digits, could be a mobile's and no ID matches."""
        kinds = validators.id_types_of(term)
        if not kinds:
            return None
        condition = Q()
        for id_type, number in kinds:
            condition |= Q(id_type=id_type, id_hash=ids.hash_id_number(id_type, number))
        found = queryset.filter(condition)
        has_letters = any(c.isalpha() for c in term)
        return found if has_letters or found.exists() else None

    def _by_mobile(self, queryset: QuerySet, term: str) -> QuerySet:
        # Letters with their marks: a Devanagari vowel sign is not isalpha().
        if sum(unicodedata.category(c)[0] in "LM" for c in term) >= NAME_SEARCH_MIN_LETTERS:
            # Any part of a name, any case: the trigram index reg_name_trgm.
            return queryset.filter(name__icontains=" ".join(term.split()))
        mobile = validators.normalise_mobile(term)
        digits = mobile[3:] if mobile else re.sub(r"\D", "", term)
        if mobile or (len(digits) >= 4 and len(digits) == len(re.sub(r"[\s+\-]", "", term))):
            return queryset.filter(**mobile_ends_with(digits, "account__"))
        return queryset.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # People are added through assisted registration (register_person), never a raw form.
        return False

    def may_register(self, request: HttpRequest) -> bool:
        """Assisted registration: what the add permission would be."""
        return super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_import_permission(self, request: HttpRequest) -> bool:
        return (
            self.has_view_permission(request)
            and access.allows_all(request.user, access.PEOPLE_IMPORT)
            and request.user.has_perm("registrations.import_registration")
        )

    def has_export_permission(self, request: HttpRequest) -> bool:
        return (
            self.has_view_permission(request)
            and access.allows_all(request.user, access.PEOPLE_EXPORT)
            and request.user.has_perm("registrations.export_registration")
        )

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs) -> dict:
        return {"user": request.user}

    def get_export_resource_classes(self, request: HttpRequest) -> list:
        return [RegistrationExportResource]

    def save_model(self, request: HttpRequest, obj: Registration, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            changed_by_official.send(
                sender=Registration,
                registration=obj,
                user=request.user,
                changed=[str(form.fields[name].label) for name in form.changed_data],
                request=request,
            )

    def get_actions(self, request: HttpRequest) -> dict:
        from slots.models import Appointment

        actions = super().get_actions(request)
        if not self.admin_site.get_model_admin(Appointment).may_allot(request):
            actions.pop("allot_to_session", None)
            actions.pop("cancel_appointments", None)
        return actions

    # Extra pages -------------------------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("register/", view(self.register_view), name="registrations_registration_register"),
            path(
                "duplicates/",
                view(self.duplicates_view),
                name="registrations_registration_duplicates",
            ),
            path(
                "<int:object_id>/slip/",
                view(self.slip_view),
                name="registrations_registration_slip",
            ),
            path(
                "import-template/",
                view(self.import_template_view),
                name="registrations_registration_import_template",
            ),
        ] + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_register": self.may_register(request),
        }
        return super().changelist_view(request, extra_context)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        """The paper-list template for one of the official's districts
        (?district=LGD code; else their first)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        districts = scope(District.objects.all(), request.user, path="pk")
        typed = request.GET.get("district", "")
        district = (districts.filter(pk=typed).first() if typed.isdigit() else None) or (
            districts.first()
        )
        if district is None:
            raise PermissionDenied
        response = HttpResponse(
            import_template.workbook(district),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"teeka-paper-list-{district.name_en.lower().replace(' ', '-')}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def register_view(self, request: HttpRequest) -> HttpResponse:
        """Assisted registration: someone at the desk or on the phone."""
        if not self.may_register(request):
            raise PermissionDenied
        form = AssistedRegistrationForm(
            request.POST or None, user=request.user, initial=self._initial_place(request)
        )
        if request.method == "POST" and "_refresh" not in request.POST and form.is_valid():
            registration = self._register(request, form)
            if registration is not None:
                messages.success(
                    request,
                    _("Registered %(ref)s. Print the slip for them.")
                    % {"ref": registration.display_reference},
                )
                return redirect("admin:registrations_registration_slip", registration.pk)
        if "_refresh" in request.POST:
            form.errors.clear()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("Register a person"),
        }
        return TemplateResponse(request, "admin/registrations/registration/register.html", context)

    def _initial_place(self, request: HttpRequest) -> dict:
        districts = list(scope(District.objects.all(), request.user, "pk")[:2])
        return {"district": districts[0].pk} if len(districts) == 1 else {}

    def _register(
        self, request: HttpRequest, form: AssistedRegistrationForm
    ) -> Registration | None:
        from ..models import Account

        mobile = form.cleaned_data["mobile"]
        account = Account.objects.get_or_create(mobile=mobile)[0] if mobile else None
        try:
            return register_person(
                account=account,
                details=form.details(),
                by=request.user,
                no_mobile_reason="" if mobile else form.cleaned_data["no_mobile_reason"],
            )
        except RegistrationRefused as refusal:
            form.add_error(None, refusal.message)
            return None

    def slip_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        registration = self.visible_or_404(request, object_id)
        context = {
            "registration": registration,
            "qr_svg": _qr_svg(registration.reference),
            "printed_at": timezone.localtime(),
        }
        return TemplateResponse(request, "admin/registrations/registration/slip.html", context)

    def duplicates_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        visible = self.get_queryset(request)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            self._mark_duplicate(request, visible)
            return HttpResponseRedirect(request.get_full_path())
        kind = request.GET.get("kind", "person")
        further = walked = None
        if kind == "mobile":
            groups = duplicates.same_mobile_groups(visible)
        elif kind == "spelling":
            groups = duplicates.normal_form_groups(visible)
        else:
            kind, start = "person", request.GET.get("from", "")
            found = duplicates.same_person_groups(
                visible, start=int(start) if start.isdigit() else None
            )
            groups, further, walked = found.groups, found.further, found.walked
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Possible duplicates"),
            "groups": groups,
            "kind": kind,
            "further": further,
            "walked": walked,
            "can_change": self.has_change_permission(request),
        }
        return TemplateResponse(
            request, "admin/registrations/registration/duplicates.html", context
        )

    def _mark_duplicate(self, request: HttpRequest, visible: QuerySet) -> None:
        if "checked_flag" in request.POST:
            self._mark_checked(request, visible)
            return
        form = MarkDuplicateForm(request.POST, registrations=visible)
        if not form.is_valid():
            messages.error(request, _("Choose which one to keep and give a reason."))
            return
        data = form.cleaned_data
        try:
            duplicates.mark_duplicate(
                duplicate=data["duplicate"],
                original=data["original"],
                by=request.user,
                reason=data["reason"],
            )
        except duplicates.DuplicateRefused as refusal:
            messages.error(request, refusal.message)
            return
        messages.success(
            request,
            _("%(dup)s is marked as a duplicate of %(keep)s.")
            % {
                "dup": data["duplicate"].display_reference,
                "keep": data["original"].display_reference,
            },
        )

    def _mark_checked(self, request: HttpRequest, visible: QuerySet) -> None:
        pk = request.POST["checked_flag"]
        flag = duplicates.visible_flags(visible).filter(pk=pk).first() if pk.isdigit() else None
        if flag is None:
            messages.error(request, _("That entry is no longer on the list."))
            return
        duplicates.mark_checked(flag=flag, by=request.user)
        messages.success(request, _("Marked as checked; it leaves the list."))

    # Actions -------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Allot the selected people to a session"))
    def allot_to_session(self, request: HttpRequest, queryset: QuerySet):
        from slots.admin.sessions import open_sessions_for
        from slots.services import AllotmentError, allot

        form = AllotForm(
            request.POST if "apply" in request.POST else None,
            sessions=open_sessions_for(request.user),
        )
        if not form.is_valid() or _against_wishes(form, queryset):
            return _action_page(
                request, queryset, form, "allot_to_session", _("Allot to a session")
            )
        session, reason = form.cleaned_data["session"], form.cleaned_data["reason"]
        for registration in queryset:
            try:
                allot(
                    registration=registration,
                    session=session,
                    by=request.user,
                    reason=reason or _("Allotted by an official"),
                    override_wishes=form.cleaned_data["override_wishes"],
                )
            except AllotmentError as error:
                self.message_user(
                    request, f"{registration.display_reference}: {error.message}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _("%(ref)s allotted to %(session)s.")
                    % {"ref": registration.display_reference, "session": session},
                )
        return None

    @admin.action(
        description=gettext_lazy("Resume the selected paused people"), permissions=["change"]
    )
    def resume_paused(self, request: HttpRequest, queryset: QuerySet) -> None:
        """For a person who paused and asks the help desk to go on: back to
        waiting at their own place in the queue."""
        from slots.services import resume_registration

        resumed = sum(
            resume_registration(registration=registration, by=request.user)
            for registration in queryset.filter(status=Registration.Status.PAUSED)
        )
        self.message_user(
            request,
            ngettext(
                "%(n)d person resumed: waiting again at their place in the queue.",
                "%(n)d people resumed: waiting again at their place in the queue.",
                resumed,
            )
            % {"n": resumed},
        )

    @admin.action(description=gettext_lazy("Cancel the selected people's appointments"))
    def cancel_appointments(self, request: HttpRequest, queryset: QuerySet):
        from slots.models import Appointment
        from slots.services import AllotmentError, cancel_appointment

        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return _action_page(
                request, queryset, form, "cancel_appointments", _("Cancel appointments")
            )
        booked = Appointment.objects.filter(
            registration__in=queryset, status=Appointment.Status.BOOKED
        )
        cancelled = 0
        for appointment in booked.select_related("registration"):
            try:
                cancel_appointment(
                    appointment=appointment, by=request.user, reason=form.cleaned_data["reason"]
                )
                cancelled += 1
            except AllotmentError as error:
                self.message_user(request, error.message, messages.ERROR)
        self.message_user(
            request,
            ngettext(
                "%(n)d appointment cancelled; that person is back in the queue at their place.",
                "%(n)d appointments cancelled; those people are back in the queue at their place.",
                cancelled,
            )
            % {"n": cancelled},
        )
        return None


def _against_wishes(form: AllotForm, queryset: QuerySet) -> bool:
    """Warns, on the form, of the people who asked not to have this session,
    unless the official has ticked to override: True if it warned."""
    from slots.services import AgainstWishes, check_wishes

    if form.cleaned_data["override_wishes"]:
        return False
    warnings = []
    for registration in queryset:
        try:
            check_wishes(registration=registration, session=form.cleaned_data["session"])
        except AgainstWishes as wish:
            warnings.append(f"{registration.display_reference}: {wish.message}")
    for warning in warnings:
        form.add_error("override_wishes", warning)
    return bool(warnings)


def _action_page(request: HttpRequest, queryset: QuerySet, form, action: str, title: str):
    context = {
        **admin.site.each_context(request),
        "title": title,
        "form": form,
        "action": action,
        "queryset": queryset[:200],
        "count": queryset.count(),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "opts": queryset.model._meta,
    }
    return TemplateResponse(request, ACTION_TEMPLATE, context)


def _qr_svg(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")
