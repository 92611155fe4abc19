"""On a phone, in Hindi: a person is allotted, cancels for another date, and
a real Celery worker on PostgreSQL runs the allocation; then pause and resume,
then withdraw. The SMS file holds every message, all in Hindi."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import formats, timezone, translation

from registrations.models import Registration
from teeka.outbox import send_due
from teeka.sms import read_file_outbox
from tests import factories
from tests.conftest import screenshot
from tests.workers import wait_for

from .conftest import allocate, session_at
from .test_citizen_choices import _booked_session

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MOBILE = "9826012345"


def _status(registration: Registration) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM registrations_registration WHERE id = %s", [registration.pk]
        )
        return cursor.fetchone()[0]


def _sign_in(page, base_url: str) -> None:
    cache.clear()
    page.context.add_cookies([{"name": "django_language", "value": "hi", "url": base_url}])
    page.goto(base_url + "/sign-in/")
    page.fill("input[name=mobile]", MOBILE)
    page.get_by_role("button", name="कोड भेजें").click()
    page.wait_for_selector("input[name=code]")
    code = re.search(r"\b(\d{6})\b", read_file_outbox()[-1]["text"]).group(1)
    page.fill("input[name=code]", code)
    page.get_by_role("button", name="साइन इन करें").click()
    page.wait_for_url("**/my/")


def _in_hindi(day: datetime.date) -> str:
    with translation.override("hi"):
        return formats.date_format(day, "l, j F Y")


def _cancel(page, choice: str) -> None:
    page.get_by_role("link", name="यह अपॉइंटमेंट रद्द करें").click()
    for radio in page.get_by_role("radio").all():
        box = radio.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
    screenshot(page, "cancel-choices-phone-hi")
    page.get_by_role("radio", name=re.compile(choice)).check()
    page.get_by_role("button", name="अपॉइंटमेंट रद्द करें").click()


def _send_the_outbox() -> None:
    # The worker queued them for daytime: send as at noon tomorrow.
    noon = timezone.localtime() + datetime.timedelta(days=1)
    send_due(now=noon.replace(hour=12, minute=0))


def test_cancel_for_another_date_pause_resume_and_withdraw_in_hindi(
    live_server,
    phone,
    places,
    worker,  # noqa: F811
):
    monday = session_at(places.home, days_ahead=3, capacity=1)
    wednesday = session_at(places.home, days_ahead=5, capacity=1)
    centre = monday.centre
    centre.name = "प्राथमिक स्वास्थ्य केंद्र आलेखुटा"
    centre.save()
    wednesday.centre.name = "उप स्वास्थ्य केंद्र अमलीडीह"
    wednesday.centre.save()
    account = factories.make_account("+91" + MOBILE, language="hi")
    someone = factories.make_registration(locality=places.home, account=account, name="सुनीता साहू")
    allocate(places.home)
    assert _booked_session(someone) == monday.pk

    _sign_in(phone, live_server.url)
    phone.get_by_role("link", name="सुनीता साहू").click()
    main = phone.inner_text("main")
    assert _in_hindi(monday.date) in main
    assert "सुबह 9:00 – शाम 5:00" in main
    screenshot(phone, "status-allotted-phone-hi")

    # Another date: the worker allots Wednesday, never Monday again.
    _cancel(phone, "दूसरी तारीख़")
    assert "कतार में आपकी जगह बनी है" in phone.inner_text("main")
    assert wait_for(lambda: _booked_session(someone) is not None), "no allotment"
    assert _booked_session(someone) == wednesday.pk
    phone.reload()
    assert _in_hindi(wednesday.date) in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # Pause: the seat goes back and nothing is allotted while paused.
    _cancel(phone, "रोक दें")
    assert _status(someone) == "paused"
    assert _booked_session(someone) is None
    screenshot(phone, "status-paused-phone-hi")
    phone.get_by_role("button", name="फिर शुरू करें").click()
    assert "फिर शुरू हो गया" in phone.inner_text("main")
    assert wait_for(lambda: _booked_session(someone) is not None), "no allotment"
    assert _booked_session(someone) == wednesday.pk  # a pause gives up no date

    # Withdraw: the box must be ticked, and the message says so in Hindi.
    phone.reload()
    _cancel(phone, "पंजीकरण वापस लें")
    assert "whoami" in phone.inner_html("main")
    phone.get_by_role("button", name="पंजीकरण वापस लें").click()
    assert "पुष्टि के लिए टिक करें" in phone.inner_text("main")
    box = phone.locator("input[name=confirm]").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    screenshot(phone, "withdraw-phone-hi")
    phone.locator("input[name=confirm]").check()
    phone.get_by_role("button", name="पंजीकरण वापस लें").click()
    phone.wait_for_url("**/my/")
    assert _status(someone) == "withdrawn"
    assert _booked_session(someone) is None

    _send_the_outbox()
    texts = [m["text"] for m in read_file_outbox() if m["to"] == "+91" + MOBILE]
    kinds = ["कोड", "स्लॉट", "आपके कहने पर रद्द", "स्लॉट", "रोक दिया", "स्लॉट", "हमेशा के लिए"]
    assert len(texts) == len(kinds), texts
    for text, word in zip(texts, kinds, strict=True):
        assert word in text
        english = re.findall(r"[A-Za-z]{2,}", text.replace(someone.display_reference, ""))
        assert not english, text
    assert "जगह बनी" not in texts[-1]
