"""Citizen pages: sign in with a code, add people, status, slip, cancel, withdraw.

The signed-in account's id and language live in the session (never in a URL),
so a page needs no query to know who is signed in; pages about one person are
addressed by its reference only.
"""

import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.backends.base import UpdateError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from districts.fragments import drawn
from quotas.standing import standing
from slots import services as slot_services
from slots.estimates import estimate_slot
from slots.models import Appointment
from teeka.clients import client_ip
from teeka.db import Selected
from teeka.shared_pages import shared_page

from . import otp, services
from .forms import CancelChoice, CancelForm, CodeForm, MobileForm, PersonForm, WithdrawForm
from .models import Account, Registration, mask_mobile
from .slip import qr_svg

ACCOUNT_KEY = "citizen_account_id"
LANGUAGE_KEY = "citizen_language"
MOBILE_KEY = "citizen_otp_mobile"
SEEN_KEY = "citizen_seen"
MASKED_MOBILE_KEY = "citizen_masked_mobile"


def _keep_alive(request: HttpRequest) -> None:
    # Saving the session pushes its expiry on; once a minute is enough.
    now = int(time.time())
    if now - request.session.get(SEEN_KEY, 0) > 60:
        request.session[SEEN_KEY] = now


def _remember_language(request: HttpRequest, account: Account) -> None:
    language = get_language()
    if language and account.language != language:
        Account.objects.filter(pk=account.pk).update(language=language)
        account.language = request.session[LANGUAGE_KEY] = language


def _session_account(request: HttpRequest) -> Account | None:
    """The signed-in account as the session knows it: id and language, without
    a query. Its other fields (the mobile) load from the database when used."""
    account_id = request.session.get(ACCOUNT_KEY)
    if account_id is None:
        return None
    values = [account_id, request.session.get(LANGUAGE_KEY)]
    return Account.from_db(Account.objects.db, ["id", "language"], values)


def _start_again(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("registrations:sign_in")


def citizen_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        account = _session_account(request)
        if account is None:
            return redirect("registrations:sign_in")
        request.account = account
        # Shown on every page ("Signed in as ******5678"): kept masked in the
        # session, so no page reads the account for it.
        request.masked_mobile = request.session.get(MASKED_MOBILE_KEY) or account.masked_mobile()
        _keep_alive(request)
        _remember_language(request, account)
        try:
            return never_cache(view)(request, *args, **kwargs)
        except Account.DoesNotExist:
            # Removed since sign-in (the session still names it): sign in again.
            return _start_again(request)

    return wrapper


def _registration_for_citizen(request: HttpRequest, reference: str) -> Registration:
    return get_object_or_404(
        Registration.objects.select_related("district", "area", "locality"),
        reference=reference,
        account=request.account,
    )


def _booked_appointment(registration: Registration) -> Appointment | None:
    return (
        registration.appointments.filter(status=Appointment.Status.BOOKED)
        .select_related("session__centre")
        .order_by("-created_at")
        .first()
    )


# Signing in ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@shared_page
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.session.get(ACCOUNT_KEY):
        return redirect("registrations:account")
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]

        def remember_mobile() -> None:
            # Written with the code, in its transaction: no commit of its own.
            request.session[MOBILE_KEY] = mobile
            try:
                request.session.save()
            except UpdateError:
                # Ended by another request meanwhile (signed out in another
                # tab): this one goes on in a new session.
                request.session.cycle_key()
                request.session.save()

        try:
            delivered = otp.send_code(mobile=mobile, ip=client_ip(request), then=remember_mobile)
        except otp.OtpRefused as refusal:
            form.add_error("mobile", refusal.message)
        else:
            _warn_if_late(request, delivered)
            return redirect("registrations:sign_in_code")
    return render(request, "registrations/sign_in.html", {"form": form})


def _start_citizen_session(request: HttpRequest, account: Account) -> None:
    """Called in the transaction that used the code: the old session goes and
    the new one is written in it, so a sign-in commits once."""
    request.session.cycle_key()
    request.session.pop(MOBILE_KEY, None)
    request.session[ACCOUNT_KEY] = account.pk
    request.session[LANGUAGE_KEY] = account.language
    request.session[MASKED_MOBILE_KEY] = account.masked_mobile()
    request.session[SEEN_KEY] = int(time.time())
    request.session.set_expiry(settings.TEEKA_CITIZEN_IDLE_SECONDS)
    request.session.save()


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    mobile = request.session.get(MOBILE_KEY)
    if not mobile:
        return redirect("registrations:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            otp.verify_code(
                mobile=mobile,
                code=form.cleaned_data["code"],
                ip=client_ip(request),
                then=lambda account: _start_citizen_session(request, account),
            )
        except otp.OtpRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            return redirect("registrations:account")
    context = {"form": form, "masked_mobile": mask_mobile(mobile)}
    if not form.is_bound:
        # The empty field is the same for everyone (in their language).
        context["blank_field"] = drawn(("code_field",), lambda: form["code"].as_field_group())
    return render(request, "registrations/sign_in_code.html", context)


@require_POST
def resend_code(request: HttpRequest) -> HttpResponse:
    mobile = request.session.get(MOBILE_KEY)
    if not mobile:
        return redirect("registrations:sign_in")
    try:
        delivered = otp.send_code(mobile=mobile, ip=client_ip(request))
    except otp.OtpRefused as refusal:
        messages.error(request, refusal.message)
    else:
        if delivered:
            messages.success(request, _("We have sent a new code. The old one no longer works."))
        _warn_if_late(request, delivered)
    return redirect("registrations:sign_in_code")


def _warn_if_late(request: HttpRequest, delivered: bool) -> None:
    if not delivered:
        messages.warning(request, otp.late_code_message())


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("home")


# The account and its people ----------------------------------------------------


# An account's people with their district and block or town, written out
# (teeka.db.Selected): the ORM's building of it was most of the account
# page's database work, on a page every journey shows twice.
_PEOPLE = Selected(Registration, "r", {"district": "d", "area": "a"})
_PEOPLE_SQL = (
    "SELECT {columns} FROM {tables} WHERE r.account_id = %s ORDER BY r.seat, r.registered_at"
)


@citizen_required
def account(request: HttpRequest) -> HttpResponse:
    people = [person for person, _ in _PEOPLE.all(_PEOPLE_SQL, [request.account.pk])]
    for person in people:
        if person.status == Registration.Status.WAITING:
            person.place = services.queue_place(registration=person)
    active = [p for p in people if p.status != Registration.Status.WITHDRAWN]
    context = {
        "people": people,
        "can_add": len(active) < settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT,
        "max_people": settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT,
    }
    return render(request, "registrations/account.html", context)


def _step_form(request: HttpRequest) -> PersonForm:
    """The form again after a 'next' step (no JavaScript): what was typed stays,
    without complaints about fields not reached yet."""
    initial = {key: request.POST.get(key) for key in request.POST if key != "csrfmiddlewaretoken"}
    return PersonForm(initial=initial)


def _blank_person_form() -> str:
    """The empty form, the same for everyone (in their language)."""
    return render_to_string("registrations/_person_fields.html", {"form": PersonForm()})


@citizen_required
@require_http_methods(["GET", "POST"])
def add_person(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" or "step" in request.POST:
        # Say so before anything is typed; a submission is still refused by
        # the database (the seats), so the rush's POST costs no query here.
        if request.account.first_free_seat(settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT) is None:
            context = {"full": services.AccountFull().message}
            return render(request, "registrations/add_person.html", context)
    if request.method == "GET":
        context = {"blank_form": drawn(("person_form",), _blank_person_form)}
        return render(request, "registrations/add_person.html", context)
    if "step" in request.POST:
        form = _step_form(request)
    else:
        form = PersonForm(request.POST)
    if "step" not in request.POST and form.is_valid():
        try:
            person = services.register_person(account=request.account, details=form.details())
        except services.AccountFull as refusal:
            messages.error(request, refusal.message)
            return redirect("registrations:account")
        except services.SamePersonOnAccount as refusal:
            form.add_error("name", refusal.message)
        except services.PlaceRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        except services.RegistrationRefused as refusal:
            form.add_error("id_number", refusal.message)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": person.name})
            return redirect("registrations:person", reference=person.reference)
    return render(request, "registrations/add_person.html", {"form": form})


# The person with their places and the latest booked appointment's id, one
# written statement (teeka.db.Selected): whether an appointment is booked
# comes with the person (a waiting person has none: no second query).
_PERSON = Selected(Registration, "r", {"district": "d", "area": "a", "locality": "l"})
_PERSON_SQL = (
    "SELECT {columns},"
    " (SELECT b.id FROM slots_appointment b WHERE b.registration_id = r.id AND b.status = %s"
    " ORDER BY b.created_at DESC LIMIT 1)"
    " FROM {tables} WHERE r.reference = %s AND r.account_id = %s"
)


@citizen_required
def person(request: HttpRequest, reference: str) -> HttpResponse:
    params = [Appointment.Status.BOOKED.value, reference, request.account.pk]
    found = _PERSON.all(_PERSON_SQL, params)
    if not found:
        raise Http404("No registration of this account has that reference.")
    registration, (registration.booked_id,) = found[0]
    appointment = None
    if registration.booked_id is not None:
        appointment = (
            Appointment.objects.filter(pk=registration.booked_id)
            .select_related("session__centre")
            .first()
        )
    context = {"person": registration, "appointment": appointment}
    if registration.status == Registration.Status.WAITING:
        place = services.queue_place(registration=registration)
        context["place"] = place
        context["estimate"] = estimate_slot(registration=registration, place_in_area=place.in_area)
    if registration.status in (Registration.Status.WAITING, Registration.Status.PAUSED):
        context["standing"] = standing(registration, today=timezone.localdate())
    return render(request, "registrations/person.html", context)


@citizen_required
def slip(request: HttpRequest, reference: str) -> HttpResponse:
    registration = _registration_for_citizen(request, reference)
    appointment = _booked_appointment(registration)
    if appointment is None:
        raise Http404(_("There is no appointment to print."))
    context = {
        "person": registration,
        "appointment": appointment,
        "qr": qr_svg(f"TEEKA:{registration.reference}:{appointment.code}"),
    }
    return render(request, "registrations/slip.html", context)


@citizen_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """Cancelling asks what the person wants: another date, a pause, or out
    for good (the withdraw page, which confirms first)."""
    registration = _registration_for_citizen(request, reference)
    appointment = _booked_appointment(registration)
    if appointment is None:
        messages.error(request, _("There is no appointment to cancel."))
        return redirect("registrations:person", reference=reference)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["choice"]
        if choice == CancelChoice.WITHDRAW:
            return redirect("registrations:withdraw", reference=reference)
        if choice == CancelChoice.PAUSE:
            slot_services.pause_registration(registration=registration, by=None)
            messages.success(
                request,
                _(
                    "The appointment is cancelled and the registration is paused. You keep "
                    "your place in the queue; press Resume when you want a slot."
                ),
            )
        else:
            slot_services.cancel_for_another_date(
                appointment=appointment, by=None, not_before=form.cleaned_data["not_before"]
            )
            messages.success(
                request,
                _(
                    "The appointment is cancelled. You keep your place in the queue; your "
                    "next slot will be on another date, and we will send it by SMS."
                ),
            )
        return redirect("registrations:person", reference=reference)
    context = {"person": registration, "appointment": appointment, "form": form}
    return render(request, "registrations/cancel.html", context)


@citizen_required
@require_POST
def resume(request: HttpRequest, reference: str) -> HttpResponse:
    registration = _registration_for_citizen(request, reference)
    if slot_services.resume_registration(registration=registration, by=None):
        messages.success(
            request, _("Resumed: you are waiting for a slot again, at your place in the queue.")
        )
    return redirect("registrations:person", reference=reference)


@citizen_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    registration = _registration_for_citizen(request, reference)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_registration(
                registration=registration, by=None, reason="Withdrawn by the citizen"
            )
        except services.RegistrationRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("registrations:person", reference=reference)
        messages.success(
            request, _("%(name)s is no longer in the queue.") % {"name": registration.name}
        )
        return redirect("registrations:account")
    context = {"person": registration, "form": form}
    return render(request, "registrations/withdraw.html", context)
