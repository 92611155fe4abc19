"""Help-desk tickets: a citizen's question, its SLA clock, and what was done."""

import datetime
import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from registrations import ids
from registrations.models import mask_mobile

# Ticket references use the same unambiguous alphabet and check symbol as
# registration references, shown with a "T-" in front so a citizen reading
# both out on the phone cannot mix them up.
TICKET_PREFIX = "T-"


def new_ticket_reference() -> str:
    return ids.new_reference()


def clean_ticket_reference(typed: str) -> str | None:
    """The stored reference for what a citizen typed ("t-abc def-ghj" too)."""
    text = re.sub(r"[\s\-]", "", typed).upper()
    if len(text) == 10 and text.startswith("T"):
        text = text[1:]
    return ids.clean_reference(text)


def working_hours_from(moment: datetime.datetime, hours: int) -> datetime.datetime:
    """The moment `hours` of the help desk's working time after `moment`.

    The working day is settings.HELPDESK_WORKING_HOURS in India time, every
    day; time outside it does not count, so a ticket raised at night starts
    its clock when the desk opens."""
    opens, closes = (datetime.timedelta(minutes=m) for m in settings.HELPDESK_WORKING_HOURS)
    left = datetime.timedelta(hours=hours)
    local = timezone.localtime(moment)
    day = local.date()
    while True:
        midnight = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        start, end = max(local, midnight + opens), midnight + closes
        if start + left <= end:
            return start + left
        left -= max(end - start, datetime.timedelta(0))
        day += datetime.timedelta(days=1)


class Category(models.TextChoices):
    NO_SMS = "no_sms", _("I did not get the code or the SMS")
    MISUSED_ID = "misused_id", _("Someone registered with my ID or my mobile")
    WRONG_DETAILS = "wrong_details", _("My details are wrong")
    TURNED_AWAY = "turned_away", _("I was turned away at the centre")
    TOO_FAR = "too_far", _("My slot is too far away")
    OTHER = "other", _("Something else")


class TicketQuerySet(models.QuerySet):
    def unresolved(self) -> "TicketQuerySet":
        return self.exclude(status=Ticket.Status.RESOLVED)

    def overdue(self, now: datetime.datetime) -> "TicketQuerySet":
        late_answer = Q(first_response_at__isnull=True, respond_by__lt=now)
        return self.unresolved().filter(late_answer | Q(resolve_by__lt=now))

    def needing_escalation(self, now: datetime.datetime) -> "TicketQuerySet":
        """The SQL twin of Ticket.needs_escalation(), so a run only touches those."""
        late_answer = Q(first_response_at__isnull=True, respond_by__lt=now, escalated_at=None)
        not_since_deadline = Q(escalated_at=None) | Q(escalated_at__lt=models.F("resolve_by"))
        late_close = Q(resolve_by__lt=now) & not_since_deadline
        return self.unresolved().filter(late_answer | late_close)


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        RESOLVED = "resolved", _("Closed")

    reference = models.CharField(
        _("reference"), max_length=9, unique=True, default=new_ticket_reference, editable=False
    )
    mobile = PhoneNumberField(_("mobile number"), region="IN")
    category = models.CharField(_("about"), max_length=15, choices=Category.choices)
    # What the ticket is about, when the citizen knew the reference.
    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("registration"),
    )
    # The registration's district, or the one the citizen picked: decides who sees it.
    district = models.ForeignKey(
        "districts.District", on_delete=models.PROTECT, verbose_name=_("district")
    )
    description = models.TextField(_("what happened"), max_length=1000)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="hi"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    # The SLA clock, fixed when the ticket is raised (or reopened) from the
    # settings of that moment, so changing the settings never rewrites history.
    respond_by = models.DateTimeField(_("first answer due"))
    resolve_by = models.DateTimeField(_("resolution due"))
    first_response_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("help-desk ticket")
        verbose_name_plural = _("help-desk tickets")
        permissions = [
            ("move_registration", _("Can move a registration to the rightful mobile")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(respond_by__gte=models.F("created_at"))
                & Q(resolve_by__gte=models.F("respond_by")),
                name="ticket_deadlines_in_order",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="ticket_closed_when_resolved",
            ),
        ]
        indexes = [
            models.Index(fields=["district", "status", "created_at"], name="ticket_queue"),
            models.Index(fields=["mobile", "created_at"], name="ticket_mobile"),
        ]

    def __str__(self) -> str:
        return self.display_reference

    @property
    def display_reference(self) -> str:
        return TICKET_PREFIX + ids.format_reference(self.reference)

    def masked_mobile(self) -> str:
        return mask_mobile(str(self.mobile))

    def start_clock(self, now: datetime.datetime) -> None:
        self.respond_by = working_hours_from(now, settings.HELPDESK_FIRST_RESPONSE_HOURS)
        self.resolve_by = working_hours_from(now, settings.HELPDESK_RESOLUTION_HOURS)

    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    def answer_overdue(self, now: datetime.datetime) -> bool:
        return not self.is_resolved() and not self.first_response_at and self.respond_by < now

    def resolution_overdue(self, now: datetime.datetime) -> bool:
        return not self.is_resolved() and self.resolve_by < now

    def is_overdue(self, now: datetime.datetime) -> bool:
        return self.answer_overdue(now) or self.resolution_overdue(now)

    def needs_escalation(self, now: datetime.datetime) -> bool:
        """Late for its first answer and never escalated, or late to close and
        not escalated since the resolution deadline passed."""
        if self.answer_overdue(now) and self.escalated_at is None:
            return True
        if self.resolution_overdue(now):
            return self.escalated_at is None or self.escalated_at < self.resolve_by
        return False


class TicketEvent(models.Model):
    """What was done on a ticket, by whom and when; the citizen sees the public kinds."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Ticket raised")
        ASSIGNED = "assigned", _("Taken up by the help desk")
        REPLY = "reply", _("Reply from the help desk")
        RESOLVED = "resolved", _("Closed")
        REOPENED = "reopened", _("Opened again")
        ESCALATED = "escalated", _("Passed on to the state team")
        MOVED = "moved", _("Registration moved to the rightful mobile")
        CHANGED = "changed", _("Registration corrected")

    PUBLIC = [Kind.RAISED, Kind.REPLY, Kind.RESOLVED, Kind.REOPENED, Kind.ESCALATED, Kind.MOVED]

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("what"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket}: {self.get_kind_display()}"
