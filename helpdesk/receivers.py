"""The help desk's answers to other apps' signals."""

from django.http import HttpRequest

from districts.scoping import scope
from registrations.models import Registration

from . import services
from .models import Ticket, clean_ticket_reference


def note_change_from_ticket(
    sender, *, registration: Registration, user, changed: list[str], request: HttpRequest, **kw
) -> None:
    """The ticket page links to its registration with ?ticket=T-...: a change
    saved there is noted on that ticket, if it is this person's and the
    official may see it."""
    reference = clean_ticket_reference(request.GET.get("ticket", ""))
    if not reference:
        return
    tickets = Ticket.objects.filter(reference=reference, registration=registration)
    ticket = scope(tickets, user).first()
    if ticket is not None:
        services.note_registration_change(
            ticket=ticket, registration=registration, by=user, changed=changed
        )
