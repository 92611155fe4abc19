"""The help-desk queue in the admin: tickets of the official's districts,
oldest first, with the SLA clock, and the work done on one ticket (assign,
reply, resolve, reopen, move a registration) through helpdesk.services."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from districts import access
from districts.scoped_admin import MatrixAdmin
from districts.scoping import scope, visible_district_ids
from registrations.validators import normalise_mobile, validate_mobile

from . import services
from .models import Ticket, TicketEvent, clean_ticket_reference


class QueueFilter(admin.SimpleListFilter):
    """Which tickets to show; unless asked otherwise, those not yet closed."""

    title = gettext_lazy("queue")
    parameter_name = "queue"
    default = "waiting"

    def lookups(self, request, model_admin):
        return [
            ("waiting", gettext_lazy("Not closed")),
            ("overdue", gettext_lazy("Overdue")),
            ("escalated", gettext_lazy("Escalated")),
            ("mine", gettext_lazy("Assigned to me")),
            ("closed", gettext_lazy("Closed")),
            ("all", gettext_lazy("All")),
        ]

    def choices(self, changelist):
        current = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        return {
            "waiting": lambda: queryset.unresolved(),
            "overdue": lambda: queryset.overdue(now),
            "escalated": lambda: queryset.unresolved().filter(escalated_at__isnull=False),
            "mine": lambda: queryset.unresolved().filter(assigned_to=request.user),
            "closed": lambda: queryset.filter(status=Ticket.Status.RESOLVED),
            "all": lambda: queryset,
        }.get(self.value() or self.default, lambda: queryset)()


class TicketEventInline(MatrixAdmin, admin.TabularInline):
    model = TicketEvent
    fields = ["at", "kind", "by", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("What was done")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReplyForm(forms.Form):
    text = forms.CharField(max_length=600)


class NoteForm(forms.Form):
    text = forms.CharField(max_length=600, required=False)


class MoveForm(forms.Form):
    mobile = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=200)

    def clean_mobile(self) -> str:
        return validate_mobile(self.cleaned_data["mobile"])


# What an operator typed into a piece of work that was refused, kept for the
# ticket page the refusal redirects to, so nothing has to be typed again.
TYPED_KEY = "helpdesk_typed"
TYPED_FIELDS = ("text", "mobile", "reason")


def _keep_typed(request: HttpRequest, ticket: Ticket, action: str) -> None:
    typed = {name: request.POST.get(name, "") for name in TYPED_FIELDS}
    request.session[TYPED_KEY] = {"ticket": ticket.pk, "action": action, **typed}


def _typed_for(request: HttpRequest, ticket: Ticket | None) -> dict:
    typed = request.session.pop(TYPED_KEY, None) or {}
    return typed if ticket is not None and typed.get("ticket") == ticket.pk else {}


def _first_error(form: forms.Form) -> str:
    return next(iter(form.errors.values()))[0]


@admin.register(Ticket)
class TicketAdmin(MatrixAdmin, admin.ModelAdmin):
    change_form_template = "helpdesk/admin/ticket_change_form.html"
    # The clock first: on a narrow screen it is what must not scroll away.
    list_display = [
        "display_reference",
        "sla_clock",
        "raised",
        "category",
        "district",
        "masked_mobile",
        "assigned_to",
        "status",
    ]
    list_display_links = ["display_reference"]
    list_select_related = ["district", "assigned_to"]
    list_filter = [QueueFilter, "category", ("district", admin.RelatedOnlyFieldListFilter)]
    ordering = ["created_at", "pk"]
    search_fields = ["reference"]
    search_help_text = gettext_lazy("A ticket reference or the citizen's mobile number.")
    show_full_result_count = False
    actions = ["assign_to_me"]
    inlines = [TicketEventInline]
    fieldsets = [
        (None, {"fields": ["display_reference", "status", "sla_clock", "assigned_to"]}),
        (
            gettext_lazy("From the citizen"),
            {
                "fields": [
                    "masked_mobile",
                    "language",
                    "category",
                    "district",
                    "registration_link",
                    "description",
                    "created_at",
                ]
            },
        ),
        (
            gettext_lazy("Clock"),
            {
                "fields": [
                    "respond_by",
                    "first_response_at",
                    "resolve_by",
                    "resolved_at",
                    "escalated_at",
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["helpdesk/admin.css"]}

    # Who sees what: the official's districts, in one place.
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope(super().get_queryset(request), request.user)

    def get_list_display(self, request: HttpRequest) -> list[str]:
        ids = visible_district_ids(request.user)
        if ids is not None and len(ids) == 1:
            return [f for f in self.list_display if f != "district"]
        return self.list_display

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def has_add_permission(self, request) -> bool:
        return False  # tickets come from citizens, through /help/

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was asked and done stays

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        reference, mobile = clean_ticket_reference(term), normalise_mobile(term)
        if reference:
            return queryset.filter(reference=reference), False
        if mobile:
            return queryset.filter(mobile=mobile), False
        return queryset.none(), False

    @admin.display(description=gettext_lazy("reference"), ordering="reference")
    def display_reference(self, ticket: Ticket) -> str:
        return ticket.display_reference

    @admin.display(description=gettext_lazy("raised at"), ordering="created_at")
    def raised(self, ticket: Ticket) -> str:
        return formats.date_format(timezone.localtime(ticket.created_at), "j M, H:i")

    @admin.display(description=gettext_lazy("mobile"))
    def masked_mobile(self, ticket: Ticket) -> str:
        return ticket.masked_mobile()

    @admin.display(description=gettext_lazy("SLA clock"))
    def sla_clock(self, ticket: Ticket) -> str:
        now = timezone.now()
        if ticket.is_resolved():
            return _("closed")
        if ticket.first_response_at is None:
            what, due = _("first answer"), ticket.respond_by
        else:
            what, due = _("resolution"), ticket.resolve_by
        if due < now:
            late = timeuntil(now, due, depth=1)
            label = _("%(what)s overdue by %(time)s") % {"what": what, "time": late}
            return format_html('<span class="sla-overdue">{}</span>', label)
        left = timeuntil(due, now, depth=1)
        label = _("%(what)s due in %(time)s") % {"what": what, "time": left}
        return format_html('<span class="sla-due">{}</span>', label)

    @admin.display(description=gettext_lazy("registration"))
    def registration_link(self, ticket: Ticket) -> str:
        registration = ticket.registration
        if registration is None:
            return "—"
        try:
            url = reverse("admin:registrations_registration_change", args=[registration.pk])
        except NoReverseMatch:
            return registration.display_reference
        # The registration page notes a change saved there on this ticket.
        url += "?" + urlencode({"ticket": ticket.display_reference})
        return format_html('<a href="{}">{}</a>', url, registration)

    @admin.action(description=gettext_lazy("Assign the selected tickets to me"))
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        for ticket in queryset:
            services.assign_to_self(ticket=ticket, by=request.user)
        self.message_user(request, _("Assigned to you."), messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_work": ticket is not None and self.has_change_permission(request, ticket),
            "can_move": self.may_move(request),
            "typed": _typed_for(request, ticket),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def may_move(self, request: HttpRequest) -> bool:
        return access.allows(
            request.user, access.Subject.TICKETS, access.MOVE
        ) and request.user.has_perm("helpdesk.move_registration")

    def get_urls(self):
        work = self.admin_site.admin_view(self.work_view)
        return [
            path("<path:object_id>/work/<str:action>/", work, name="helpdesk_ticket_work"),
            *super().get_urls(),
        ]

    def work_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """One POST per piece of work; the answer is the ticket page with a message."""
        if request.method != "POST" or action not in self.WORK:
            raise Http404
        ticket = self.get_object(request, object_id)  # scoped: another district is a 404
        if ticket is None:
            raise Http404
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        try:
            done = self.WORK[action](self, request, ticket)
        except services.HelpdeskError as refusal:
            _keep_typed(request, ticket, action)
            self.message_user(request, refusal.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        url = reverse("admin:helpdesk_ticket_change", args=[ticket.pk])
        return HttpResponseRedirect(url + "#helpdesk-work")

    def _assign(self, request: HttpRequest, ticket: Ticket) -> str:
        services.assign_to_self(ticket=ticket, by=request.user)
        return _("The ticket is assigned to you.")

    def _reply(self, request: HttpRequest, ticket: Ticket) -> str:
        form = ReplyForm(request.POST)
        if not form.is_valid():
            raise services.HelpdeskError(_("Write the reply first (at most 600 characters)."))
        services.reply(ticket=ticket, by=request.user, text=form.cleaned_data["text"])
        return _("Reply sent to the citizen by SMS.")

    def _resolve(self, request: HttpRequest, ticket: Ticket) -> str:
        form = NoteForm(request.POST)
        note = form.cleaned_data["text"] if form.is_valid() else ""
        services.resolve(ticket=ticket, by=request.user, note=note)
        return _("The ticket is closed.")

    def _reopen(self, request: HttpRequest, ticket: Ticket) -> str:
        form = NoteForm(request.POST)
        reason = form.cleaned_data["text"] if form.is_valid() else ""
        services.reopen(ticket=ticket, by=request.user, reason=reason)
        return _("The ticket is open again, with a fresh clock.")

    def _move(self, request: HttpRequest, ticket: Ticket) -> str:
        if not self.may_move(request):
            raise PermissionDenied
        form = MoveForm(request.POST)
        if not form.is_valid():
            raise services.HelpdeskError(_first_error(form))
        services.move_ticket_registration(ticket=ticket, by=request.user, **form.cleaned_data)
        return _("The registration is now on the rightful mobile, in the same queue place.")

    WORK = {
        "assign": _assign,
        "reply": _reply,
        "resolve": _resolve,
        "reopen": _reopen,
        "move": _move,
    }
