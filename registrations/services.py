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
from .models import QUEUE_ORDER, Account, PriorityGroup, QueueSpan, Registration
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
    ahead, ahead_params = _ahead_sql(registration, among)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ahead, ahead_params)
        return cursor.fetchone()[0] + 1


# Everyone ahead for the same dose, from the counts the database keeps, in one
# statement (so from one snapshot), summed over rows that do not multiply as
# the queue fills (registrations/0024):
#   - in the block or town: its whole weeks before the person's (QueueSpan),
#     the days of their week before theirs (QueueDay), the hours of their day
#     before theirs (QueueHour), and those ahead of them in their own hour,
#     counted along the queue index;
#   - in the district: its weeks, the days of their week and the ten minutes
#     of their day before theirs (QueueSpan), and those ahead of them in their
#     own ten minutes (a district's hour holds ten times a block's people).
# A second dose counts only those for whom it is due (by the vaccine and day
# of the first). The place within a quota category (place_in_area_among) sums
# the block's whole days and hours by ration card instead (QueueSpan keeps no
# card).
#
# Within their own hour or ten minutes, the shorter side is counted (by time:
# the span is filled to its end, or to now if it is the current one): those
# before the person, or the span's whole count less those from the person to
# its end. Someone who has just registered (the status page they land on) is
# at the end of their hour, with no one after them, however many registered
# in that hour before them.
_SPANS_AHEAD = (
    "SELECT coalesce(sum(waiting), 0) FROM registrations_queuespan"
    " WHERE district_id = %s AND area_id {area} AND doses_received = %s AND span = %s"
    " AND {ahead} AND {due}"
)
_WEEKS_AHEAD = "(priority, day) < (%s, %s)"
_DAYS_OF_WEEK_AHEAD = "priority = %s AND day >= %s AND day < %s"
_MINUTES_AHEAD = "priority = %s AND day = %s AND minute {up_to} %s"
_AREA_DAYS_AHEAD = (
    "SELECT coalesce(sum(waiting), 0) FROM registrations_queueday"
    " WHERE area_id = %s AND doses_received = %s AND {ahead} AND {due}"
)
_HOURS_AHEAD = (
    "SELECT coalesce(sum(waiting), 0) FROM registrations_queuehour"
    " WHERE area_id = %s AND doses_received = %s AND priority = %s AND day = %s"
    " AND hour {up_to} %s AND {due}"
)
# The own span's side is also given as a plain range of queue_at (which the
# comparison with the person's (queue_at, reference) implies): with the
# comparison alone the planner guessed a third of the district's group
# (29,801 rows for 63 at 10,000,000 registrations), priced the statement over
# PostgreSQL's JIT threshold and compiled it, 50 ms for a 3 ms statement.
_SAME_SPAN_AHEAD = (
    "SELECT count(*) FROM registrations_registration"
    " WHERE {where} = %s AND doses_received < 2 AND priority = %s"
    " AND queue_at >= %s AND queue_at <= %s AND (queue_at, reference) < (%s, %s)"
    " AND status = 'waiting' AND doses_received = %s AND {due}"
)
_SAME_SPAN_FROM = (
    "SELECT count(*) FROM registrations_registration"
    " WHERE {where} = %s AND doses_received < 2 AND priority = %s"
    " AND queue_at >= %s AND queue_at < %s AND (queue_at, reference) >= (%s, %s)"
    " AND status = 'waiting' AND doses_received = %s AND {due}"
)
_HOUR, _TEN_MINUTES = datetime.timedelta(hours=1), datetime.timedelta(minutes=10)


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
    in_area, area_params = _ahead_in_area(registration)
    in_district, district_params = _ahead_in_district(registration)
    # Only the fixed fragments above are joined; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {in_area}, {in_district}", area_params + district_params)
        in_area, in_district = cursor.fetchone()
    return QueuePlace(in_area=in_area + 1, in_district=in_district + 1)


def _utc_queue_at(registration: Registration) -> datetime.datetime:
    return registration.queue_at.astimezone(datetime.UTC)


def _own_span(
    registration: Registration, where: str, place: int, length: datetime.timedelta, due: tuple
) -> tuple[bool, str, list]:
    """Whether the person is nearer the end of their own span of time (an hour
    or ten minutes, from a whole hour), and the SQL for how many to add (the
    nearer start) or take away (the nearer end) of the counts up to it."""
    queue_at = _utc_queue_at(registration)
    hour_start = queue_at.replace(minute=0, second=0, microsecond=0)
    start = hour_start + (queue_at - hour_start) // length * length
    # The span has people up to its end, or up to now if it is this one.
    filled_to = min(timezone.now(), start + length)
    late = filled_to - queue_at < queue_at - start
    mine = [registration.queue_at, registration.reference]
    if late:
        sql = _SAME_SPAN_FROM.format(where=where, due=due[0])
        params = [place, registration.priority, queue_at, start + length, *mine]
    else:
        sql = _SAME_SPAN_AHEAD.format(where=where, due=due[0])
        params = [place, registration.priority, start, queue_at, *mine]
    return late, sql, [*params, registration.doses_received, *due[1]]


def _week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _ahead_in_area(registration: Registration) -> tuple[str, list]:
    """SQL for how many are ahead of `registration` in the block or town, and
    its parameters: the weeks, the days of the week, the hours of the day."""
    due, due_params = due_sql = _due(registration)
    queue_at = _utc_queue_at(registration)
    day, hour, week = queue_at.date(), queue_at.hour, _week_of(queue_at.date())
    doses, priority = registration.doses_received, registration.priority
    late, own, own_params = _own_span(registration, "area_id", registration.area_id, _HOUR, due_sql)
    weeks = _SPANS_AHEAD.format(area="= %s", ahead=_WEEKS_AHEAD, due=due)
    params = [registration.district_id, registration.area_id, doses, QueueSpan.WEEK]
    params += [priority, week, *due_params]
    days = _AREA_DAYS_AHEAD.format(ahead=_DAYS_OF_WEEK_AHEAD, due=due)
    params += [registration.area_id, doses, priority, week, day, *due_params]
    hours = _HOURS_AHEAD.format(due=due, up_to="<=" if late else "<")
    params += [registration.area_id, doses, priority, day, hour, *due_params]
    sign = "-" if late else "+"
    return f"({weeks}) + ({days}) + ({hours}) {sign} ({own})", params + own_params


def _ahead_in_district(registration: Registration) -> tuple[str, list]:
    """As _ahead_in_area, in the district: the weeks, the days of the week and
    the ten minutes of the day, all from QueueSpan."""
    due, due_params = due_sql = _due(registration)
    queue_at = _utc_queue_at(registration)
    day, week = queue_at.date(), _week_of(queue_at.date())
    minute = queue_at.hour * 60 + queue_at.minute // 10 * 10
    doses, priority, district = (
        registration.doses_received,
        registration.priority,
        registration.district_id,
    )
    late, own, own_params = _own_span(registration, "district_id", district, _TEN_MINUTES, due_sql)
    spans, params = [], []
    for length, ahead, values in (
        (QueueSpan.WEEK, _WEEKS_AHEAD, [priority, week]),
        (QueueSpan.DAY, _DAYS_OF_WEEK_AHEAD, [priority, week, day]),
        (
            QueueSpan.TEN_MINUTES,
            _MINUTES_AHEAD.format(up_to="<=" if late else "<"),
            [priority, day, minute],
        ),
    ):
        spans.append(_SPANS_AHEAD.format(area="IS NULL", ahead=ahead, due=due))
        params += [district, doses, length, *values, *due_params]
    sign = "-" if late else "+"
    summed = " + ".join(f"({sql})" for sql in spans)
    return f"{summed} {sign} ({own})", params + own_params


def _ahead_sql(registration: Registration, among: tuple[str, list]) -> tuple[str, list]:
    """SQL for how many are ahead of `registration` in the block or town among
    those for whom `among` holds (on ration_card and priority), and its
    parameters: the whole days and hours by ration card (QueueDay, QueueHour)."""
    due, due_params = _due(registration)
    due, due_params = f"{due} AND ({among[0]})", [*due_params, *among[1]]
    queue_at = _utc_queue_at(registration)
    day, hour = queue_at.date(), queue_at.hour
    doses, priority, area = registration.doses_received, registration.priority, registration.area_id
    late, own, own_params = _own_span(registration, "area_id", area, _HOUR, (due, due_params))
    days = _AREA_DAYS_AHEAD.format(ahead="(priority, day) < (%s, %s)", due=due)
    params = [area, doses, priority, day, *due_params]
    hours = _HOURS_AHEAD.format(due=due, up_to="<=" if late else "<")
    params += [area, doses, priority, day, hour, *due_params]
    sign = "-" if late else "+"
    return f"({days}) + ({hours}) {sign} ({own})", params + own_params
