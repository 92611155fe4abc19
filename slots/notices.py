"""The SMS a person gets about their slot, rendered the same way one at a time
(the services) and by the thousand (the allocator's SQL).

Each template is rendered once per language with a token in place of every
value; filling in the values is then a plain string replace, which SQL's
replace() does identically for a whole batch.
"""

import datetime
from functools import cache

from django.conf import settings

from registrations.ids import format_reference
from teeka.outbox import queue_text, render_sms

FIELDS = ("name", "reference", "dose", "centre", "date", "start", "end", "code", "reason")
DATE_FORMAT, TIME_FORMAT = "%d-%m-%Y", "%H:%M"
# The SQL twins of the formats above and of format_reference().
SQL_VALUES = {
    "name": "p.name",
    "reference": "substr(p.reference, 1, 3) || '-' || substr(p.reference, 4, 3) || '-' || "
    "substr(p.reference, 7)",
    "dose": "ap.dose::text",
    "centre": "c.name",
    "date": "to_char(s.date, 'DD-MM-YYYY')",
    "start": "to_char(s.start_time, 'HH24:MI')",
    "end": "to_char(s.end_time, 'HH24:MI')",
    "code": "ap.code",
}


def _token(field: str) -> str:
    # A control character nobody types, so a name can never look like a token.
    return f"\x1e{field}\x1e"


@cache
def skeleton(kind: str, language: str) -> str:
    """The message with tokens where the values go."""
    return render_sms(kind, {f: _token(f) for f in FIELDS}, language)


def fill(text: str, values: dict[str, str]) -> str:
    for field in FIELDS:
        text = text.replace(_token(field), values.get(field, ""))
    return text


def sql_fill(text_sql: str) -> str:
    """An SQL expression filling the tokens of the skeleton `text_sql` from the
    aliases p (the person), ap (appointment), s (session), c (centre)."""
    expr = text_sql
    for field, value in SQL_VALUES.items():
        expr = f"replace({expr}, '{_token(field)}', {value})"
    return expr


def sql_skeleton_by_language(
    kind: str, language_column: str, reason: str = ""
) -> tuple[str, list[str]]:
    """CASE expression choosing the skeleton for the reader's language; the
    reason, the same for the whole batch, is filled in here."""
    codes = [code for code, _ in settings.LANGUAGES]
    cases = " ".join(f"WHEN {language_column} = %s THEN %s" for _ in codes)
    params: list[str] = []
    for code in [*codes, settings.LANGUAGE_CODE]:
        params += [code, fill_reason(skeleton(kind, code), reason)]
    return f"(CASE {cases} ELSE %s END)", params[:-2] + params[-1:]


def fill_reason(text: str, reason: str) -> str:
    return text.replace(_token("reason"), reason)


def _values(appointment, reason: str) -> dict[str, str]:
    registration, session = appointment.registration, appointment.session
    return {
        "name": registration.name,
        "reference": format_reference(registration.reference),
        "dose": str(appointment.dose),
        "centre": session.centre.name,
        "date": session.date.strftime(DATE_FORMAT),
        "start": session.start_time.strftime(TIME_FORMAT),
        "end": session.end_time.strftime(TIME_FORMAT),
        "code": appointment.code,
        "reason": reason,
    }


def tell(*, appointment, kind: str, reason: str = "", dedupe: str | None = None) -> None:
    """Writes the SMS about `appointment` to the outbox (nothing for a person
    registered without a mobile)."""
    account = appointment.registration.account
    if account is None:
        return
    text = fill(skeleton(kind, account.language), _values(appointment, reason))
    queue_text(to=str(account.mobile), kind=kind, text=text, dedupe_key=dedupe)


def format_day(day: datetime.date) -> str:
    return day.strftime(DATE_FORMAT)
