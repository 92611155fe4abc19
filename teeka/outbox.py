"""Writing and sending SMS through the outbox (teeka.models.OutboundSms).

Write with queue_sms() inside the transaction that makes the change the message
reports; senders (teeka.tasks) hand what is due to the gateway.

What the outbox promises:
- Nothing is given up while it can still help: a failed message is tried
  again, waiting 1, 2, 4, 8, then 15 minutes at most between tries (a sign-in
  code every 30 seconds), until it expires: a sign-in code after its 5
  minutes, a slot notice when its session starts, a help-desk message after a
  day, a confirmation of a person's own choice after three. Expired messages
  stay in the table, listed for officials and counted on the dashboard and
  /healthz.
- Most urgent first (OutboundSms.Priority): sign-in codes, then changes
  (cancellations, new slots, the help desk), then allotments; but a message
  about an earlier one (the cancellation of an allotment) never overtakes it
  (send_first).
- Nobody gets an SMS at night: quiet hours are checked again just before
  each hand-over to the gateway (each chunk of at most a bulk call or the
  gateway's parallel calls, some 20 ms of sending), not once per run. A
  sign-in code is the exception: the person asked for it a moment ago.
- Several senders share the work: each locks a batch with SKIP LOCKED in a
  transaction held while the gateway answers (a backend must time out), so a
  sender that dies mid-batch leaves its messages due again at once. A crash
  between the gateway's answer and the commit sends those messages again: an
  SMS twice is better than none.
"""

import datetime
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, TextField, Value, When
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundSms
from .sms import get_backend

logger = logging.getLogger(__name__)

Priority = OutboundSms.Priority
SIGN_IN_CODE = "sign_in_code"
PRIORITY_OF_KIND = {SIGN_IN_CODE: Priority.AT_ONCE, "allotted": Priority.ALLOTMENT}
# How long a message is of use when its writer gives no expiry: a help-desk
# message a day; a confirmation of a person's own choice (paused, withdrawn)
# a few days.
HELPDESK_LIFETIME = datetime.timedelta(days=1)
DEFAULT_LIFETIME = datetime.timedelta(days=3)
RETRY_CAP = datetime.timedelta(minutes=15)
CODE_RETRY = datetime.timedelta(seconds=30)
BATCH = 500
# What a sent or expired sign-in code keeps of its text: codes are never
# kept as typed (registrations.otp stores a keyed hash).
REDACTED = "[sign-in code removed]"


def render_sms(kind: str, context: dict, language: str) -> str:
    """Renders templates/sms/<kind>.txt in the reader's language."""
    with translation.override(language):
        return render_to_string(f"sms/{kind}.txt", context).strip()


def in_quiet_hours(moment: datetime.datetime) -> bool:
    hour = timezone.localtime(moment).hour
    return not settings.SMS_QUIET_END_HOUR <= hour < settings.SMS_QUIET_START_HOUR


def next_sending_time(now: datetime.datetime) -> datetime.datetime:
    """Now, unless it is night in India: then 07:00 the next morning."""
    if not in_quiet_hours(now):
        return now
    local = timezone.localtime(now)
    morning = local.replace(hour=settings.SMS_QUIET_END_HOUR, minute=0, second=0, microsecond=0)
    if local.hour >= settings.SMS_QUIET_START_HOUR:
        morning += datetime.timedelta(days=1)
    return morning


def queue_sms(
    *,
    to: str,
    kind: str,
    context: dict,
    language: str,
    dedupe_key: str | None = None,
    expires_at: datetime.datetime | None = None,
    follows: Sequence[str] = (),
) -> OutboundSms | None:
    """Adds a message to the outbox; with a dedupe_key, a second call is a no-op
    and returns None."""
    text = render_sms(kind, context, language)
    return queue_text(
        to=to, kind=kind, text=text, dedupe_key=dedupe_key, expires_at=expires_at, follows=follows
    )


def queue_text(
    *,
    to: str,
    kind: str,
    text: str,
    dedupe_key: str | None = None,
    expires_at: datetime.datetime | None = None,
    follows: Sequence[str] = (),
) -> OutboundSms | None:
    """queue_sms() for a message already rendered (slots.notices fills its
    templates itself, the same way for one person and for a batch).
    `follows`: the dedupe keys of earlier messages this one refers to (the
    allotment a cancellation cancels); they keep going out first."""
    now = timezone.now()
    priority = PRIORITY_OF_KIND.get(kind, Priority.CHANGE)
    send_first(dedupe_keys=follows, priority=priority)
    message = OutboundSms(
        to=to,
        kind=kind,
        text=text,
        dedupe_key=dedupe_key,
        priority=priority,
        send_after=now if priority == Priority.AT_ONCE else next_sending_time(now),
        expires_at=expires_at or now + _lifetime(kind),
    )
    if dedupe_key is None:
        message.save()
        return message
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None
    return message


def send_first(*, dedupe_keys: Sequence[str], priority: int) -> None:
    """Lifts waiting messages to `priority`, so a later, more urgent message
    about the same thing (a cancellation) never reaches the person before
    them: within a priority, messages go in the order they were written."""
    if dedupe_keys:
        OutboundSms.objects.filter(
            dedupe_key__in=list(dedupe_keys),
            status=OutboundSms.Status.PENDING,
            priority__gt=priority,
        ).update(priority=priority)


def _lifetime(kind: str) -> datetime.timedelta:
    return HELPDESK_LIFETIME if kind.startswith("helpdesk_") else DEFAULT_LIFETIME


def retry_delay(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8, then 15 minutes: a gateway back after an outage hears from
    every waiting message within a quarter of an hour."""
    return min(datetime.timedelta(minutes=2 ** min(attempts - 1, 4)), RETRY_CAP)


@dataclass(slots=True)
class Claimed:
    id: int
    to: str
    text: str
    priority: int
    # This try's number.
    attempts: int
    expires_at: datetime.datetime | None


# The messages due for sending and held by no other sender, as one written
# statement: it runs in the request of every sign-in code (send_now), where
# the ORM's building of it cost a tenth of asking for a code's CPU.
_CLAIM = (
    'SELECT id, "to", text, priority, attempts, expires_at FROM teeka_outboundsms'
    " WHERE status = %s AND send_after <= %s{only} ORDER BY priority, send_after, id LIMIT %s"
)


def _claim(*, now: datetime.datetime, limit: int, message_id: int | None = None) -> list[Claimed]:
    """Locks up to `limit` due messages (or the one given, if due), most
    urgent first, that no other sender holds. At night only sign-in codes
    are due."""
    params: list = [OutboundSms.Status.PENDING.value, connection.ops.adapt_datetimefield_value(now)]
    only = ""
    if message_id is not None:
        only += " AND id = %s"
        params.append(message_id)
    if in_quiet_hours(now):
        only += " AND priority = %s"
        params.append(Priority.AT_ONCE.value)
    sql = _CLAIM.format(only=only)
    if connection.features.has_select_for_update_skip_locked:
        sql += " FOR UPDATE SKIP LOCKED"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        rows = cursor.fetchall()
    return [
        Claimed(pk, to, text, priority, attempts + 1, _aware(expires))
        for pk, to, text, priority, attempts, expires in rows
    ]


def _aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    """SQLite (the embedded default) answers a raw statement's times naive, in UTC."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, datetime.UTC)
    return moment


def send_batch(*, clock: Callable[[], datetime.datetime], limit: int = BATCH) -> int | None:
    """Sends one batch of due messages in one transaction, which holds their
    row locks while the gateway answers (so the other senders skip them, and
    a sender that dies leaves them due again); how many went out, or None if
    nothing was due."""
    with transaction.atomic():
        batch = _claim(now=clock(), limit=limit)
        if not batch:
            return None
        return deliver(batch, clock=clock)


def deliver(messages: list[Claimed], *, clock: Callable[[], datetime.datetime]) -> int:
    """Hands locked messages to the gateway, chunk by chunk, and records what
    happened to each; returns how many went out."""
    backend = get_backend()
    sent = 0
    for start in range(0, len(messages), backend.chunk_size):
        chunk = messages[start : start + backend.chunk_size]
        now = clock()
        expired = [m for m in chunk if m.expires_at is not None and m.expires_at <= now]
        live = [m for m in chunk if m.expires_at is None or m.expires_at > now]
        _mark_expired(expired)
        if in_quiet_hours(now):
            _put_back([m for m in live if m.priority != Priority.AT_ONCE], next_sending_time(now))
            live = [m for m in live if m.priority == Priority.AT_ONCE]
        errors = backend.send_many([(m.to, m.text) for m in live]) if live else []
        ok = [m.id for m, error in zip(live, errors, strict=True) if error is None]
        _mark_sent(ok, at=clock())
        _retry_later([(m, e) for m, e in zip(live, errors, strict=True) if e], now=now)
        sent += len(ok)
    return sent


# A sign-in code's text is not kept once it is sent or expired; in the same
# UPDATE as the status, so a message is written once.
_REDACT_CODES = Case(
    When(kind=SIGN_IN_CODE, then=Value(REDACTED)), default=F("text"), output_field=TextField()
)


_MARK_SENT = (
    "UPDATE teeka_outboundsms SET status = %s, sent_at = %s, attempts = attempts + 1,"
    " text = CASE WHEN kind = %s THEN %s ELSE text END WHERE id IN ({ids})"
)


def _mark_sent(ids: list[int], *, at: datetime.datetime) -> None:
    """One written statement (every sign-in code goes through here: built
    by the ORM it cost a tenth of asking for a code's CPU); the same as the
    ORM's update with _REDACT_CODES."""
    if not ids:
        return
    with connection.cursor() as cursor:
        # Only placeholders are joined in; every value is a parameter.
        sql = _MARK_SENT.format(ids=", ".join(["%s"] * len(ids)))  # noqa: S608
        cursor.execute(
            sql,
            [
                OutboundSms.Status.SENT.value,
                connection.ops.adapt_datetimefield_value(at),
                SIGN_IN_CODE,
                REDACTED,
                *ids,
            ],
        )


def _mark_expired(messages: list[Claimed]) -> None:
    if not messages:
        return
    ids = [m.id for m in messages]
    logger.warning("%d SMS expired undelivered", len(ids))
    OutboundSms.objects.filter(pk__in=ids).update(
        status=OutboundSms.Status.EXPIRED, text=_REDACT_CODES
    )


def _put_back(messages: list[Claimed], until: datetime.datetime) -> None:
    """Left for the morning without counting a try: it is night."""
    if messages:
        OutboundSms.objects.filter(pk__in=[m.id for m in messages]).update(send_after=until)


def _retry_later(failed: list[tuple[Claimed, str]], *, now: datetime.datetime) -> None:
    for message, error in failed:
        logger.warning("SMS %s failed (attempt %s): %s", message.id, message.attempts, error)
        if message.priority == Priority.AT_ONCE:
            # A code lives 5 minutes and its reader is waiting: every 30 s,
            # night or day.
            retry_at = now + CODE_RETRY
        else:
            retry_at = next_sending_time(now + retry_delay(message.attempts))
        if message.expires_at is not None:
            # Seen again when it expires, so it is counted then, not later.
            retry_at = min(retry_at, max(message.expires_at, now))
        OutboundSms.objects.filter(pk=message.id).update(
            send_after=retry_at, last_error=str(error)[:200], attempts=message.attempts
        )


def send_due(*, now: datetime.datetime | None = None, limit: int | None = None) -> int:
    """Sends everything due (up to `limit`), batch after batch, and returns
    how many went out. `now` fixes the clock (tests)."""
    clock = (lambda: now) if now is not None else timezone.now
    sent = 0
    while limit is None or sent < limit:
        size = BATCH if limit is None else min(BATCH, limit - sent)
        done = send_batch(clock=clock, limit=size)
        if done is None:
            break
        sent += done
    return sent


def send_for(*, seconds: float, poll: float | None) -> int:
    """Sends what is due for up to `seconds`; with `poll`, looks again that
    often while nothing is due, so a message written meanwhile (a
    cancellation) goes out within `poll` seconds, not at the next run."""
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        done = send_batch(clock=timezone.now)
        if done is not None:
            sent += done
        elif poll is None:
            break
        else:
            time.sleep(poll)
    return sent


def send_now(message: OutboundSms) -> bool:
    """Sends one message at once (a sign-in code, in the request that asked
    for it); False if the gateway failed, and then a sender tries again."""
    with transaction.atomic():
        claimed = _claim(now=timezone.now(), limit=1, message_id=message.pk)
        if claimed:
            return deliver(claimed, clock=timezone.now) == 1
    # A sender has it, or had it.
    message.refresh_from_db(fields=["status"])
    return message.status == OutboundSms.Status.SENT


def undelivered_count() -> int:
    """Messages that expired without reaching their reader."""
    return OutboundSms.objects.filter(status=OutboundSms.Status.EXPIRED).count()


def overdue_count(*, now: datetime.datetime | None = None) -> int:
    """Messages due over RETRY_CAP ago and still waiting: the gateway (or
    every sender) has been failing at least that long."""
    late = (now or timezone.now()) - RETRY_CAP
    return OutboundSms.objects.filter(
        status=OutboundSms.Status.PENDING, send_after__lt=late
    ).count()
