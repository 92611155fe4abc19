"""Signing in with a mobile number and a 6-digit code sent by SMS.

Limits, each refusal saying why and when to try again:
- a code lives TEEKA_OTP_VALID_SECONDS (5 minutes) and works once;
- TEEKA_OTP_MAX_WRONG_TRIES (5) wrong codes lock the number for 15 minutes;
- TEEKA_OTP_SENDS_PER_WINDOW (3) codes per number per 15 minutes;
- per IP address, a number of sends and of tries per window (Redis counters);
  with Redis down these fail open, with a log line, and the per-number limits
  (in PostgreSQL) still hold.

A code goes through the SMS outbox: sent at once in the request, and if the
gateway fails, tried again by the senders until the code expires.

The per-number counters live on the SignInCode row and change under its row
lock, so parallel requests cannot slip past them. Codes are stored as a keyed
hash, never as typed.
"""

import datetime
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from teeka.db import Selected
from teeka.outbox import queue_text, render_sms, send_now

from .models import Account, SignInCode
from .validators import normalise_code, normalise_mobile

logger = logging.getLogger(__name__)


class OtpRefused(Exception):  # noqa: N818 - the name in the agreed contract
    def __init__(self, message: str, retry_at: datetime.datetime | None = None):
        super().__init__(message)
        self.message = message
        self.retry_at = retry_at


@dataclass
class _Verdict:
    account: Account | None = None
    refusal: OtpRefused | None = None


def _hash(mobile: str, code: str) -> str:
    message = f"{mobile}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _clock(moment: datetime.datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "h:i A")


def _minutes_until(moment: datetime.datetime) -> int:
    return max(1, -(-int((moment - timezone.now()).total_seconds()) // 60))


def _try_later(reason: str, retry_at: datetime.datetime) -> OtpRefused:
    message = _("%(reason)s Please try again after %(time)s (in %(minutes)d minutes).") % {
        "reason": reason,
        "time": _clock(retry_at),
        "minutes": _minutes_until(retry_at),
    }
    return OtpRefused(message, retry_at)


def _count_ip(action: str, ip: str, limit: int) -> None:
    """A fixed-window counter per address in the cache (Redis in production)."""
    period = settings.TEEKA_OTP_IP_WINDOW_SECONDS
    window = int(timezone.now().timestamp()) // period
    key = f"otp:{action}:{ip}:{window}"
    try:
        cache.add(key, 0, timeout=period + 5)
        count = cache.incr(key)
    except Exception:  # the cache itself failed; django-redis usually says None
        count = None
    if count is None:
        logger.warning("otp: no per-address %s limit for now: the cache did not answer", action)
        return
    if count > limit:
        retry_at = datetime.datetime.fromtimestamp((window + 1) * period, tz=datetime.UTC)
        raise _try_later(_("Too many requests came from your network."), retry_at)


# The code's row read, made and saved by written statements: on the two
# requests of every sign-in, the ORM's building of these cost more CPU than
# PostgreSQL's running them.
_ROW = Selected(SignInCode, "s")
_ROW_SQL = "SELECT {columns} FROM {tables} WHERE s.mobile = %s"


def _row_locked(mobile: str) -> SignInCode | None:
    """The number's row, locked until the transaction ends; None if it has none."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    found = _ROW.all(_ROW_SQL + lock, [mobile])
    return found[0][0] if found else None


def _locked_row(mobile: str) -> SignInCode:
    # Two statements whether the number is new or not: an INSERT that does
    # nothing if the row is there, then the row locked.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registrations_signincode (mobile, code_hash, wrong_tries,"
            " window_started_at, sends_in_window) VALUES (%s, '', 0, %s, 0)"
            " ON CONFLICT (mobile) DO NOTHING",
            [mobile, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
    return _row_locked(mobile)


def _save(row: SignInCode) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registrations_signincode SET code_hash = %s, expires_at = %s,"
            " wrong_tries = %s, locked_until = %s, window_started_at = %s,"
            " sends_in_window = %s WHERE id = %s",
            [
                row.code_hash,
                adapt(row.expires_at),
                row.wrong_tries,
                adapt(row.locked_until),
                adapt(row.window_started_at),
                row.sends_in_window,
                row.pk,
            ],
        )


def _refuse_if_locked(row: SignInCode, now: datetime.datetime) -> None:
    if row.locked_until and row.locked_until > now:
        raise _try_later(_("This number is locked after too many wrong codes."), row.locked_until)


def _take_send(row: SignInCode, now: datetime.datetime) -> None:
    window = datetime.timedelta(seconds=settings.TEEKA_OTP_SEND_WINDOW_SECONDS)
    if now >= row.window_started_at + window:
        row.window_started_at, row.sends_in_window = now, 0
    if row.sends_in_window >= settings.TEEKA_OTP_SENDS_PER_WINDOW:
        raise _try_later(
            _("We have already sent 3 codes to this number."), row.window_started_at + window
        )
    row.sends_in_window += 1


def _normal_mobile(mobile: str) -> str:
    """The number the limits are kept on: every spelling of one mobile is one
    row of counters (the forms pass it normalised already)."""
    normal = normalise_mobile(mobile)
    if normal is None:
        raise OtpRefused(_("Please type a 10-digit mobile number starting with 6, 7, 8 or 9."))
    return normal


def send_code(*, mobile: str, ip: str, then: Callable[[], None] | None = None) -> bool:
    """Sends a fresh code to `mobile` (E.164); the previous code stops working.
    False if the gateway did not take it just now: it is tried again while
    the code lasts, and the caller tells the person it may come late.
    `then()` runs in the transaction that stores the code, before it is sent,
    so what the caller writes for it (the session) costs no commit of its own."""
    mobile = _normal_mobile(mobile)
    _count_ip("send", ip, settings.TEEKA_OTP_IP_SENDS)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    text = render_sms("sign_in_code", {"code": code}, translation.get_language() or "hi")
    with transaction.atomic():
        row = _locked_row(mobile)
        _refuse_if_locked(row, now)
        _take_send(row, now)
        row.code_hash = _hash(mobile, code)
        row.expires_at = now + datetime.timedelta(seconds=settings.TEEKA_OTP_VALID_SECONDS)
        _save(row)
        message = queue_text(to=mobile, kind="sign_in_code", text=text, expires_at=row.expires_at)
        if then is not None:
            then()
    return send_now(message)


def late_code_message() -> str:
    """What a person is told when send_code() returned False."""
    return _(
        "The SMS service is slow just now. We keep trying: your code should come within "
        "5 minutes; enter it here when it does. If it does not, ask for a new one or call "
        "the helpline %(helpline)s."
    ) % {"helpline": settings.TEEKA_HELPLINE}


def _wrong_code(row: SignInCode, now: datetime.datetime) -> OtpRefused:
    row.wrong_tries += 1
    left = settings.TEEKA_OTP_MAX_WRONG_TRIES - row.wrong_tries
    if left > 0:
        return OtpRefused(
            _("That code is not right. You can try %(left)d more times.") % {"left": left}
        )
    row.locked_until = now + datetime.timedelta(seconds=settings.TEEKA_OTP_LOCK_SECONDS)
    row.wrong_tries, row.code_hash = 0, ""
    return _try_later(_("That code is not right, and this number is now locked."), row.locked_until)


def _no_code() -> OtpRefused:
    return OtpRefused(_("There is no code waiting for this number. Please ask for a code."))


def _check(row: SignInCode, code: str, now: datetime.datetime) -> OtpRefused | None:
    _refuse_if_locked(row, now)
    if not row.code_hash:
        return _no_code()
    if row.expires_at <= now:
        return OtpRefused(
            _("This code has expired: codes work for 5 minutes. Please ask for a new code.")
        )
    if not hmac.compare_digest(row.code_hash, _hash(row.mobile, normalise_code(code))):
        return _wrong_code(row, now)
    return None


def _sign_in(row: SignInCode, now: datetime.datetime) -> Account:
    row.code_hash, row.wrong_tries, row.locked_until = "", 0, None
    return _account_signed_in(row.mobile, now)


def _account_signed_in(mobile: str, now: datetime.datetime) -> Account:
    """The account of `mobile` with its sign-in time set, made on the first
    sign-in (in the page's language): one statement, where reading it, then
    making or updating it, took two to four."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registrations_account (mobile, language, created_at, last_sign_in_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (mobile)"
            " DO UPDATE SET last_sign_in_at = EXCLUDED.last_sign_in_at"
            " RETURNING id, language",
            [mobile, translation.get_language() or "hi", now, now],
        )
        account_id, language = cursor.fetchone()
    fields = ["id", "mobile", "language", "last_sign_in_at"]
    return Account.from_db(connection.alias, fields, [account_id, mobile, language, now])


def verify_code(
    *, mobile: str, code: str, ip: str, then: Callable[[Account], None] | None = None
) -> Account:
    """The account of `mobile` (made on first sign-in) if `code` is its code.
    `then(account)` runs in the transaction that uses the code, so that what
    the caller writes for the sign-in (the session) commits with it, once."""
    mobile = _normal_mobile(mobile)
    _count_ip("try", ip, settings.TEEKA_OTP_IP_TRIES)
    now = timezone.now()
    # The wrong-try counter must be saved even when the answer is a refusal,
    # so the transaction commits and the refusal is raised after it.
    with transaction.atomic():
        # A number never sent a code has no row, and nothing to count.
        row = _row_locked(mobile)
        if row is None:
            raise _no_code()
        verdict = _Verdict(refusal=_check(row, code, now))
        if verdict.refusal is None:
            verdict.account = _sign_in(row, now)
        _save(row)
        if verdict.account is not None and then is not None:
            then(verdict.account)
    if verdict.refusal:
        raise verdict.refusal
    return verdict.account
