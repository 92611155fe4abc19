import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from registrations.models import Account, SignInCode
from registrations.otp import OtpRefused, send_code, verify_code
from teeka.sms import read_file_outbox

pytestmark = pytest.mark.django_db

MOBILE = "+919812345678"
IP = "10.1.2.3"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def last_code(mobile: str = MOBILE) -> str:
    text = [m for m in read_file_outbox() if m["to"] == mobile][-1]["text"]
    return re.search(r"\b(\d{6})\b", text).group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _age_code(seconds: int) -> None:
    SignInCode.objects.filter(mobile=MOBILE).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )


def test_the_right_code_signs_in_and_makes_the_account():
    send_code(mobile=MOBILE, ip=IP)
    account = verify_code(mobile=MOBILE, code=last_code(), ip=IP)
    assert account == Account.objects.get(mobile=MOBILE)
    assert Account.objects.get().last_sign_in_at is not None


def test_the_code_is_stored_only_as_a_hash():
    send_code(mobile=MOBILE, ip=IP)
    row = SignInCode.objects.get(mobile=MOBILE)
    assert last_code() not in row.code_hash
    assert len(row.code_hash) == 64


def test_a_code_works_only_once():
    send_code(mobile=MOBILE, ip=IP)
    code = last_code()
    verify_code(mobile=MOBILE, code=code, ip=IP)
    with pytest.raises(OtpRefused, match="no code waiting"):
        verify_code(mobile=MOBILE, code=code, ip=IP)


def test_an_expired_code_is_refused():
    send_code(mobile=MOBILE, ip=IP)
    _age_code(1)
    with pytest.raises(OtpRefused, match="expired"):
        verify_code(mobile=MOBILE, code=last_code(), ip=IP)


def test_a_code_still_works_just_before_five_minutes():
    send_code(mobile=MOBILE, ip=IP)
    row = SignInCode.objects.get(mobile=MOBILE)
    assert row.expires_at - timezone.now() <= datetime.timedelta(minutes=5)
    assert row.expires_at - timezone.now() > datetime.timedelta(minutes=4, seconds=55)


def test_five_wrong_codes_lock_the_number_for_fifteen_minutes():
    send_code(mobile=MOBILE, ip=IP)
    code = last_code()
    for left in (4, 3, 2, 1):
        with pytest.raises(OtpRefused, match=f"try {left} more"):
            verify_code(mobile=MOBILE, code=_wrong(code), ip=IP)
    with pytest.raises(OtpRefused, match="now locked") as refused:
        verify_code(mobile=MOBILE, code=_wrong(code), ip=IP)
    lock = refused.value.retry_at - timezone.now()
    assert datetime.timedelta(minutes=14) < lock <= datetime.timedelta(minutes=15)
    # Locked: even the right code and a new code are refused, saying until when.
    with pytest.raises(OtpRefused, match="locked.*try again after"):
        verify_code(mobile=MOBILE, code=code, ip=IP)
    with pytest.raises(OtpRefused, match="locked"):
        send_code(mobile=MOBILE, ip=IP)


def test_after_the_lock_a_new_code_works():
    send_code(mobile=MOBILE, ip=IP)
    for _ in range(5):
        with pytest.raises(OtpRefused):
            verify_code(mobile=MOBILE, code=_wrong(last_code()), ip=IP)
    SignInCode.objects.update(
        locked_until=timezone.now() - datetime.timedelta(seconds=1),
        window_started_at=timezone.now() - datetime.timedelta(minutes=16),
    )
    send_code(mobile=MOBILE, ip=IP)
    assert verify_code(mobile=MOBILE, code=last_code(), ip=IP).mobile == MOBILE


def test_a_new_code_does_not_reset_the_wrong_tries():
    send_code(mobile=MOBILE, ip=IP)
    for _ in range(4):
        with pytest.raises(OtpRefused):
            verify_code(mobile=MOBILE, code=_wrong(last_code()), ip=IP)
    send_code(mobile=MOBILE, ip=IP)
    with pytest.raises(OtpRefused, match="now locked"):
        verify_code(mobile=MOBILE, code=_wrong(last_code()), ip=IP)


def test_a_fourth_code_within_fifteen_minutes_is_refused_with_the_time():
    for _ in range(3):
        send_code(mobile=MOBILE, ip=IP)
    with pytest.raises(OtpRefused, match="already sent 3 codes") as refused:
        send_code(mobile=MOBILE, ip=IP)
    assert "try again after" in refused.value.message
    assert len(read_file_outbox()) == 3


def test_sending_is_allowed_again_after_the_window():
    for _ in range(3):
        send_code(mobile=MOBILE, ip=IP)
    SignInCode.objects.update(window_started_at=timezone.now() - datetime.timedelta(minutes=15))
    send_code(mobile=MOBILE, ip=IP)
    assert len(read_file_outbox()) == 4


def test_one_address_asking_for_too_many_codes_is_refused(settings):
    settings.TEEKA_OTP_IP_SENDS = 4
    for n in range(4):
        send_code(mobile=f"+91981234500{n}", ip=IP)
    with pytest.raises(OtpRefused, match="Too many requests came from your network"):
        send_code(mobile="+919812345009", ip=IP)
    # Another address is not affected.
    send_code(mobile="+919812345009", ip="10.9.9.9")


def test_one_address_trying_too_many_codes_is_refused(settings):
    settings.TEEKA_OTP_IP_TRIES = 3
    for n in range(3):
        with pytest.raises(OtpRefused, match="no code waiting"):
            verify_code(mobile=f"+91981234500{n}", code="123456", ip=IP)
    with pytest.raises(OtpRefused, match="Too many requests") as refused:
        verify_code(mobile="+919812345009", code="123456", ip=IP)
    assert refused.value.retry_at > timezone.now()


def test_the_sms_is_in_the_language_of_the_page():
    from django.utils import translation

    with translation.override("hi"):
        send_code(mobile=MOBILE, ip=IP)
    assert "टीका" in read_file_outbox()[-1]["text"] or "कोड" in read_file_outbox()[-1]["text"]
