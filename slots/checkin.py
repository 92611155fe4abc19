"""The vaccinator's check-in page: phone-sized, for their own centres only.

Find the appointment (reference typed or scanned from the slip's QR code, or
from today's list), check the person's 4-digit code, then record the dose or
turn them away with a reason. Everything goes through slots.services.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from registrations.ids import clean_reference

from .models import Appointment, Session, StandbyCall
from .services import (
    AllotmentError,
    call_standby,
    check_in_standby,
    count_wrong_code,
    open_vial,
    record_vaccination,
    standby_to_offer,
    standby_vial_worth_opening,
    turn_away,
)

check_in_required = permission_required("slots.check_in", login_url="checkin:login")


class FindForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Reference or QR code"), max_length=200)

    def clean_reference(self) -> str:
        typed = self.cleaned_data["reference"].strip().rstrip("/")
        # A scanned QR code may hold a link whose last part is the reference.
        reference = clean_reference(typed.rsplit("/", 1)[-1])
        if reference is None:
            raise forms.ValidationError(_("That is not a reference. It looks like ABC-DEF-GHJ."))
        return reference


class CheckInForm(forms.Form):
    """The code from the person's SMS or slip; after
    Appointment.CHECKIN_MAX_WRONG_CODES wrong ones, no code is taken any more
    and the vaccinator checks the photo ID and says why instead."""

    code = forms.CharField(
        label=gettext_lazy("4-digit code from the person's SMS or slip"),
        max_length=4,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    id_seen = forms.BooleanField(required=False)
    without_code_reason = forms.CharField(
        label=gettext_lazy("Why check in without the code (kept on record)"),
        max_length=200,
        required=False,
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        widget=forms.RadioSelect,
        choices=[
            ("vaccinated", gettext_lazy("Dose given")),
            ("turned_away", gettext_lazy("Turned away")),
        ],
    )
    batch_number = forms.CharField(
        label=gettext_lazy("Batch number"), max_length=40, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Why turned away"), max_length=200, required=False)

    def __init__(self, *args, appointment: Appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.wrong_code = False
        if appointment.code_locked():
            del self.fields["code"]
            self.fields["id_seen"].label = _(
                "I have seen the person's photo ID, and it is %(id)s"
            ) % {"id": appointment.registration.masked_id()}
        else:
            del self.fields["id_seen"]
            del self.fields["without_code_reason"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code:
            raise forms.ValidationError(_("Type the 4-digit code from the person's SMS or slip."))
        if not constant_time_compare(code, self.appointment.code):
            self.wrong_code = True
            raise forms.ValidationError(_("The code does not match. Ask the person to check it."))
        return code

    def clean(self) -> dict:
        data = super().clean()
        if "id_seen" in self.fields:
            if not data.get("id_seen"):
                self.add_error("id_seen", _("Check the person's photo ID first."))
            if not data.get("without_code_reason", "").strip():
                self.add_error("without_code_reason", _("Say why, for the record."))
        if data.get("outcome") == "vaccinated" and not data.get("batch_number", "").strip():
            self.add_error("batch_number", _("Write the batch number from the vial."))
        if data.get("outcome") == "turned_away" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why, so the person can be helped next time."))
        return data


def _my_appointments(request: HttpRequest) -> QuerySet:
    """Appointments at the centres this vaccinator works at, and nowhere else."""
    return Appointment.objects.filter(session__centre__staff=request.user).select_related(
        "registration", "session__centre", "share_of"
    )


def _todays_sessions(request: HttpRequest) -> QuerySet:
    return Session.objects.filter(
        centre__staff=request.user, date=timezone.localdate(), status=Session.Status.ACTIVE
    ).select_related("centre")


@login_required(login_url="checkin:login")
@check_in_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    form = FindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"]
        appointment = _find(request, reference)
        if appointment is not None:
            return redirect("checkin:appointment", appointment.pk)
        call = _standby_call(request, reference)
        if call is not None:
            return redirect("checkin:standby", call.pk)
        # The same words whether the reference is booked at another centre or
        # nowhere: a vaccinator learns nothing of other centres' people.
        messages.error(request, _("Not at your centre today."))
    context = {"form": form, "sessions": _todays_sessions(request)}
    return render(request, "slots/checkin/home.html", context)


def _find(request: HttpRequest, reference: str) -> Appointment | None:
    today = timezone.localdate()
    appointment = (
        Appointment.objects.filter(
            registration__reference=reference,
            status=Appointment.Status.BOOKED,
            session__date__gte=today - datetime.timedelta(days=1),
            session__centre__staff=request.user,
        )
        .order_by("session__date")
        .first()
    )
    return appointment


def _standby_call(request: HttpRequest, reference: str) -> StandbyCall | None:
    """Someone texted to come as standby today, at one of this vaccinator's centres."""
    return (
        StandbyCall.objects.filter(
            registration__reference=reference,
            appointment__isnull=True,
            session__date=timezone.localdate(),
            session__centre__staff=request.user,
        )
        .select_related("registration", "session__centre")
        .first()
    )


@login_required(login_url="checkin:login")
@check_in_required
def session_list(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _todays_sessions(request).filter(pk=session_id).first()
    if session is None:
        raise Http404
    appointments = (
        session.appointments.filter(status__in=Appointment.ACTIVE)
        .select_related("registration")
        .order_by("registration__name")
    )
    context = {"session": session, "appointments": appointments, "vials": _vials(session)}
    return render(request, "slots/checkin/session.html", context)


@login_required(login_url="checkin:login")
@check_in_required
@require_POST
def open_vial_view(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _todays_sessions(request).filter(pk=session_id).first()
    if session is None:
        raise Http404
    session = open_vial(session=session, by=request.user)
    messages.success(
        request,
        _("Vial %(n)d opened: use its doses by %(time)s.")
        % {"n": session.vials_opened, "time": _clock(session.open_vial_expires_at())},
    )
    return redirect("checkin:session", session.pk)


def _clock(moment: datetime.datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


def _vials(session: Session) -> dict:
    """What the vaccinator needs to use every dose: given, left in the open
    vial, and until when."""
    now = timezone.now()
    vials = session.vials_at(now)
    return {
        "given": vials.given,
        "opened": vials.opened,
        "left": vials.left,
        "expires": _clock(vials.expires) if vials.expires else "",
        "per_vial": vials.per_vial,
        "standby": standby_to_offer(session=session, now=now),
        "extra_percent": settings.TEEKA_STANDBY_EXTRA_PERCENT,
    }


class StandbyCallForm(forms.Form):
    doses = forms.IntegerField(label=gettext_lazy("Doses to offer"), min_value=1, max_value=50)


class StandbyCheckInForm(forms.Form):
    id_seen = forms.BooleanField(label=gettext_lazy("I have seen the person's photo ID"))
    batch_number = forms.CharField(label=gettext_lazy("Batch number"), max_length=40)


@login_required(login_url="checkin:login")
@check_in_required
@require_POST
def call_standby_view(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _todays_sessions(request).filter(pk=session_id).first()
    if session is None:
        raise Http404
    form = StandbyCallForm(request.POST)
    if form.is_valid():
        texted = call_standby(session=session, doses=form.cleaned_data["doses"], by=request.user)
        messages.success(
            request,
            ngettext(
                "%(n)d person texted to come within the hour.",
                "%(n)d people texted to come within the hour.",
                texted,
            )
            % {"n": texted},
        )
    else:
        messages.error(request, _("Say how many doses to offer, from 1 to 50."))
    return redirect("checkin:session", session.pk)


@login_required(login_url="checkin:login")
@check_in_required
@require_http_methods(["GET", "POST"])
def standby_view(request: HttpRequest, call_id: int) -> HttpResponse:
    call = (
        StandbyCall.objects.filter(pk=call_id, session__centre__staff=request.user)
        .select_related("registration", "session__centre")
        .first()
    )
    if call is None:
        raise Http404
    form = StandbyCheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_in_standby(
                call=call, by=request.user, batch_number=form.cleaned_data["batch_number"].strip()
            )
        except AllotmentError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Standby dose recorded for %(name)s.") % {"name": call.registration.name}
            )
        return redirect("checkin:session", call.session_id)
    context = {
        "call": call,
        "person": call.registration,
        "form": form,
        "vial_worth_opening": standby_vial_worth_opening(session=call.session, now=timezone.now()),
        "per_vial": call.session.doses_per_vial(),
    }
    return render(request, "slots/checkin/standby.html", context)


@login_required(login_url="checkin:login")
@check_in_required
@require_http_methods(["GET", "POST"])
def appointment_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _my_appointments(request).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404
    form = CheckInForm(request.POST or None, appointment=appointment)
    if request.method == "POST" and appointment.status == Appointment.Status.BOOKED:
        if form.is_valid():
            if _record(request, appointment, form.cleaned_data):
                return redirect("checkin:home")
        elif form.wrong_code:
            form = _after_wrong_code(request, appointment, form)
    context = {"appointment": appointment, "person": appointment.registration, "form": form}
    return render(request, "slots/checkin/appointment.html", {**context, **_share(appointment)})


def _share(appointment: Appointment) -> dict:
    """The category share the seat came from, and the document to check when
    the person is of that category (a rolled-over seat asks for none)."""
    share = appointment.share_of
    if share is None:
        return {}
    person = appointment.registration
    qualifies = share.rule().admits(ration_card=person.ration_card, priority=person.priority)
    return {"share": share, "share_document": share.document if qualifies else ""}


def _after_wrong_code(
    request: HttpRequest, appointment: Appointment, form: CheckInForm
) -> CheckInForm:
    """Counts the wrong code; at the limit, the form that asks for the photo ID instead."""
    if count_wrong_code(appointment=appointment) < Appointment.CHECKIN_MAX_WRONG_CODES:
        return form
    messages.error(
        request,
        _(
            "Too many wrong codes: the code is locked for this appointment. "
            "Check the person's photo ID instead."
        ),
    )
    return CheckInForm(appointment=appointment, initial={"outcome": form.data.get("outcome")})


def _record(request: HttpRequest, appointment: Appointment, data: dict) -> bool:
    try:
        if data["outcome"] == "vaccinated":
            record_vaccination(
                appointment=appointment,
                by=request.user,
                batch_number=data["batch_number"].strip(),
                without_code_reason=data.get("without_code_reason", "").strip(),
            )
            messages.success(
                request,
                _("Dose %(dose)d recorded for %(name)s.")
                % {"dose": appointment.dose, "name": appointment.registration.name},
            )
        else:
            turn_away(appointment=appointment, by=request.user, reason=data["reason"].strip())
            messages.success(
                request,
                _("%(name)s was turned away; they keep their place in the queue.")
                % {"name": appointment.registration.name},
            )
    except AllotmentError as error:
        messages.error(request, error.message)
        return False
    return True
