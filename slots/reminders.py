"""The reminder the day before a slot, and the reply that confirms it or gives
the seat up.

A reminder asks for HAAN (yes) or NAHI (no). NAHI is "another date" (the
person keeps their queue place and never gets this session again) and the
seat goes back at once, so the next person in the queue can be allotted it
rather than a dose being wasted. Each appointment takes one reply; anything
else gets a short SMS that says what to send.

Where one account has several people with a slot tomorrow, each reminder
names the person's seat on the account ("NAHI 2") so a reply says whose.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registrations.ids import format_reference
from registrations.validators import normalise_mobile
from teeka.outbox import queue_sms

from . import notices
from .models import Appointment, Reminder, Session
from .services import cancel_for_another_date, retried

# How people write yes and no on a phone, in Latin letters and in Devanagari.
YES = {"haan", "haa", "han", "ha", "hn", "haanji", "hanji", "ji", "yes", "y", "ok", "okay"}
YES |= {"हाँ", "हां", "हा", "हान", "जी", "हाँजी", "हांजी"}
NO = {"nahi", "nahin", "nahee", "nai", "nhi", "na", "no", "n"}
NO |= {"नहीं", "नही", "नहि", "ना", "नइ"}


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    ALREADY = "already answered"
    LATE = "too late"
    WHICH = "which person"
    HELP = "not understood"
    UNKNOWN = "no reminder for this number"


@dataclass(frozen=True)
class Reply:
    answer: str  # Reminder.Reply.CONFIRMED or DECLINED, or "" when not understood
    seat: int | None


def read_reply(text: str) -> Reply:
    """The answer and, if given, the seat number in a reply ("Nahi 2", "हाँ",
    "YES.", "२ नहीं"): any script's digits, any case, punctuation ignored."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    digits = [unicodedata.digit(c) for c in text if c.isdigit()]
    # Split on anything but letters and their marks (a Devanagari vowel sign
    # is not \w to Python, so \w+ would cut नहीं in three).
    words = {w for w in re.split(r"[\s\d.,!?;:'\"()\[\]/_-]+", text) if w}
    answer = ""
    if words & YES and not words & NO:
        answer = Reminder.Reply.CONFIRMED
    elif words & NO and not words & YES:
        answer = Reminder.Reply.DECLINED
    return Reply(answer=answer, seat=digits[0] if len(digits) == 1 else None)


def send_reminders(*, today: datetime.date | None = None) -> int:
    """Reminds everyone booked for tomorrow who was not reminded yet; safe to
    run again (each appointment is reminded once). Returns how many."""
    tomorrow = (today or timezone.localdate()) + datetime.timedelta(days=1)
    due = list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            session__date=tomorrow,
            session__status=Session.Status.ACTIVE,
            registration__account__isnull=False,
            reminder__isnull=True,
        ).select_related("registration__account", "session__centre")
    )
    per_account: dict[int, int] = {}
    for appointment in due:
        account_id = appointment.registration.account_id
        per_account[account_id] = per_account.get(account_id, 0) + 1
    for appointment in due:
        several = per_account[appointment.registration.account_id] > 1
        _remind(appointment, seat=appointment.registration.seat if several else None)
    return len(due)


def _remind(appointment: Appointment, *, seat: int | None) -> None:
    account = appointment.registration.account
    with transaction.atomic():
        _, created = Reminder.objects.get_or_create(
            appointment=appointment, defaults={"mobile": str(account.mobile)}
        )
        if created:
            _sms(appointment, "reminder", seat=f" {seat}" if seat else "")


def _sms(appointment: Appointment, kind: str, **extra: str) -> None:
    registration, session = appointment.registration, appointment.session
    queue_sms(
        to=str(registration.account.mobile),
        kind=kind,
        context={
            "name": registration.name,
            "reference": format_reference(registration.reference),
            "centre": session.centre.name,
            "date": notices.format_day(session.date),
            "start": session.start_time.strftime(notices.TIME_FORMAT),
            "end": session.end_time.strftime(notices.TIME_FORMAT),
            "helpline": settings.TEEKA_HELPLINE,
            **extra,
        },
        language=registration.account.language,
        dedupe_key=f"{kind}:{appointment.pk}",
        # Of no use once the session starts, and never before its allotment.
        expires_at=_starts_at(session),
        follows=[f"allotted:{appointment.pk}"],
    )


def _starts_at(session: Session) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(session.date, session.start_time))


def _to_number(mobile: str, kind: str, language: str) -> None:
    """An answer that is about no one appointment in particular."""
    queue_sms(
        to=mobile,
        kind=kind,
        context={"helpline": settings.TEEKA_HELPLINE},
        language=language,
    )


def handle_reply(*, mobile: str, text: str) -> Outcome:
    """What a reply from `mobile` does; the sender gets an SMS saying so."""
    number = normalise_mobile(mobile)
    recent = timezone.now() - datetime.timedelta(days=3)
    reminders = list(
        Reminder.objects.filter(mobile=number or "", sent_at__gte=recent)
        .select_related("appointment__registration__account", "appointment__session__centre")
        .order_by("appointment__registration__seat")
    )
    if not reminders:
        return Outcome.UNKNOWN
    language = reminders[0].appointment.registration.account.language
    reply = read_reply(text)
    if not reply.answer:
        _to_number(number, "reply_help", language)
        return Outcome.HELP
    open_ones = [r for r in reminders if not r.reply]
    if reply.seat is not None:
        chosen = [r for r in reminders if r.appointment.registration.seat == reply.seat]
    elif len(open_ones) > 1:
        _to_number(number, "reply_which", language)
        return Outcome.WHICH
    else:
        chosen = open_ones or reminders[-1:]
    if not chosen:
        _to_number(number, "reply_which", language)
        return Outcome.WHICH
    return _answer(chosen[0], reply.answer)


# The whole reply is one transaction (the reply recorded, the seat given back),
# run again as a whole if PostgreSQL picks it to break a deadlock.
@retried
def _answer(reminder: Reminder, answer: str) -> Outcome:
    appointment = reminder.appointment
    if timezone.now() >= _starts_at(appointment.session):
        _sms(appointment, "reply_late")
        return Outcome.LATE
    with transaction.atomic():
        # One reply per appointment: the first one that arrives decides, and
        # only while the slot is still booked.
        still_booked = Appointment.objects.filter(
            pk=appointment.pk, status=Appointment.Status.BOOKED
        ).exists()
        taken = still_booked and Reminder.objects.filter(pk=reminder.pk, reply="").update(
            reply=answer, replied_at=timezone.now()
        )
        if not taken:
            _sms(appointment, "reply_already")
            return Outcome.ALREADY
        if answer == Reminder.Reply.DECLINED:
            # Its own SMS says the slot is cancelled and another date comes.
            cancel_for_another_date(appointment=appointment, by=None)
            return Outcome.DECLINED
        _sms(appointment, "reply_confirmed")
    return Outcome.CONFIRMED
