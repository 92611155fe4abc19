from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from registrations.models import mask_mobile
from registrations.otp import OtpRefused, late_code_message, send_code, verify_code
from teeka.clients import client_ip, client_ip_key

from . import services
from .forms import CodeForm, StatusForm, TicketForm
from .models import Ticket, TicketEvent, clean_ticket_reference

# Session keys: the ticket just raised (for its confirmation page), the ticket
# and mobile waiting for a code, and the mobiles whose codes were verified.
RAISED = "helpdesk_raised"
PENDING = "helpdesk_pending"
VERIFIED = "helpdesk_verified_mobiles"


def _mobile_key(group: str, request: HttpRequest) -> str:
    return request.helpdesk_mobile


def _limit_message(request: HttpRequest, mobile: str) -> str | None:
    """Why this ticket may not be raised now, or None. Counts only tickets
    that pass the form, so a typing mistake never uses up the allowance."""
    request.helpdesk_mobile = mobile
    per_mobile = f"{settings.HELPDESK_TICKETS_PER_MOBILE_PER_DAY}/d"
    if is_ratelimited(
        request, "helpdesk.ticket.mobile", key=_mobile_key, rate=per_mobile, increment=True
    ):
        return _(
            "This mobile number has already raised %(count)d tickets today. We will answer "
            "them; please try again tomorrow, or call the helpline %(helpline)s."
        ) % {
            "count": settings.HELPDESK_TICKETS_PER_MOBILE_PER_DAY,
            "helpline": settings.TEEKA_HELPLINE,
        }
    per_ip = f"{settings.HELPDESK_TICKETS_PER_IP_PER_HOUR}/h"
    if is_ratelimited(
        request, "helpdesk.ticket.ip", key=client_ip_key, rate=per_ip, increment=True
    ):
        return _(
            "Too many tickets came from your network in the last hour. Please try again in "
            "an hour, or call the helpline %(helpline)s."
        ) % {"helpline": settings.TEEKA_HELPLINE}
    return None


def _ticket_for_citizen(request: HttpRequest, display_reference: str) -> Ticket:
    """The ticket, if this browser verified its mobile with a code; else 404."""
    reference = clean_ticket_reference(display_reference)
    ticket = get_object_or_404(Ticket, reference=reference or "")
    if str(ticket.mobile) not in request.session.get(VERIFIED, []):
        raise Http404
    return ticket


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    opens, closes = (f"{m // 60:02}:{m % 60:02}" for m in settings.HELPDESK_WORKING_HOURS)
    context = {
        "first_response_hours": settings.HELPDESK_FIRST_RESPONSE_HOURS,
        "opens": opens,
        "closes": closes,
    }
    return render(request, "helpdesk/help.html", context)


@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = _limit_message(request, form.cleaned_data["mobile"])
        if refusal:
            form.add_error(None, refusal)
        else:
            ticket = services.raise_ticket(
                mobile=form.cleaned_data["mobile"],
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                language=get_language() or "hi",
                registration=form.cleaned_data["registration_reference"],
                district=form.cleaned_data["district"],
            )
            request.session[RAISED] = ticket.pk
            return redirect("helpdesk:raised")
    return render(request, "helpdesk/ticket_form.html", {"form": form})


@require_GET
def ticket_raised(request: HttpRequest) -> HttpResponse:
    ticket = Ticket.objects.filter(pk=request.session.get(RAISED)).first()
    if ticket is None:
        return redirect("helpdesk:new")
    return render(request, "helpdesk/ticket_raised.html", {"ticket": ticket})


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.POST or None, initial={"reference": request.GET.get("ref", "")})
    if request.method == "POST" and form.is_valid():
        reference, mobile = form.cleaned_data["reference"], form.cleaned_data["mobile"]
        if not Ticket.objects.filter(reference=reference, mobile=mobile).exists():
            form.add_error(None, _("We have no ticket with this reference for this mobile number."))
        elif mobile in request.session.get(VERIFIED, []):
            return redirect("helpdesk:ticket", reference=reference)
        else:
            try:
                delivered = send_code(mobile=mobile, ip=client_ip(request))
            except OtpRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                if not delivered:
                    messages.warning(request, late_code_message())
                request.session[PENDING] = {"reference": reference, "mobile": mobile}
                return redirect("helpdesk:code")
    return render(request, "helpdesk/status_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def status_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("helpdesk:status")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verify_code(
                mobile=pending["mobile"], code=form.cleaned_data["code"], ip=client_ip(request)
            )
        except OtpRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            request.session[VERIFIED] = [*request.session.get(VERIFIED, []), pending["mobile"]]
            del request.session[PENDING]
            return redirect("helpdesk:ticket", reference=pending["reference"])
    context = {"form": form, "masked_mobile": mask_mobile(pending["mobile"])}
    return render(request, "helpdesk/status_code.html", context)


@require_GET
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_for_citizen(request, reference)
    events = ticket.events.filter(kind__in=TicketEvent.PUBLIC)
    return render(request, "helpdesk/ticket.html", {"ticket": ticket, "events": events})
