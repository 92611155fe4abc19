"""Everything that books, frees or closes a seat.

The locking recipe, one for every path (the allocator, officials, citizens,
the help desk and the nightly no-shows):

    sessions, then registrations, then appointments;
    several rows of one kind in id order.

A durable transaction; read what is needed unlocked (an appointment's session
and person never change); lock in that order; re-check under the locks;
write. Freeing a seat is no exception: `booked - 1` locks the session row,
so cancelling locks the session first too. The allocator locks a district's
open sessions, then sets the people's status (their rows), then inserts the
appointments. A deadlock or serialization failure that still happens (a path
outside this module, the database's own choice) rolls the transaction back,
and the service runs it again, a bounded number of times
(teeka.db.retry_on_conflict); the person sees a message, never an error page.
The database constraints (never_overbooked, one_active_appointment_per_dose)
are the last line if a caller ever skips the recipe.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registrations.ids import format_reference
from registrations.models import QUEUE_ORDER, Registration
from teeka.db import retry_on_conflict
from teeka.models import OutboundSms
from teeka.outbox import queue_sms, send_first

from . import notices
from .allocation import (
    AllocationSummary,
    OpenSession,
    allocate_district,
    person_from_registration,
)
from .models import Appointment, Session, SkippedSession, StandbyCall

# Only the services' own transactions are retried; see teeka.db.


class AllotmentError(Exception):
    message = _("This slot cannot be allotted.")

    def __init__(self, message: str | None = None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class SessionFull(AllotmentError):  # noqa: N818 (names agreed in the contracts)
    message = _("This session has no seats left.")


class NotEligible(AllotmentError):  # noqa: N818
    message = _("This person cannot be given this session.")


class AlreadyAllotted(AllotmentError):  # noqa: N818
    message = _("This person already has a slot for this dose.")


class AgainstWishes(AllotmentError):  # noqa: N818
    """The person asked not to be given this (paused, gave the session up, or
    no slot before a day): an official may override it, knowingly."""

    message = _("This person asked not to be given this session.")


class Busy(AllotmentError):  # noqa: N818
    message = _("Many changes are being made to this at the same moment. Please try again.")


retried = retry_on_conflict(give_up=Busy)


def _save(obj: models.Model, *, by: User | None, reason: str, fields: list[str]) -> None:
    """Saves with a history row that says who and why."""
    obj._history_user = by
    obj._change_reason = reason[:100] or None
    obj.save(update_fields=fields)


@retried
def allot(
    *,
    registration: Registration,
    session: Session,
    by: User | None,
    reason: str = "",
    override_wishes: bool = False,
) -> Appointment:
    """Books one seat for one person: the one way, for officials and tests
    alike. The person's own wishes (check_wishes) hold unless an official
    overrides them on purpose."""
    with transaction.atomic(durable=True):
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("centre")
            .get(pk=session.pk)
        )
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=registration.pk)
        )
        check_can_allot(registration=registration, session=session, override_wishes=override_wishes)
        appointment = _book(registration=registration, session=session, by=by, reason=reason)
        notices.tell(appointment=appointment, kind="allotted", dedupe=f"allotted:{appointment.pk}")
    return appointment


def check_can_allot(
    *, registration: Registration, session: Session, override_wishes: bool = False
) -> None:
    """The allocator's rules for one person and one session, except notice:
    an official may fill tomorrow's seat by hand."""
    if registration.status == Registration.Status.ALLOTTED:
        raise AlreadyAllotted()
    if registration.status not in (Registration.Status.WAITING, Registration.Status.PAUSED):
        raise NotEligible(_("This person is not waiting for a slot."))
    if not override_wishes:
        check_wishes(registration=registration, session=session)
    if registration.district_id != session.district_id:
        raise NotEligible(_("This session is in another district."))
    if not session.published or session.status != Session.Status.ACTIVE:
        raise NotEligible(_("This session is not open."))
    if session.date < timezone.localdate():
        raise NotEligible(_("This session is over."))
    person = person_from_registration(registration)
    if person is None or not person.fits(_as_open(session)):
        raise NotEligible(_("This person's age, dose or vaccine does not match this session."))
    if session.booked >= session.capacity:
        raise SessionFull()


def check_wishes(*, registration: Registration, session: Session) -> None:
    """Raises AgainstWishes if the person asked not to have `session`."""
    if registration.status == Registration.Status.PAUSED:
        raise AgainstWishes(_("This person has paused their registration."))
    if registration.not_before and session.date < registration.not_before:
        raise AgainstWishes(
            _("This person asked for no slot before %(day)s.")
            % {"day": notices.format_day(registration.not_before)}
        )
    if SkippedSession.objects.filter(registration=registration, session=session).exists():
        raise AgainstWishes(_("This person cancelled this session to have another date."))


def _as_open(session: Session) -> OpenSession:
    return OpenSession(
        id=session.pk,
        centre_id=session.centre_id,
        locality_id=session.centre.locality_id,
        area_id=session.centre.area_id,
        date=session.date,
        start_time=session.start_time,
        vaccine=session.vaccine,
        dose=session.dose,
        min_age=session.min_age,
        max_age=session.max_age,
        seats=session.capacity - session.booked,
        centre_name=session.centre.name,
        end_time=session.end_time,
    )


def _book(*, registration: Registration, session: Session, by, reason: str) -> Appointment:
    appointment = Appointment(
        registration=registration, session=session, dose=registration.next_dose(), allotted_by=by
    )
    appointment._history_user = by
    appointment._change_reason = reason[:100] or None
    try:
        with transaction.atomic():
            appointment.save()
            session.booked += 1
            _save(session, by=by, reason=reason, fields=["booked"])
    except IntegrityError as error:
        # Only reachable if someone skipped the locks: the constraints decide.
        if "never_overbooked" in str(error):
            raise SessionFull() from error
        raise AlreadyAllotted() from error
    registration.status = Registration.Status.ALLOTTED
    _save(registration, by=by, reason=reason, fields=["status"])
    return appointment


def _release(
    *,
    appointment: Appointment,
    by: User | None,
    reason: str,
    to: str = Appointment.Status.CANCELLED,
    then: str = Registration.Status.WAITING,
) -> Registration | None:
    """Frees the seat and puts the person back at their place in the queue
    (waiting, or `then`); returns them. None if the appointment was no longer
    booked (a second click, a race). Locks in the one order: the session (a
    no-op if the caller holds it), the registration, then the appointment."""
    Session.objects.select_for_update().filter(pk=appointment.session_id).values_list("pk").get()
    registration = Registration.objects.select_for_update().get(pk=appointment.registration_id)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        return None
    appointment.status = to
    appointment.cancelled_at = timezone.now()
    appointment.cancel_reason = reason[:200]
    _save(appointment, by=by, reason=reason, fields=["status", "cancelled_at", "cancel_reason"])
    Session.objects.filter(pk=appointment.session_id).update(booked=F("booked") - 1)
    if registration.status == Registration.Status.ALLOTTED:
        registration.status = then
        _save(registration, by=by, reason=reason, fields=["status"])
    return registration


@retried
def cancel_appointment(
    *, appointment: Appointment, by: User | None, reason: str, tell: bool = True
) -> None:
    """The seat goes back at once; the person keeps their original queue place
    and is told by SMS, unless the caller tells them itself (`tell`)."""
    with transaction.atomic():
        if _release(appointment=appointment, by=by, reason=reason):
            if tell:
                _tell_cancelled(appointment.pk, reason)
            _request_allocation(appointment.session.district_id)


# A citizen's own choices ------------------------------------------------------
# Cancelling is never held against a person: they keep their queue place
# however often they cancel (no count, no back of the queue).


@retried
def cancel_for_another_date(
    *, appointment: Appointment, by: User | None, not_before: datetime.date | None = None
) -> bool:
    """The person cannot come that day: the seat goes back at once, they keep
    their queue place, and the allocator never offers them this session again
    (nor any before `not_before`, if given). False if it was no longer booked."""
    reason = "Cancelled by the citizen for another date"
    with transaction.atomic():
        registration = _release(appointment=appointment, by=by, reason=reason)
        if registration is None:
            return False
        SkippedSession.objects.get_or_create(
            registration_id=registration.pk, session_id=appointment.session_id
        )
        if registration.not_before != not_before:
            registration.not_before = not_before
            _save(registration, by=by, reason=reason, fields=["not_before"])
        _tell_citizen(appointment.pk, "cancelled_another_date")
        _request_allocation(registration.district_id)
    return True


@retried
def pause_registration(*, registration: Registration, by: User | None) -> None:
    """Keeps the queue place but allots nothing until resume_registration();
    a booked appointment is cancelled and its seat goes back at once."""
    reason = "Paused by the citizen" if by is None else "Paused"
    with transaction.atomic():
        booked = list(registration.appointments.filter(status=Appointment.Status.BOOKED))
        for appointment in booked:
            if _release(
                appointment=appointment, by=by, reason=reason, then=Registration.Status.PAUSED
            ):
                _tell_citizen(appointment.pk, "paused")
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.status == Registration.Status.WAITING:
            locked.status = Registration.Status.PAUSED
            _save(locked, by=by, reason=reason, fields=["status"])
        if booked:
            _request_allocation(locked.district_id)
    registration.status = locked.status


@retried
def resume_registration(*, registration: Registration, by: User | None) -> bool:
    """Back to waiting, at the same queue place; False if it was not paused."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.status != Registration.Status.PAUSED:
            return False
        locked.status = Registration.Status.WAITING
        _save(locked, by=by, reason="Resumed", fields=["status"])
        _request_allocation(locked.district_id)
    registration.status = locked.status
    return True


def _tell_citizen(appointment_id: int, kind: str) -> None:
    """The SMS for a citizen's own choice, all in their language: no reason
    is quoted (the reason recorded is for officials, in English)."""
    appointment = Appointment.objects.select_related(
        "registration__account", "session__centre"
    ).get(pk=appointment_id)
    registration = appointment.registration
    if registration.account is None:
        return
    context = {
        "name": registration.name,
        "reference": format_reference(registration.reference),
        "centre": appointment.session.centre.name,
        "date": notices.format_day(appointment.session.date),
        "helpline": settings.TEEKA_HELPLINE,
    }
    queue_sms(
        to=str(registration.account.mobile),
        kind=kind,
        context=context,
        language=registration.account.language,
        dedupe_key=f"{kind}:{appointment_id}",
        follows=[f"allotted:{appointment_id}"],
    )


def turn_away(*, appointment: Appointment, by: User, reason: str) -> None:
    """A vaccinator could not vaccinate this person today (unwell, wrong
    vaccine...): the person goes back to the queue at their place."""
    cancel_appointment(appointment=appointment, by=by, reason=reason)


def _tell_cancelled(appointment_id: int, reason: str) -> None:
    appointment = Appointment.objects.select_related(
        "registration__account", "session__centre"
    ).get(pk=appointment_id)
    notices.tell(
        appointment=appointment,
        kind="appointment_cancelled",
        reason=reason,
        dedupe=f"appointment_cancelled:{appointment_id}",
    )


def count_wrong_code(*, appointment: Appointment) -> int:
    """One more wrong check-in code typed for this appointment; returns how
    many so far. An UPDATE of the one row, so two phones guessing at once
    both count."""
    Appointment.objects.filter(pk=appointment.pk).update(wrong_codes=F("wrong_codes") + 1)
    appointment.refresh_from_db(fields=["wrong_codes"])
    return appointment.wrong_codes


@retried
def record_vaccination(
    *, appointment: Appointment, by: User, batch_number: str, without_code_reason: str = ""
) -> None:
    """Dose given. After dose 1 the person waits again, for dose 2, which the
    allocator gives once the vaccine's interval has passed. Once the code is
    locked, the vaccinator checks the photo ID instead and says why
    (`without_code_reason`), which the appointment and its history keep."""
    with transaction.atomic():
        # The registration, then the appointment: the one order (the seat
        # stays taken, so the session is not touched).
        registration = Registration.objects.select_for_update().get(pk=appointment.registration_id)
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("session")
            .get(pk=appointment.pk)
        )
        if appointment.status != Appointment.Status.BOOKED:
            raise AllotmentError(_("This appointment is not open any more."))
        appointment.status = Appointment.Status.ATTENDED
        appointment.attended_at = timezone.now()
        appointment.batch_number = batch_number
        appointment.checked_in_without_code = without_code_reason[:200]
        fields = ["status", "attended_at", "batch_number", "checked_in_without_code"]
        reason = f"without the code: {without_code_reason}" if without_code_reason else ""
        _save(appointment, by=by, reason=reason, fields=fields)
        registration.doses_received = appointment.dose
        registration.last_dose_date = timezone.localdate()
        registration.last_vaccine = appointment.session.vaccine
        done = appointment.dose >= 2
        registration.status = Registration.Status.COMPLETED if done else Registration.Status.WAITING
        fields = ["doses_received", "last_dose_date", "last_vaccine", "status"]
        _save(registration, by=by, reason="", fields=fields)


def cancel_session(*, session: Session, by: User, reason: str) -> AllocationSummary:
    """Closes a session and re-allots its people at once (same rules, their
    queue place kept); each is told by SMS, with the reason."""
    booked = _close_session(session=session, by=by, reason=reason)
    if booked is None:
        return AllocationSummary(district_id=session.district_id)
    return _reallot(district_id=session.district_id, released=booked, reason=reason)


@retried
def _close_session(*, session: Session, by: User, reason: str) -> list[Appointment] | None:
    """The session cancelled and its seats freed; None if it already was."""
    with transaction.atomic(durable=True):
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.status == Session.Status.CANCELLED:
            return None
        session.status = Session.Status.CANCELLED
        session.cancel_reason = reason[:200]
        _save(session, by=by, reason=reason, fields=["status", "cancel_reason"])
        booked = list(
            session.appointments.filter(status=Appointment.Status.BOOKED).order_by(
                "registration_id"
            )
        )
        for appointment in booked:
            _release(appointment=appointment, by=by, reason=reason)
    return booked


def _reallot(*, district_id: int, released: list[Appointment], reason: str) -> AllocationSummary:
    """Seats the people of `released` (their seats already freed, in a
    committed transaction) again at once, by the engine's rules and at their
    own queue place; each is told by SMS, with the reason, either the new slot
    or that they wait. Someone a concurrent run seated meanwhile got that
    run's SMS and is not told they wait."""
    displaced = {a.registration_id: a.pk for a in released}
    if not displaced:
        return AllocationSummary(district_id=district_id)
    # Their first slot's SMS, if it still waits, goes before the new one's.
    send_first(
        dedupe_keys=[f"allotted:{pk}" for pk in displaced.values()],
        priority=OutboundSms.Priority.CHANGE,
    )
    summary = allocate_district(
        district_id=district_id,
        wait=True,
        only_ids=list(displaced),
        kind="reallotted",
        reason=reason,
    )
    still_waiting = set(
        Registration.objects.filter(
            pk__in=[r for r in displaced if r not in summary.seated],
            status=Registration.Status.WAITING,
        ).values_list("pk", flat=True)
    )
    with transaction.atomic():
        for registration_id in still_waiting:
            _tell_cancelled(displaced[registration_id], reason)
    return summary


@retried
def change_capacity(*, session: Session, capacity: int, by: User) -> None:
    """Refuses to go below the seats already booked: people keep their slot
    unless an official cancels it on purpose (or asks reduce_capacity to
    move them)."""
    with transaction.atomic(durable=True):
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if capacity < locked.booked:
            raise AllotmentError(
                _(
                    "%(booked)d people are already booked; the capacity cannot go below that."
                    " Cancel their appointments first."
                )
                % {"booked": locked.booked}
            )
        _set_capacity(locked, capacity, by=by, reason="capacity changed")
    session.capacity = capacity


def reduce_capacity(*, session: Session, capacity: int, by: User, reason: str) -> AllocationSummary:
    """Lowers the capacity even below the bookings, on an official's explicit
    choice. The people who lose their seat are those allotted last (and, of
    those allotted together, those later in the queue); they are re-allotted
    at once by the engine (same rules, their original queue place) and told
    by SMS why. The summary counts them: allotted (moved) and still_waiting.
    Never below the seats that cannot move (people already vaccinated, or
    whose day has passed): that is refused with a message saying how many."""
    if capacity < 0:
        raise AllotmentError(_("The capacity cannot be negative."))
    district_id, losing = _cut_capacity(session=session, capacity=capacity, by=by, reason=reason)
    session.capacity = capacity
    return _reallot(district_id=district_id, released=losing, reason=reason)


@retried
def _cut_capacity(
    *, session: Session, capacity: int, by: User, reason: str
) -> tuple[int, list[Appointment]]:
    with transaction.atomic(durable=True):
        locked = Session.objects.select_for_update().get(pk=session.pk)
        movable = locked.appointments.filter(status=Appointment.Status.BOOKED).count()
        fixed = locked.booked - movable
        if capacity < fixed:
            raise AllotmentError(
                _(
                    "%(fixed)d people of this session have already been vaccinated (or their "
                    "day has passed), so the capacity cannot go below %(fixed)d."
                )
                % {"fixed": fixed}
            )
        losing = _booked_last(locked, count=locked.booked - capacity)
        for appointment in sorted(losing, key=lambda a: a.registration_id):
            _release(appointment=appointment, by=by, reason=reason)
        if losing:  # so the history row shows the seats as they now are
            locked.refresh_from_db(fields=["booked"])
        _set_capacity(locked, capacity, by=by, reason=reason)
    return locked.district_id, losing


def _booked_last(session: Session, *, count: int) -> list[Appointment]:
    if count <= 0:
        return []
    latest_in_queue = [f"-registration__{field}" for field in QUEUE_ORDER]
    return list(
        session.appointments.filter(status=Appointment.Status.BOOKED).order_by(
            "-created_at", *latest_in_queue
        )[:count]
    )


def _set_capacity(locked: Session, capacity: int, *, by: User, reason: str) -> None:
    """Saves the new capacity of a locked session; more seats ask for a run."""
    grew = capacity > locked.capacity
    locked.capacity = capacity
    _save(locked, by=by, reason=reason, fields=["capacity"])
    if grew:
        _request_allocation(locked.district_id)


def mark_no_shows(*, today: datetime.date | None = None, batch: int = 5000) -> int:
    """Appointments still booked after their day become no-shows; each person
    goes back to the queue at their place, or to the back of it after
    TEEKA_NO_SHOWS_BEFORE_BACK_OF_QUEUE no-shows. Safe to run twice."""
    today = today or timezone.localdate()
    total = 0
    while True:
        claimed = _claim_no_shows(today=today, batch=batch)
        if claimed is None:
            return total
        total += claimed


@retried
def _claim_no_shows(*, today: datetime.date, batch: int) -> int | None:
    """One batch, in the one lock order: the people (in id order), then
    their appointments, re-checked under the lock. None when none are left."""
    overdue = Appointment.objects.filter(status=Appointment.Status.BOOKED, session__date__lt=today)
    with transaction.atomic(durable=True):
        people = list(overdue.values_list("registration_id", flat=True)[:batch])
        if not people:
            return None
        locked = list(
            Registration.objects.filter(pk__in=people)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        claimed = list(
            overdue.filter(registration_id__in=locked)
            .select_for_update(of=("self",))
            .values_list("pk", "registration_id")
        )
        _mark_no_show([pk for pk, _ in claimed], [reg for _, reg in claimed])
    return len(claimed)


def _mark_no_show(appointment_ids: list[int], registration_ids: list[int]) -> None:
    now = timezone.now()
    Appointment.objects.filter(pk__in=appointment_ids).update(
        status=Appointment.Status.NO_SHOW, updated_at=now
    )
    back = settings.TEEKA_NO_SHOWS_BEFORE_BACK_OF_QUEUE
    Registration.objects.filter(
        pk__in=registration_ids, status=Registration.Status.ALLOTTED
    ).update(
        status=Registration.Status.WAITING,
        no_show_count=F("no_show_count") + 1,
        queue_at=Case(When(no_show_count__gte=back - 1, then=Value(now)), default=F("queue_at")),
    )


def _request_allocation(district_id: int) -> None:
    from .tasks import request_allocation

    request_allocation(district_id)


@retried
def open_vial(*, session: Session, by: User, now: datetime.datetime | None = None) -> Session:
    """A vaccinator opened a new vial at this session: counted, with the time,
    so the check-in page can say what is left in it and until when, and the
    dashboard what was wasted. Doses still in a vial that has expired are
    thrown away (counted, so the new vial is not thought to hold them)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Session.objects.select_for_update(of=("self",)).get(pk=session.pk)
        expires = locked.open_vial_expires_at()
        fields = ["vials_opened", "last_vial_opened_at"]
        if expires is not None and now >= expires:
            left = locked.doses_opened() - locked.doses_given() - locked.doses_discarded
            if left > 0:
                locked.doses_discarded += left
                fields.append("doses_discarded")
        locked.vials_opened += 1
        locked.last_vial_opened_at = now
        _save(locked, by=by, reason="Vial opened", fields=fields)
    return locked


# Standby ----------------------------------------------------------------------
# Doses left in an open vial near the end of a session, or a seat whose person
# did not come, go to waiting people nearby rather than to waste. Nearest
# first (the centre's village or ward, then its block or town, then the
# district), in queue order within each; a person texted keeps their place in
# the queue whether they come or not.

STANDBY_COME_WITHIN = datetime.timedelta(hours=1)


@retried
def call_standby(
    *, session: Session, doses: int, by: User, now: datetime.datetime | None = None
) -> int:
    """Texts the next `doses` + standby_extra() eligible waiting people
    nearest the centre, not texted for this session before nor asked to come
    to another centre at this hour. Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Session.objects.select_for_update(of=("self",))
            .select_related("centre")
            .get(pk=session.pk)
        )
        locked.standby_doses += doses
        _save(locked, by=by, reason="Standby called", fields=["standby_doses"])
        come_by = now + STANDBY_COME_WITHIN
        chosen = _standby_people(locked, wanted=doses + standby_extra(locked, doses), now=now)
        for registration in chosen:
            StandbyCall.objects.create(
                session=locked, registration=registration, called_at=now, come_by=come_by
            )
            _tell_standby(registration, locked, come_by)
    return len(chosen)


def standby_extra(session: Session, doses: int) -> int:
    """How many more people than doses a call texts: the session's margin,
    or TEEKA_STANDBY_EXTRA_PERCENT of the doses if that is more. Not all can
    come within the hour, and a vial opened for standby that too few come to
    finish is wasted; one who comes after the doses are taken keeps their
    place (docs/performance.md, "A week of doses")."""
    share = -(-doses * settings.TEEKA_STANDBY_EXTRA_PERCENT // 100)
    return max(session.standby_margin, share)


@dataclass(frozen=True)
class StandbyOffer:
    """What the check-in page suggests: `unused` seats not used yet (free, or
    booked by someone who has not come) beyond the doses an earlier call
    offered to people still within their hour, and the `doses` to offer."""

    unused: int
    doses: int


def standby_to_offer(*, session: Session, now: datetime.datetime) -> StandbyOffer:
    """Every seat not used yet, rounded up so that every vial opened for them
    is finished (the doses left in the open vial first); less the doses an
    earlier call offered to people still within their hour to come."""
    vials = session.vials_at(now)
    expected = 0
    if StandbyCall.objects.filter(session=session, appointment=None, come_by__gt=now).exists():
        given = StandbyCall.objects.filter(session=session, appointment__isnull=False).count()
        expected = max(session.standby_doses - given, 0)
    unused = max(session.capacity - vials.given - expected, 0)
    left = max(vials.left - expected, 0)
    if unused <= left:
        return StandbyOffer(unused=unused, doses=left)
    vials_more = -(-(unused - left) // vials.per_vial)
    return StandbyOffer(unused=unused, doses=left + vials_more * vials.per_vial)


def standby_vial_worth_opening(*, session: Session, now: datetime.datetime) -> bool:
    """Whether a standby person who finds no dose left in an open vial should
    have a new one opened: only if the standby doses still offered fill it.
    An offer is rounded to whole vials, so this fails only when the open vial
    expired before its doses were used (or people came short): a vial opened
    then for one or two would be wasted, and they keep their place instead."""
    if session.vials_at(now).left > 0:
        return True
    given = StandbyCall.objects.filter(session=session, appointment__isnull=False).count()
    return session.standby_doses - given >= session.doses_per_vial()


def _standby_people(session: Session, *, wanted: int, now: datetime.datetime) -> list[Registration]:
    # A person can go to one centre at a time: one already asked to come
    # elsewhere within the hour would leave a dose here unused.
    called = StandbyCall.objects.filter(
        Q(session=session) | Q(come_by__gt=now, appointment=None)
    ).values("registration_id")
    nearness = Case(
        When(locality_id=session.centre.locality_id, then=Value(0)),
        When(area_id=session.centre.area_id, then=Value(1)),
        default=Value(2),
    )
    candidates = (
        Registration.objects.filter(
            status=Registration.Status.WAITING,
            district_id=session.district_id,
            doses_received=session.dose - 1,
            account__isnull=False,
        )
        .exclude(pk__in=called)
        .select_related("account")
        .annotate(nearness=nearness)
        .order_by("nearness", *QUEUE_ORDER)
    )
    open_session, chosen = _as_open(session), []
    # Most of the nearest fit; a few times the number wanted is plenty to read.
    for registration in candidates[: wanted * 20]:
        person = person_from_registration(registration)
        if person is None or not person.fits(open_session):
            continue
        try:
            check_wishes(registration=registration, session=session)
        except AllotmentError:
            continue
        chosen.append(registration)
        if len(chosen) == wanted:
            break
    return chosen


def _fits(registration: Registration, session: Session) -> bool:
    """Still due this session's dose (one given at another centre since the
    text, for instance, makes the next one dose 2)."""
    person = person_from_registration(registration)
    return person is not None and person.fits(_as_open(session))


def _tell_standby(registration: Registration, session: Session, come_by) -> None:
    queue_sms(
        to=str(registration.account.mobile),
        kind="standby",
        context={
            "centre": session.centre.name,
            "address": session.centre.address,
            "time": timezone.localtime(come_by).strftime(notices.TIME_FORMAT),
            "reference": format_reference(registration.reference),
            "helpline": settings.TEEKA_HELPLINE,
        },
        language=registration.account.language,
        dedupe_key=f"standby:{session.pk}:{registration.pk}",
        expires_at=come_by,  # of no use once the doses are gone
    )


@retried
def check_in_standby(*, call: StandbyCall, by: User, batch_number: str) -> Appointment:
    """The first to come of those texted get the doses offered: the dose is
    one beyond the published seats (the capacity grows by one, on record) and
    is recorded as standby; once they are all given, the others are told so
    and keep their place."""
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("centre")
            .get(pk=call.session_id)
        )
        given = StandbyCall.objects.filter(session=session, appointment__isnull=False).count()
        if given >= session.standby_doses:
            raise AllotmentError(
                _("All standby doses are taken; the person keeps their place in the queue.")
            )
        registration = Registration.objects.select_for_update().get(pk=call.registration_id)
        if registration.status != Registration.Status.WAITING or not _fits(registration, session):
            raise NotEligible(_("This person is not waiting for a dose any more."))
        session.capacity += 1
        _save(session, by=by, reason="Standby dose", fields=["capacity"])
        appointment = _book(
            registration=registration, session=session, by=by, reason="Standby dose"
        )
        StandbyCall.objects.filter(pk=call.pk).update(appointment=appointment)
        record_vaccination(appointment=appointment, by=by, batch_number=batch_number)
    return appointment
