"""The SMS a person gets about their slot, rendered the same way one at a time
(the services) and by the thousand (the allocator).

Each template is rendered once per language with a token in place of every
value; filling in the values is then a plain string replace. The allocator
fills a session's values once per session and language, and only the
person's own (name, reference, code) per message.
"""

import datetime
from functools import cache

from django.utils import timezone

from registrations.ids import format_reference
from teeka.outbox import queue_text, render_sms

FIELDS = ("name", "reference", "dose", "centre", "date", "start", "end", "code", "reason")
DATE_FORMAT, TIME_FORMAT = "%d-%m-%Y", "%H:%M"


def _token(field: str) -> str:
    # A control character nobody types, so a name can never look like a token.
    return f"\x1e{field}\x1e"


@cache
def skeleton(kind: str, language: str) -> str:
    """The message with tokens where the values go."""
    return render_sms(kind, {f: _token(f) for f in FIELDS}, language)


def prefill(text: str, values: dict[str, str]) -> str:
    """Fills the given values in their order, leaving other tokens for later."""
    for field, value in values.items():
        text = text.replace(_token(field), value)
    return text


def fill(text: str, values: dict[str, str]) -> str:
    """Fills the given values; a value not given reads as nothing."""
    return prefill(prefill(text, values), dict.fromkeys(FIELDS, ""))


def session_values(
    *, centre: str, date: datetime.date, start: datetime.time, end: datetime.time, dose: int
) -> dict[str, str]:
    """What a message says about the session: the same for everyone in it."""
    return {
        "dose": str(dose),
        "centre": centre,
        "date": date.strftime(DATE_FORMAT),
        "start": start.strftime(TIME_FORMAT),
        "end": end.strftime(TIME_FORMAT),
    }


def person_values(*, name: str, reference: str, code: str) -> dict[str, str]:
    # The name last: whatever it holds is never read as a token.
    return {"reference": format_reference(reference), "code": code, "name": name}


def _values(appointment, reason: str) -> dict[str, str]:
    registration, session = appointment.registration, appointment.session
    return {
        **session_values(
            centre=session.centre.name,
            date=session.date,
            start=session.start_time,
            end=session.end_time,
            dose=appointment.dose,
        ),
        "reason": reason,
        **person_values(
            name=registration.name, reference=registration.reference, code=appointment.code
        ),
    }


def tell(*, appointment, kind: str, reason: str = "", dedupe: str | None = None) -> None:
    """Writes the SMS about `appointment` to the outbox (nothing for a person
    registered without a mobile)."""
    account = appointment.registration.account
    if account is None:
        return
    text = fill(skeleton(kind, account.language), _values(appointment, reason))
    session = appointment.session
    # Of no use once the session has begun.
    starts = timezone.make_aware(datetime.datetime.combine(session.date, session.start_time))
    queue_text(
        to=str(account.mobile),
        kind=kind,
        text=text,
        dedupe_key=dedupe,
        expires_at=starts,
        # A cancellation goes after the allotment it cancels, if that waits.
        follows=[] if kind == "allotted" else [f"allotted:{appointment.pk}"],
    )


def format_day(day: datetime.date) -> str:
    return day.strftime(DATE_FORMAT)
