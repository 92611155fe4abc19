"""Help-desk workflows: raising a ticket, answering it, escalating it, and
moving a misused registration to the rightful mobile.

Each change and its record (TicketEvent, the registration's history) and its
SMS (the outbox) are written in one transaction.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from districts.models import District
from districts.roles import STATE_ADMIN
from registrations.models import Account, Registration
from registrations.validators import mask_aadhaar_numbers
from teeka.outbox import queue_sms

from .models import Ticket, TicketEvent

logger = logging.getLogger(__name__)


class HelpdeskError(Exception):
    """A refusal to show the operator, with a translated .message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _sms(ticket: Ticket, kind: str, dedupe: str | None = None, **context) -> None:
    queue_sms(
        to=str(ticket.mobile),
        kind=kind,
        context={
            "ticket": ticket.display_reference,
            "respond_by": timezone.localtime(ticket.respond_by),
            "helpline": settings.TEEKA_HELPLINE,
            **context,
        },
        language=ticket.language,
        dedupe_key=f"ticket-{ticket.reference}-{dedupe}" if dedupe else None,
    )


def _record(ticket: Ticket, kind: str, by: User | None, text: str = "", at=None) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, by=by, text=mask_aadhaar_numbers(text), at=at or timezone.now()
    )


def raise_ticket(
    *,
    mobile: str,
    category: str,
    description: str,
    language: str,
    registration: Registration | None = None,
    district: District | None = None,
) -> Ticket:
    """A citizen's new ticket; its district is the registration's when there is one."""
    if registration is not None:
        district = registration.district
    if district is None:
        raise ValueError("a ticket needs a registration or a district")
    now = timezone.now()
    ticket = Ticket(
        mobile=mobile,
        category=category,
        # A citizen often writes their Aadhaar number into "what happened".
        description=mask_aadhaar_numbers(description),
        language=language,
        registration=registration,
        district=district,
        created_at=now,
    )
    ticket.start_clock(now)
    with transaction.atomic():
        ticket.save()
        _record(ticket, TicketEvent.Kind.RAISED, None, at=now)
        _sms(ticket, "helpdesk_ticket_raised", dedupe="raised")
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def assign_to_self(*, ticket: Ticket, by: User) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.assigned_to_id == by.pk:
            return ticket
        ticket.assigned_to = by
        ticket.save(update_fields=["assigned_to"])
        _record(ticket, TicketEvent.Kind.ASSIGNED, by)
    return ticket


def reply(*, ticket: Ticket, by: User, text: str) -> Ticket:
    """Answers the citizen by SMS; the first reply stops the first-answer clock."""
    text = mask_aadhaar_numbers(text.strip())
    if not text:
        raise HelpdeskError(_("Write the reply first."))
    with transaction.atomic():
        ticket = _locked(ticket)
        now = timezone.now()
        ticket.first_response_at = ticket.first_response_at or now
        ticket.assigned_to = ticket.assigned_to or by
        if ticket.status == Ticket.Status.OPEN:
            ticket.status = Ticket.Status.ANSWERED
        ticket.save(update_fields=["first_response_at", "assigned_to", "status"])
        _record(ticket, TicketEvent.Kind.REPLY, by, text, at=now)
        _sms(ticket, "helpdesk_reply", reply=text)
    return ticket


def resolve(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.is_resolved():
            raise HelpdeskError(_("This ticket is already closed."))
        now = timezone.now()
        ticket.status = Ticket.Status.RESOLVED
        ticket.resolved_at = now
        ticket.save(update_fields=["status", "resolved_at"])
        _record(ticket, TicketEvent.Kind.RESOLVED, by, note.strip(), at=now)
        _sms(ticket, "helpdesk_resolved", note=mask_aadhaar_numbers(note.strip()))
    return ticket


def reopen(*, ticket: Ticket, by: User, reason: str = "") -> Ticket:
    """Opens a closed ticket again with a fresh SLA clock."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if not ticket.is_resolved():
            raise HelpdeskError(_("This ticket is not closed."))
        now = timezone.now()
        ticket.status = Ticket.Status.OPEN
        ticket.resolved_at = None
        ticket.escalated_at = None
        ticket.first_response_at = None
        ticket.start_clock(now)
        ticket.save(
            update_fields=[
                "status",
                "resolved_at",
                "escalated_at",
                "first_response_at",
                "respond_by",
                "resolve_by",
            ]
        )
        _record(ticket, TicketEvent.Kind.REOPENED, by, reason.strip(), at=now)
    return ticket


def _escalation_reason(ticket: Ticket, now: datetime.datetime) -> str:
    if ticket.answer_overdue(now) and ticket.escalated_at is None:
        return _("No first answer within the time allowed.")
    return _("Not resolved within the time allowed.")


def escalate(*, ticket_id: int, now: datetime.datetime | None = None) -> bool:
    """Escalates one ticket if it is due; False when it was not (or another
    run got there first), so running it twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        if not ticket.needs_escalation(now):
            return False
        reason = _escalation_reason(ticket, now)
        ticket.escalated_at = now
        ticket.save(update_fields=["escalated_at"])
        _record(ticket, TicketEvent.Kind.ESCALATED, None, reason, at=now)
        transaction.on_commit(lambda: _tell_state_administrators(ticket, reason))
    return True


def escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Escalates every overdue ticket that needs it; returns how many."""
    now = now or timezone.now()
    candidates = Ticket.objects.needing_escalation(now).values_list("pk", flat=True)
    return sum(escalate(ticket_id=pk, now=now) for pk in candidates)


def state_administrators():
    return User.objects.filter(
        Q(groups__name=STATE_ADMIN) | Q(is_superuser=True), is_active=True
    ).distinct()


def _tell_state_administrators(ticket: Ticket, reason: str) -> None:
    """An email courtesy; the escalation itself is the recorded event and the
    ticket's place in the state administrators' queue, so a mail outage
    loses nothing."""
    recipients = [u.email for u in state_administrators() if u.email]
    if not recipients:
        return
    subject = f"Teeka help desk: {ticket.display_reference} escalated ({ticket.district})"
    try:
        send_mail(subject, reason, None, recipients)
    except OSError:
        logger.exception("could not email the escalation of %s", ticket.pk)


def _target_account(mobile: str) -> Account:
    account, _created = Account.objects.get_or_create(mobile=mobile)
    # Locked so two moves to the same mobile cannot pick the same seat.
    return Account.objects.select_for_update().get(pk=account.pk)


def move_registration_to_mobile(
    *, registration: Registration, mobile: str, by: User, reason: str
) -> Registration:
    """Gives a registration to the rightful mobile's account (made if needed),
    in a free place, keeping registered_at and queue_at: the person keeps their
    place in the queue. Recorded in the registration's history with the reason."""
    if not reason.strip():
        raise HelpdeskError(_("Say why the registration is being moved."))
    try:
        with transaction.atomic():
            return _move(registration, mobile, by, mask_aadhaar_numbers(reason.strip()))
    except IntegrityError:
        raise HelpdeskError(
            _("That mobile number already has this person (same name and year of birth).")
        ) from None


def _move(registration: Registration, mobile: str, by: User, reason: str) -> Registration:
    account = _target_account(mobile)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.account_id == account.pk:
        raise HelpdeskError(_("The registration is already on this mobile number."))
    registration.account = account
    registration.seat = account.first_free_seat(settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT)
    if registration.seat is None:
        raise HelpdeskError(_("That mobile number already has four people registered."))
    registration._change_reason = reason
    registration._history_user = by
    registration.save(update_fields=["account", "seat"])
    queue_sms(
        to=str(account.mobile),
        kind="helpdesk_registration_moved",
        context={"reference": registration.display_reference, "name": registration.name},
        language=account.language,
    )
    return registration


def move_ticket_registration(*, ticket: Ticket, mobile: str, by: User, reason: str) -> Ticket:
    """The operator's "someone registered with my ID" fix, recorded on the ticket too."""
    if ticket.registration_id is None:
        raise HelpdeskError(_("This ticket is not about a registration."))
    with transaction.atomic():
        ticket = _locked(ticket)
        registration = move_registration_to_mobile(
            registration=ticket.registration, mobile=mobile, by=by, reason=reason
        )
        text = _("%(reference)s moved to %(mobile)s: %(reason)s") % {
            "reference": registration.display_reference,
            "mobile": registration.account.masked_mobile(),
            "reason": reason.strip(),
        }
        _record(ticket, TicketEvent.Kind.MOVED, by, text)
    return ticket


def note_registration_change(
    *, ticket: Ticket, registration: Registration, by: User, changed: list[str]
) -> None:
    """A correction made from this ticket: recorded on the ticket, and the
    registration's history says which ticket it came from."""
    fields = ", ".join(changed) or "-"
    _record(ticket, TicketEvent.Kind.CHANGED, by, text=fields)
    latest = registration.history.order_by("-history_id").first()
    if latest is not None:
        latest.history_change_reason = f"Help-desk ticket {ticket.display_reference}"
        latest.save(update_fields=["history_change_reason"])
