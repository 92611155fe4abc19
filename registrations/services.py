"""Registering people, withdrawing them, and where they stand in the queue.

Duplicates are decided by the database's unique constraints
(one_registration_per_id, one_person_once_per_account, account_seat_unique):
an IntegrityError becomes the person's message, so ten simultaneous
submissions of one person leave exactly one row.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from teeka.db import retry_on_conflict
from teeka.outbox import queue_sms

from . import ids
from .inserts import WrongPlace, insert_registration, wrong_place_field
from .models import QUEUE_ORDER, Account, PriorityGroup, Registration
from .validators import mask_aadhaar_numbers


class RegistrationRefused(Exception):  # noqa: N818 - the name in the agreed contract
    message: str = ""

    def __init__(self, message: str = ""):
        super().__init__(message or self.message)
        self.message = message or self.message


class Busy(RegistrationRefused):  # noqa: N818
    def __init__(self) -> None:
        super().__init__(
            _("Many changes are being made to this at the same moment. Please try again.")
        )


class AlreadyRegistered(RegistrationRefused):
    def __init__(self, *, existing: Registration, account: Account | None):
        self.masked_reference = mask_reference(existing.reference)
        self.on_another_mobile = existing.account_id != (account.pk if account else None)
        self.withdrawn = existing.status == Registration.Status.WITHDRAWN
        super().__init__(self._explain())

    def _explain(self) -> str:
        text = _("This ID is already registered (reference %(ref)s).") % {
            "ref": self.masked_reference
        }
        if self.withdrawn:
            text += " " + _("That registration was withdrawn.")
        if self.on_another_mobile or self.withdrawn:
            text += " " + _(
                "To move it to this mobile or bring it back, call the helpline %(helpline)s "
                "or visit any vaccination centre's help desk with this ID."
            ) % {"helpline": settings.TEEKA_HELPLINE}
        return text


class SamePersonOnAccount(RegistrationRefused):
    def __init__(self) -> None:
        super().__init__(_("A person with this name and year of birth is already on your account."))


class AccountFull(RegistrationRefused):
    def __init__(self) -> None:
        super().__init__(
            _("An account can hold up to %(n)d people. Use another mobile number for more.")
            % {"n": settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT}
        )


class NotEligible(RegistrationRefused):
    pass


class PlaceRefused(RegistrationRefused):
    """The places do not fit together; `field` says which one to fix."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(PLACE_MESSAGES[field]())


PLACE_MESSAGES = {
    "district": lambda: _("Please choose a district from the list."),
    "area": lambda: _("Please choose a block or town in the district you picked."),
    "locality": lambda: _("Please choose a village or ward in the block or town you picked."),
}


@dataclass
class PersonDetails:
    name: str
    gender: str
    birth_year: int
    id_type: str
    id_number: str
    priority: int
    district_id: int
    area_id: int
    locality_id: int
    address_line: str = ""
    pincode: str = ""
    ration_card: str = ""


def mask_reference(reference: str) -> str:
    """ABC-***-**Z: enough for the owner to recognise, too little to look up."""
    return f"{reference[:3]}-***-**{reference[-1]}"


def derive_priority(*, occupation: int, birth_year: int, long_term_illness: bool) -> int:
    """Age-based groups come from the year of birth, never from what is ticked."""
    age = timezone.localdate().year - birth_year
    if occupation in (PriorityGroup.HEALTH_WORKER, PriorityGroup.FRONTLINE_WORKER):
        return occupation
    if age >= 60:
        return PriorityGroup.AGED_60_PLUS
    if age >= 45 and long_term_illness:
        return PriorityGroup.AGED_45_COMORBID
    return PriorityGroup.EVERYONE


def _check_eligible(details: PersonDetails) -> None:
    age = timezone.localdate().year - details.birth_year
    if age < settings.TEEKA_MIN_AGE:
        raise NotEligible(
            _("Vaccination is open to people aged %(age)d or over.")
            % {"age": settings.TEEKA_MIN_AGE}
        )


def _new_registration(details: PersonDetails, account: Account | None) -> Registration:
    fields = {k: v for k, v in details.__dict__.items() if k not in ("id_type", "id_number")}
    registration = Registration(account=account, **fields)
    # Free text never keeps a whole Aadhaar number (typed in the address, or
    # even in the name box).
    registration.name = mask_aadhaar_numbers(" ".join(registration.name.split()))
    registration.address_line = mask_aadhaar_numbers(registration.address_line)
    registration.set_id_number(details.id_type, details.id_number)
    return registration


def _refusal_for(error: IntegrityError, registration: Registration) -> RegistrationRefused | None:
    """The person's message for a constraint the row broke; None for a seat race."""
    text = str(error)
    if "account_registration_has_seat" in text:
        return AccountFull()  # no free seat was left for the row
    if "registration_area_in_district" in text or "registration_locality_in_area" in text:
        return PlaceRefused(wrong_place_field(registration))
    # SQLite names the columns of a table-level unique constraint, not the constraint.
    if "one_registration_per_id" in text or "registration.id_type, registrations_" in text:
        existing = Registration.objects.get(
            id_type=registration.id_type, id_hash=registration.id_hash
        )
        return AlreadyRegistered(existing=existing, account=registration.account)
    if "one_person_once_per_account" in text:
        return SamePersonOnAccount()
    # Another took the seat at the same moment, or the reference (a random
    # 40 bits: at 2 crore people, one new registration in 55,000 draws one
    # taken): the row simply tries again.
    if "account_seat_unique" in text or "registration_reference_unique" in text:
        return None
    if registration.account_id and not Account.objects.filter(pk=registration.account_id).exists():
        # The citizen's session outlived the account (removed by an official).
        raise Account.DoesNotExist("The account was removed.") from error
    raise error


def new_person(
    *,
    account: Account | None,
    details: PersonDetails,
    by: User | None = None,
    no_mobile_reason: str = "",
    registered_at: datetime.datetime | None = None,
    reason: str | None = None,
) -> Registration:
    """The registration register_person() writes, not saved yet and without
    its seat: NotEligible if the person may not register. A paper list's
    confirmation writes thousands of these at once
    (registrations.import_plan)."""
    _check_eligible(details)
    registration = _new_registration(details, account)
    registration.created_by = by
    if registered_at is not None:
        registration.registered_at = registration.queue_at = registered_at
    if reason:
        registration._change_reason = reason
    registration.no_mobile_reason = mask_aadhaar_numbers(no_mobile_reason)
    return registration


def register_person(
    *,
    account: Account | None,
    details: PersonDetails,
    by: User | None = None,
    no_mobile_reason: str = "",
    registered_at: datetime.datetime | None = None,
    reason: str | None = None,
    savepoint: bool = True,
) -> Registration:
    """Adds a person to the queue, at the back of their priority group, in the
    first free seat of the account. A paper list gives its own
    `registered_at` (the day on the list keeps the person's place in the
    queue), and the history's `reason`. With `savepoint=False` (see
    insert_registration) a refusal by the database is raised as the
    IntegrityError itself: the caller's transaction can only be rolled back."""
    registration = new_person(
        account=account,
        details=details,
        by=by,
        no_mobile_reason=no_mobile_reason,
        registered_at=registered_at,
        reason=reason,
    )
    # Two people added to one account at once may pick the same seat: the
    # loser of that race simply tries the next free seat.
    for _attempt in range(settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT + 1):
        try:
            insert_registration(
                registration,
                max_seats=settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT,
                savepoint=savepoint,
            )
            return registration
        except WrongPlace as wrong:
            raise PlaceRefused(wrong.field) from None
        except IntegrityError as error:
            if not savepoint:
                raise
            refusal = _refusal_for(error, registration)
            if refusal is not None:
                raise refusal from None
            registration.pk, registration.reference = None, ids.new_reference()
    raise AccountFull()


@retry_on_conflict(give_up=Busy)
def withdraw_registration(*, registration: Registration, by: User | None, reason: str) -> None:
    """Takes a person out of the queue for good; a booked appointment is
    cancelled in the same transaction, so its seat goes back to the session and
    the allocator, which runs after commit, cannot hand the person a new one.
    The person is told once, that they are out (not that they keep a place)."""
    from slots.models import Appointment
    from slots.services import cancel_appointment

    with transaction.atomic():
        # The one lock order (slots.services): cancelling takes the session,
        # the person, then the appointment; the person's row again after.
        for appointment in registration.appointments.filter(status=Appointment.Status.BOOKED):
            cancel_appointment(appointment=appointment, by=by, reason=reason, tell=False)
        locked = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=registration.pk)
        )
        if locked.status != Registration.Status.WITHDRAWN:
            # The seat on the account goes free for someone else.
            locked.status, locked.seat = Registration.Status.WITHDRAWN, None
            locked._history_user = by
            locked._change_reason = reason[:100]
            locked.save(update_fields=["status", "seat"])
            _tell_withdrawn(locked)
    registration.status, registration.seat = Registration.Status.WITHDRAWN, None


def _tell_withdrawn(registration: Registration) -> None:
    if registration.account is None:
        return
    queue_sms(
        to=str(registration.account.mobile),
        kind="withdrawn",
        context={
            "name": registration.name,
            "reference": registration.display_reference,
            "helpline": settings.TEEKA_HELPLINE,
        },
        language=registration.account.language,
        dedupe_key=f"withdrawn:{registration.pk}",
        # After any slot SMS about this person that still waits.
        follows=[
            f"{kind}:{pk}"
            for pk in registration.appointments.values_list("pk", flat=True)
            for kind in ("allotted", "reallotted")
        ],
    )


# Where a person stands --------------------------------------------------------


@dataclass
class QueuePlace:
    in_area: int
    in_district: int


def _same_queue(registration: Registration) -> Q:
    """WAITING people eligible for the same next dose as `registration`."""
    same = Q(status=Registration.Status.WAITING, doses_received=registration.doses_received)
    if registration.doses_received == 1:
        today = timezone.localdate()
        due = Q()
        for vaccine, days in settings.TEEKA_DOSE_INTERVAL_DAYS.items():
            due |= Q(last_vaccine=vaccine, last_dose_date__lte=today - datetime.timedelta(days))
        same &= due
    return same


def _ahead_of(registration: Registration) -> Q:
    """Strictly before `registration` in QUEUE_ORDER (priority, queue_at, reference)."""
    first, second, third = QUEUE_ORDER
    mine = [getattr(registration, f) for f in QUEUE_ORDER]
    return (
        Q(**{f"{first}__lt": mine[0]})
        | Q(**{first: mine[0], f"{second}__lt": mine[1]})
        | Q(**{first: mine[0], second: mine[1], f"{third}__lt": mine[2]})
    )


def queue_place(*, registration: Registration) -> QueuePlace:
    """1 = next in line, in the block or town and in the district."""
    if connection.vendor == "postgresql":
        return _place_from_queue_days(registration)
    ahead = Registration.objects.filter(_same_queue(registration), _ahead_of(registration))
    return QueuePlace(
        in_area=ahead.filter(area_id=registration.area_id).count() + 1,
        in_district=ahead.filter(district_id=registration.district_id).count() + 1,
    )


def place_in_area_among(*, registration: Registration, among: tuple[str, list]) -> int:
    """1 = next in line in the block or town among the people for whom the SQL
    condition `among` (on ration_card and priority only, with its parameters)
    holds: a quota category's people (quotas.standing). From the same counts
    as queue_place, which keep the ration card in the blocks' days and hours."""
    sql, params = among
    if connection.vendor != "postgresql":
        ahead = Registration.objects.filter(
            _same_queue(registration), _ahead_of(registration), area_id=registration.area_id
        )
        # Fixed fragments (quotas.standing); every value is a parameter.
        return ahead.extra(where=[sql], params=params).count() + 1  # noqa: S610
    ahead, ahead_params = _ahead_sql(registration, "area_id", registration.area_id, among)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ahead, ahead_params)
        return cursor.fetchone()[0] + 1


# Everyone ahead for the same dose: the whole days before the person's own (in
# a better group, or in theirs on an earlier day), then the whole hours before
# theirs on their day, from the counts the database keeps (QueueDay and
# DistrictQueueDay, QueueHour), then those ahead of them in their own hour,
# counted along the queue index. All in one statement, so from one snapshot. A
# second dose counts only those for whom it is due (by the vaccine and day of
# the first).
#
# Within their own hour, the shorter side is counted (by time: the hour is
# filled to its end, or to now if it is this hour): those before the person,
# or their whole hour from its count less those from the person to the
# hour's end. Someone who has just registered (the status page they land on)
# is at the end of their hour, with no one after them, however many
# registered in that hour before them.
_DAYS_AHEAD = (
    "SELECT coalesce(sum(waiting), 0) FROM {days}"
    " WHERE {where} = %s AND doses_received = %s AND (priority, day) < (%s, %s) AND {due}"
)
# The district's days from the districts' own counts: a row per group and day,
# not one per block or town too.
_DAYS_OF = {"area_id": "registrations_queueday", "district_id": "registrations_districtqueueday"}
_HOURS_AHEAD = (
    "SELECT coalesce(sum(waiting), 0) FROM registrations_queuehour"
    " WHERE {where} = %s AND doses_received = %s AND priority = %s AND day = %s"
    " AND hour {up_to} %s AND {due}"
)
# The own hour's side is also given as a plain range of queue_at (which the
# comparison with the person's (queue_at, reference) implies): with the
# comparison alone the planner guessed a third of the district's group
# (29,801 rows for 63 at 10,000,000 registrations), priced the statement over
# PostgreSQL's JIT threshold and compiled it, 50 ms for a 3 ms statement.
_SAME_HOUR_AHEAD = (
    "SELECT count(*) FROM registrations_registration"
    " WHERE {where} = %s AND doses_received < 2 AND priority = %s"
    " AND queue_at >= %s AND queue_at <= %s AND (queue_at, reference) < (%s, %s)"
    " AND status = 'waiting' AND doses_received = %s AND {due}"
)
_SAME_HOUR_FROM = (
    "SELECT count(*) FROM registrations_registration"
    " WHERE {where} = %s AND doses_received < 2 AND priority = %s"
    " AND queue_at >= %s AND queue_at < %s AND (queue_at, reference) >= (%s, %s)"
    " AND status = 'waiting' AND doses_received = %s AND {due}"
)


def _due(registration: Registration) -> tuple[str, list]:
    """SQL (and its parameters) true for the rows whose next dose is due as
    `registration`'s is: all of them for a first dose."""
    if registration.doses_received == 0:
        return "TRUE", []
    today = timezone.localdate()
    parts, params = [], []
    for vaccine, days in settings.TEEKA_DOSE_INTERVAL_DAYS.items():
        parts.append("(last_vaccine = %s AND last_dose_date <= %s)")
        params += [vaccine, today - datetime.timedelta(days)]
    return "(" + " OR ".join(parts or ["FALSE"]) + ")", params


def _place_from_queue_days(registration: Registration) -> QueuePlace:
    sums, params = [], []
    for where, place in (
        ("area_id", registration.area_id),
        ("district_id", registration.district_id),
    ):
        ahead, ahead_params = _ahead_sql(registration, where, place)
        sums.append(ahead)
        params += ahead_params
    # Only the fixed fragments above are joined; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(sums), params)
        in_area, in_district = cursor.fetchone()
    return QueuePlace(in_area=in_area + 1, in_district=in_district + 1)


def _ahead_sql(
    registration: Registration, where: str, place: int, among: tuple[str, list] | None = None
) -> tuple[str, list]:
    """SQL for how many are ahead of `registration` in the block or town
    (`where` area_id) or the district, among those for whom `among` holds,
    and its parameters. `among` names only columns every count has (the
    district's days have no ration card: a district is counted for everyone)."""
    queue_at = registration.queue_at.astimezone(datetime.UTC)
    hour_start = queue_at.replace(minute=0, second=0, microsecond=0)
    day, hour = hour_start.date(), hour_start.hour
    # The hour has people up to its end, or up to now if it is this hour.
    filled_to = min(timezone.now(), hour_start + datetime.timedelta(hours=1))
    late_in_hour = filled_to - queue_at < queue_at - hour_start
    due, due_params = _due(registration)
    if among is not None:
        due, due_params = f"{due} AND ({among[0]})", [*due_params, *among[1]]
    doses, priority = registration.doses_received, registration.priority
    mine = [registration.queue_at, registration.reference]
    days = _DAYS_AHEAD.format(days=_DAYS_OF[where], where=where, due=due)
    params = [place, doses, priority, day, *due_params]
    hours = _HOURS_AHEAD.format(where=where, due=due, up_to="<=" if late_in_hour else "<")
    params += [place, doses, priority, day, hour, *due_params]
    if late_in_hour:
        own_hour = _SAME_HOUR_FROM.format(where=where, due=due)
        params += [place, priority, queue_at, hour_start + datetime.timedelta(hours=1), *mine]
    else:
        own_hour = _SAME_HOUR_AHEAD.format(where=where, due=due)
        params += [place, priority, hour_start, queue_at, *mine]
    params += [doses, *due_params]
    sign = "-" if late_in_hour else "+"
    return f"({days}) + ({hours}) {sign} ({own_hour})", params
