"""A paper list checked and written set-based: the preview's verdict is what
the confirmation finds, and the confirmation writes a page of rows a statement.

Each row is read by the resource the admin's import always used
(RegistrationImportResource.read_row: the same messages, the same
duplicate and place rules) and made into the registration register_person()
would write (services.new_person: eligibility, masking). What the database
would refuse is then worked out for the whole list at once, from a few
queries: an ID registered already or earlier in the file (skipped), and for
each mobile, its account's free seats and the people on it (name and year of
birth, the constraint one_person_once_per_account), taken in the file's order
as the rows would take them. A full account or the same person twice refuses
the row with register_person's own message.

The preview writes nothing. The confirmation checks again, inside its one
transaction, then writes the accounts (one INSERT ... ON CONFLICT a page, in
mobile order) and the registrations with their history rows
(inserts.insert_many, a page a statement). The database keeps every
constraint: if it refuses a row anyway (someone registered between the check
and the write), the caller rolls this back and goes through the list one
row at a time to name the row (registrations.import_jobs).
"""

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import connection
from django.db.models import CharField
from django.utils.translation import gettext as _

from . import ids
from .inserts import history_user_id, insert_many, row_values
from .models import Account, Registration
from .resources import RegistrationImportResource
from .services import AccountFull, RegistrationRefused, SamePersonOnAccount, new_person

# Rows a statement: accounts and registrations are written, and looked up, so many at a time.
PAGE = 2000


@dataclass
class Person:
    """A row that goes in: its spreadsheet row, its mobile, the registration,
    and its cells as read (shown if the row is refused for its account)."""

    line: int
    mobile: str | None
    registration: Registration
    cells: tuple


@dataclass
class Plan:
    """What a list would do: its refused rows (spreadsheet row, the
    ValidationError the row raised, its cells as read), its skipped rows
    (spreadsheet row, why) and the people it registers, seats worked out."""

    refused: list[tuple[int, ValidationError, tuple]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


# Called for each row checked, with whether it was refused (progress).
OnRow = Callable[[bool], None]


def check(
    *, user, headers: list[str], rows: list[list], lines: list[int], on_row: OnRow, accounts: bool
) -> Plan:
    """Every row checked as the confirmation writes it. `accounts`: the
    mobiles' accounts are made where missing (the confirmation, in its
    transaction); else only looked up (the preview writes nothing)."""
    resource = RegistrationImportResource(user=user, lines=lines)
    resource.load_existing(headers, rows)
    shown = resource.get_diff_headers()
    reason = _("Imported from a paper list")
    plan = Plan()
    for number, values in enumerate(rows, start=1):
        row = dict(zip(headers, values, strict=False))
        person = _read(resource, row, number, reason)
        if isinstance(person, ValidationError):
            plan.refused.append((resource.line_of(number), person, _cells(row, shown)))
        elif person is not None:
            person.cells = _cells(row, shown)
            plan.people.append(person)
        on_row(isinstance(person, ValidationError))
    plan.skipped = resource.skipped
    _seat(plan, accounts=accounts)
    return plan


def _read(
    resource: RegistrationImportResource, row: dict, number: int, reason: str
) -> Person | ValidationError | None:
    """The row's person; or why it is refused; or None: skipped (a duplicate)."""
    try:
        read = resource.read_row(row, number)
    except ValidationError as error:
        return error
    if read.duplicate_reason:
        resource.skipped.append((read.line, read.duplicate_reason))
        return None
    try:
        registration = new_person(
            account=None,
            details=read.details,
            by=resource.user,
            no_mobile_reason=read.no_mobile_reason,
            registered_at=read.registered_at,
            reason=reason,
        )
    except RegistrationRefused as refusal:
        return ValidationError(refusal.message)
    too_long = _too_long(registration, resource)
    if too_long is not None:
        return too_long
    return Person(line=read.line, mobile=read.mobile, registration=registration, cells=())


def _too_long(
    registration: Registration, resource: RegistrationImportResource
) -> ValidationError | None:
    """A text longer than its column, which the database would refuse (a
    name over 100 letters; an address whose Aadhaar numbers, masked, grew
    past 200): said by the row's column, in Django's words."""
    for model_field in _text_fields():
        value = getattr(registration, model_field.attname)
        if value and len(value) > model_field.max_length:
            try:
                MaxLengthValidator(model_field.max_length)(value)
            except ValidationError as error:
                return ValidationError({_column_of(resource, model_field.name): error})
    return None


@functools.cache
def _text_fields() -> list:
    return [
        f
        for f in Registration._meta.concrete_fields
        if isinstance(f, CharField) and f.max_length and not f.generated
    ]


def _column_of(resource: RegistrationImportResource, model_field: str) -> str:
    """The sheet's column of a registration's field ("" for the row)."""
    for field_name, import_field in resource.fields.items():
        if import_field.attribute == model_field:
            return field_name
    return NON_FIELD_ERRORS


def _cells(row: dict, shown: list[str]) -> tuple:
    """The row as the preview shows a refused one (the ID already masked)."""
    return tuple(row.get(column, "---") for column in shown)


def _seat(plan: Plan, *, accounts: bool) -> None:
    """Each person with a mobile takes their account's first free seat, in
    the file's order; a full account or the same person again (by name, as
    the database lowers it, and year of birth) refuses the row, as the
    database would."""
    mobiles = sorted({p.mobile for p in plan.people if p.mobile})
    ids = _make_accounts(mobiles) if accounts else _find_accounts(mobiles)
    seats: dict[str, set[int]] = {m: set() for m in mobiles}
    on_account: dict[str, set[tuple[str, int]]] = {m: set() for m in mobiles}
    mobile_of = {account_id: mobile for mobile, account_id in ids.items()}
    for account_id, seat, name, birth_year in _people_on(sorted(mobile_of)):
        mobile = mobile_of[account_id]
        if seat is not None:
            seats[mobile].add(seat)
        on_account[mobile].add((name, birth_year))
    lowered = _lowered({p.registration.name for p in plan.people if p.mobile})
    going = []
    for person in plan.people:
        registration = person.registration
        if person.mobile:
            taken = seats[person.mobile]
            free = next((s for s in range(1, _max_seats() + 1) if s not in taken), None)
            same = (lowered[registration.name], registration.birth_year)
            refusal: RegistrationRefused | None = None
            if free is None:
                refusal = AccountFull()  # the database's check comes before its unique keys
            elif same in on_account[person.mobile]:
                refusal = SamePersonOnAccount()
            if refusal is not None:
                plan.refused.append((person.line, ValidationError(refusal.message), person.cells))
                continue
            taken.add(free)
            on_account[person.mobile].add(same)
            registration.seat, registration.account_id = free, ids.get(person.mobile)
        going.append(person)
    plan.people = going
    plan.refused.sort(key=lambda refused: refused[0])


def _max_seats() -> int:
    return settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT


def _pages(items: list, size: int = PAGE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _find_accounts(mobiles: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for page in _pages(mobiles):
            cursor.execute(
                "SELECT mobile, id FROM registrations_account WHERE mobile = ANY(%s)", [page]
            )
            found.update(cursor.fetchall())
    return found


def _make_accounts(mobiles: list[str]) -> dict[str, int]:
    """Every mobile's account, made where missing: one statement a page,
    that needs no savepoint even when a citizen signs up with the number
    meanwhile. In mobile order, so two lists never wait on each other."""
    made: dict[str, int] = {}
    for page in _pages(mobiles):
        accounts = [Account(mobile=mobile) for mobile in page]
        Account.objects.bulk_create(
            accounts, update_conflicts=True, unique_fields=["mobile"], update_fields=["mobile"]
        )
        made.update((mobile, account.pk) for mobile, account in zip(page, accounts, strict=True))
    return made


def _people_on(account_ids: list[int]) -> Iterator[tuple[int, int | None, str, int]]:
    """(account, seat, lower(name), year of birth) of everyone on these accounts."""
    with connection.cursor() as cursor:
        for page in _pages(account_ids):
            cursor.execute(
                "SELECT account_id, seat, lower(name), birth_year FROM registrations_registration"
                " WHERE account_id = ANY(%s)",
                [page],
            )
            yield from cursor.fetchall()


def _lowered(names: set[str]) -> dict[str, str]:
    """Each name as the database lowers it (one_person_once_per_account)."""
    lowered: dict[str, str] = {}
    with connection.cursor() as cursor:
        for page in _pages(sorted(names)):
            cursor.execute("SELECT n, lower(n) FROM unnest(%s::text[]) AS n", [page])
            lowered.update(cursor.fetchall())
    return lowered


def write(plan: Plan, *, on_page: Callable[[int], None]) -> list[int]:
    """Writes the plan's people, a page a statement; their ids. Raises the
    database's refusal (the caller's transaction is then rolled back)."""
    db = connection
    written: list[int] = []
    reason = _("Imported from a paper list")
    drawn: set[str] = set()
    for page in _pages(plan.people):
        _fresh_references([person.registration for person in page], drawn)
        rows = [row_values(person.registration, db) for person in page]
        # Who made the change, as simple_history decides it (none in a worker).
        user_id = history_user_id(page[0].registration)
        written += insert_many(rows, reason=reason, user_id=user_id, db=db)
        on_page(len(page))
    return written


def _fresh_references(registrations: list[Registration], drawn: set[str]) -> None:
    """Draws again any reference already taken, in the database or earlier
    in the list: a random 40 bits, one in 55,000 of them taken at 2 crore
    people, so a list of 50,000 would often meet one, and the database
    would refuse the whole page."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reference FROM registrations_registration WHERE reference = ANY(%s)",
            [[r.reference for r in registrations]],
        )
        taken = {reference for (reference,) in cursor.fetchall()} | drawn
    for registration in registrations:
        while registration.reference in taken:
            registration.reference = ids.new_reference()
        taken.add(registration.reference)
        drawn.add(registration.reference)
