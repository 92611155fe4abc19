from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_create_with_history

from districts.models import District
from districts.scoped_admin import ScopedAdmin, ScopedRelatedFilter, scope
from quotas.models import Category, Rollover
from registrations.models import Registration
from teeka import spreadsheets
from teeka.replicas import replica_reads

from ..forms import CancelSessionForm, CapacityForm, RunAllocationForm, WeekPlanForm
from ..models import Appointment, Centre, Session


def _rollover_line(row: Rollover) -> str:
    if row.to_category is None:
        text = ngettext(
            "Rolled over: %(n)d seat of %(giver)s to people in no category",
            "Rolled over: %(n)d seats of %(giver)s to people in no category",
            row.seats,
        )
    else:
        text = ngettext(
            "Rolled over: %(n)d seat of %(giver)s to %(taker)s",
            "Rolled over: %(n)d seats of %(giver)s to %(taker)s",
            row.seats,
        )
    taker = row.to_category.name if row.to_category else ""
    return text % {"n": row.seats, "giver": row.from_category.name, "taker": taker}


def open_sessions_for(user) -> QuerySet:
    """Sessions an official may allot people to by hand."""
    sessions = Session.objects.filter(status=Session.Status.ACTIVE, date__gte=timezone.localdate())
    return scope(sessions, user).select_related("centre").order_by("date", "centre__name")


def _chosen(request: HttpRequest, districts: QuerySet) -> District | None:
    """The district to plan: the user's only one, or the one chosen (?district=)."""
    if len(districts) == 1:
        return districts[0]
    chosen = request.GET.get("district", "")
    return next((d for d in districts if str(d.pk) == chosen), None)


def day_list(session: Session) -> QuerySet:
    return (
        session.appointments.filter(status__in=Appointment.ACTIVE)
        .select_related("registration")
        .order_by("registration__name", "registration__reference")
    )


@admin.register(Session)
class SessionAdmin(ScopedAdmin, SimpleHistoryAdmin):
    # Short columns, so the whole row fits beside the filters on an office screen.
    list_display = (
        "centre_name",
        "day",
        "vaccine",
        "dose_number",
        "age_band",
        "bookings",
        "seats_left",
        "state",
    )
    list_select_related = ("centre",)
    list_filter = (
        "status",
        "published",
        "vaccine",
        "dose",
        "date",
        ("centre__area", ScopedRelatedFilter),
        ("district", ScopedRelatedFilter),
    )
    search_fields = ("centre__name",)
    date_hierarchy = "date"
    autocomplete_fields = ("centre",)
    actions = ("publish",)
    change_form_template = "admin/slots/session/change_form.html"
    change_list_template = "admin/slots/session/change_list.html"

    # Session.centre has no verbose_name of its own: these columns carry a
    # translated title instead of the bare attribute name.
    @admin.display(description=gettext_lazy("vaccination centre"), ordering="centre__name")
    def centre_name(self, obj: Session) -> str:
        return str(obj.centre)

    @admin.display(description=gettext_lazy("date"), ordering="date")
    def day(self, obj: Session) -> str:
        return date_format(obj.date, "D d-m-Y")

    @admin.display(description=gettext_lazy("dose"), ordering="dose")
    def dose_number(self, obj: Session) -> int:
        return obj.dose

    @admin.display(description=gettext_lazy("ages"))
    def age_band(self, obj: Session) -> str:
        return f"{obj.min_age}+" if obj.max_age is None else f"{obj.min_age}–{obj.max_age}"

    @admin.display(description=gettext_lazy("booked"), ordering="booked")
    def bookings(self, obj: Session) -> str:
        return f"{obj.booked} / {obj.capacity}"

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def state(self, obj: Session) -> str:
        if obj.status == Session.Status.ACTIVE and not obj.published:
            return _("Not published")
        return obj.get_status_display()

    @admin.display(description=gettext_lazy("seats left"))
    def seats_left(self, obj: Session) -> int:
        return obj.seats_left()

    def get_fields(self, request: HttpRequest, obj: Session | None = None) -> list:
        return [
            "centre" if obj is None else "centre_name",
            "date",
            "start_time",
            "end_time",
            "vaccine",
            "dose",
            "min_age",
            "max_age",
            "capacity",
            "booked",
            "published",
            "status",
            "cancel_reason",
            *(["category_seats"] if obj is not None else []),
        ]

    @admin.display(description=gettext_lazy("seats by category"))
    def category_seats(self, obj: Session) -> str:
        """The seats counted against each category's share, and the rollover:
        which share gave how many seats to which category."""
        counted = (
            obj.appointments.filter(status__in=Appointment.ACTIVE, share_of__isnull=False)
            .values_list("share_of")
            .annotate(n=Count("id"))
            .order_by()
        )
        counted = dict(counted)
        names = {c.pk: c.name for c in Category.objects.filter(pk__in=counted)}
        rollovers = obj.rollovers.select_related("from_category", "to_category").order_by(
            "from_category__position", "to_category__position"
        )
        if not counted and not rollovers:
            return _("No category quota applied to this session's seats.")
        lines = [
            _("%(category)s: %(n)d seats") % {"category": names[pk], "n": n}
            for pk, n in sorted(counted.items(), key=lambda item: str(names[item[0]]))
        ]
        lines += [_rollover_line(row) for row in rollovers]
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((li,) for li in lines))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Session | None = None) -> tuple:
        if obj is None:
            return ("booked", "status", "cancel_reason")
        # Capacity and cancelling have their own pages (the engine's rules);
        # what people were booked for does not change under them.
        return (
            "centre_name",
            "date",
            "vaccine",
            "dose",
            "min_age",
            "max_age",
            "capacity",
            "booked",
            "status",
            "cancel_reason",
            "category_seats",
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "centre":
            kwargs["queryset"] = scope(Centre.objects.filter(active=True), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Session, form, change: bool) -> None:
        obj.district_id = obj.centre.district_id
        super().save_model(request, obj, form, change)
        if obj.published:
            _request_allocation(obj.district_id)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Publish the selected sessions"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        districts = set()
        for session in queryset.filter(published=False, status=Session.Status.ACTIVE):
            session.published = True
            session._change_reason = "published"
            session.save(update_fields=["published"])
            districts.add(session.district_id)
        for district_id in districts:
            _request_allocation(district_id)
        self.message_user(request, _("Sessions published; the allocator fills them shortly."))

    # Extra pages -------------------------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("plan/", view(self.plan_view), name="slots_session_plan"),
            path("allocate/", view(self.allocate_view), name="slots_session_allocate"),
            path(
                "<int:object_id>/capacity/", view(self.capacity_view), name="slots_session_capacity"
            ),
            path("<int:object_id>/cancel/", view(self.cancel_view), name="slots_session_cancel"),
            path(
                "<int:object_id>/day-list/",
                view(replica_reads(self.day_list_view)),
                name="slots_session_day_list",
            ),
            path(
                "<int:object_id>/day-list.xlsx",
                view(replica_reads(self.day_list_xlsx)),
                name="slots_session_day_list_xlsx",
            ),
        ] + super().get_urls()

    def _page(self, request: HttpRequest, template: str, title: str, **context) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **context,
        }
        return TemplateResponse(request, f"admin/slots/session/{template}", context)

    def _require(self, request: HttpRequest, perm: str) -> None:
        allowed = {"add": self.has_add_permission, "change": self.has_change_permission}[perm]
        if not allowed(request):
            raise PermissionDenied

    def may_see_people(self, request: HttpRequest, *, export: bool = False) -> bool:
        """Day lists name people: the registrations admin decides, as for its own pages."""
        people = self.admin_site.get_model_admin(Registration)
        if export:
            return people.has_export_permission(request)
        return people.has_view_permission(request)

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_see_people": self.may_see_people(request),
            "can_export_people": self.may_see_people(request, export=True),
            "can_change": self.has_change_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def plan_view(self, request: HttpRequest) -> HttpResponse:
        """The week-plan form: many centres, many days, published in one go."""
        self._require(request, "add")
        districts = scope(District.objects.all(), request.user, "pk").order_by("name_en")
        district = _chosen(request, districts)
        if district is None:
            # A statewide user plans one district at a time: the whole
            # state's centres made one form of thousands of fields.
            title = _("Plan sessions for a week")
            return self._page(request, "plan_district.html", title, districts=districts)
        centres = Centre.objects.filter(active=True, district=district).order_by("name")
        form = WeekPlanForm(request.POST or None, centres=centres)
        if request.method == "POST" and form.is_valid():
            created, existing = self._create_planned(form)
            message = ngettext("%(n)d session created", "%(n)d sessions created", created)
            message %= {"n": created}
            if existing:
                already = ngettext(
                    "%(n)d already existed and was left as it was",
                    "%(n)d already existed and were left as they were",
                    existing,
                )
                message = f"{message}; {already % {'n': existing}}"
            messages.success(request, f"{message}.")
            return redirect("admin:slots_session_changelist")
        return self._page(request, "plan.html", _("Plan sessions for a week"), form=form)

    def _create_planned(self, form: WeekPlanForm) -> tuple[int, int]:
        """(created, already there): a plan sent twice, or overlapping an
        earlier one, makes each session once (the database's
        one_active_session_per_slot decides; a plan sent at the same moment
        by someone else is retried once and then found existing)."""
        planned = form.sessions()
        try:
            created = _create_new_sessions(planned)
        except IntegrityError:
            # The same plan sent by someone else at this moment: theirs are
            # there now, and count as existing.
            created = _create_new_sessions(planned)
        return created, len(planned) - created

    def capacity_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        from ..services import AllotmentError

        self._require(request, "change")
        session = self.visible_or_404(request, object_id)
        form = CapacityForm(request.POST or None, initial={"capacity": session.capacity})
        if request.method == "POST" and form.is_valid():
            try:
                self._change_capacity(request, session, form.cleaned_data)
            except AllotmentError as error:
                form.add_error("capacity", error.message)
            else:
                return redirect("admin:slots_session_change", session.pk)
        return self._page(
            request, "capacity.html", _("Change capacity"), form=form, original=session
        )

    def _change_capacity(self, request: HttpRequest, session: Session, data: dict) -> None:
        """A plain change never goes below the bookings; moving people who
        lose their seat happens only when the official ticks the box."""
        from ..services import change_capacity, reduce_capacity

        if not data["move_people"]:
            change_capacity(session=session, capacity=data["capacity"], by=request.user)
            messages.success(request, _("Capacity changed."))
            return
        summary = reduce_capacity(
            session=session, capacity=data["capacity"], by=request.user, reason=data["reason"]
        )
        lost = summary.allotted + summary.still_waiting
        if not lost:
            messages.success(request, _("Capacity changed."))
            return
        message = ngettext(
            "Capacity changed; %(lost)d person lost their seat: %(moved)d got another "
            "slot, the rest wait at their place and were told by SMS.",
            "Capacity changed; %(lost)d people lost their seat: %(moved)d got another "
            "slot, the rest wait at their place and were told by SMS.",
            lost,
        )
        messages.success(request, message % {"lost": lost, "moved": summary.allotted})

    def cancel_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        from ..services import AllotmentError, cancel_session

        self._require(request, "change")
        session = self.visible_or_404(request, object_id)
        form = CancelSessionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                summary = cancel_session(
                    session=session, by=request.user, reason=form.cleaned_data["reason"]
                )
            except AllotmentError as error:
                form.add_error(None, error.message)
                return self._page(
                    request, "cancel.html", _("Cancel session"), form=form, original=session
                )
            messages.success(
                request,
                _(
                    "Session cancelled; %(n)d people got another slot, the "
                    "rest wait at their place and were told by SMS."
                )
                % {"n": summary.allotted},
            )
            return redirect("admin:slots_session_change", session.pk)
        return self._page(request, "cancel.html", _("Cancel session"), form=form, original=session)

    def allocate_view(self, request: HttpRequest) -> HttpResponse:
        """Runs the allocator for a district now, rather than at the next tick."""
        from ..services import allocate_district

        self._require(request, "change")
        districts = scope(District.objects.all(), request.user, "pk")
        form = RunAllocationForm(
            request.POST or None,
            districts=districts,
            initial={"district": districts.first() if districts.count() == 1 else None},
        )
        if request.method == "POST" and form.is_valid():
            summary = allocate_district(district_id=form.cleaned_data["district"].pk, wait=True)
            messages.success(
                request,
                _(
                    "Allocation done: %(allotted)d allotted, %(waiting)d still "
                    "waiting, %(seats)d seats left."
                )
                % {
                    "allotted": summary.allotted,
                    "waiting": summary.still_waiting,
                    "seats": summary.seats_left,
                },
            )
            return redirect("admin:slots_session_changelist")
        return self._page(request, "allocate.html", _("Run allocation now"), form=form)

    def day_list_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not (self.has_view_permission(request) and self.may_see_people(request)):
            raise PermissionDenied
        session = self.visible_or_404(request, object_id)
        return TemplateResponse(
            request,
            "admin/slots/session/day_list.html",
            {
                "session": session,
                "appointments": day_list(session),
                "printed_at": timezone.localtime(),
                "with_codes": self._with_codes(request),
            },
        )

    def _with_codes(self, request: HttpRequest) -> bool:
        """The check-in codes are the person's proof at the centre, so a day
        list leaves them out; an official who organises the session may ask
        for them (?codes=1) for a centre that checks people in on paper."""
        return request.GET.get("codes") == "1" and self.has_change_permission(request)

    def day_list_xlsx(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not (self.has_view_permission(request) and self.may_see_people(request, export=True)):
            raise PermissionDenied
        session = self.visible_or_404(request, object_id)
        response = HttpResponse(
            _day_list_workbook(session, with_codes=self._with_codes(request)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"day-list-{session.centre_id}-{session.date:%Y-%m-%d}-d{session.dose}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _day_list_workbook(session: Session, *, with_codes: bool = False) -> bytes:
    heading = [
        str(session.centre),
        f"{session.date:%d-%m-%Y}",
        session.get_vaccine_display(),
        str(session.get_dose_display()),
    ]
    columns = [_("No."), _("Reference"), _("Name"), _("Photo ID"), _("Year of birth")]
    columns += [_("Code")] if with_codes else []
    rows = []
    for number, appointment in enumerate(day_list(session), 1):
        person = appointment.registration
        row = [number, person.display_reference, person.name, person.masked_id()]
        row += [person.birth_year, *([appointment.code] if with_codes else [])]
        rows.append([*row, "✓" if appointment.status == Appointment.Status.ATTENDED else ""])
    return spreadsheets.xlsx_bytes(
        f"{session.date:%d-%m-%Y}",
        [[*columns, _("Vaccinated")], *rows],
        print_header=" · ".join(heading),
    )


def _create_new_sessions(planned: list[Session]) -> int:
    """Saves those of the planned sessions that no active session already
    holds (same centre, day, start and dose); returns how many."""
    slot = ("centre_id", "date", "start_time", "dose")
    taken = set(
        Session.objects.filter(
            centre_id__in={s.centre_id for s in planned},
            date__in={s.date for s in planned},
            status=Session.Status.ACTIVE,
        ).values_list(*slot)
    )
    new = [s for s in planned if tuple(getattr(s, f) for f in slot) not in taken]
    with transaction.atomic():
        bulk_create_with_history(new, Session, batch_size=500, default_change_reason="week plan")
        for district_id in {s.district_id for s in new if s.published}:
            _request_allocation(district_id)
    return len(new)


def _request_allocation(district_id: int) -> None:
    from ..tasks import request_allocation

    request_allocation(district_id)
