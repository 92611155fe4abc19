"""Every control on the citizen's pages is at least 44 x 44 px on a 360 px
phone, in Hindi, and nothing is wider than the screen."""

import pytest
from django.urls import reverse

from registrations.models import Account
from slots.services import allot
from tests import factories
from tests.conftest import screenshot

from .test_browser import _sign_in_in_hindi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Whatever a thumb presses: links, buttons and form fields that are shown
# (the skip link waits off screen until it has the keyboard's focus).
SMALL_CONTROLS = """
() => [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > 0)
  .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
  .filter(([_, r]) => r.width < 44 || r.height < 44)
  .map(([html, r]) => `${html} ${Math.round(r.width)}x${Math.round(r.height)}`)
"""


def _check(page, name: str) -> list[str]:
    screenshot(page, f"targets-{name}-phone-hi")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    return [f"{name}: {small}" for small in page.evaluate(SMALL_CONTROLS)]


def test_every_control_is_big_enough_for_a_thumb(live_server, phone, geography, raipur_village):
    _sign_in_in_hindi(phone, live_server.url, "9876509999")
    small = _check(phone, "add-person")
    person = factories.make_registration(
        locality=raipur_village, account=_account("9876509999"), name="गीता साहू", seat=1
    )
    centre = factories.make_centre(locality=raipur_village, name="प्राथमिक स्वास्थ्य केंद्र")
    allot(registration=person, session=factories.make_session(centre=centre), by=None)
    waiting = factories.make_registration(
        locality=raipur_village, account=person.account, name="रमेश साहू", seat=2
    )
    pages = {
        "account": reverse("registrations:account"),
        "person": reverse("registrations:person", args=[person.reference]),
        "status-waiting": reverse("registrations:person", args=[waiting.reference]),
        "cancel": reverse("registrations:cancel", args=[person.reference]),
        "withdraw": reverse("registrations:withdraw", args=[person.reference]),
        "slip": reverse("registrations:slip", args=[person.reference]),
        "rules": "/how-slots-are-allotted/",
        "account-again": reverse("registrations:account"),
    }
    for name, url in pages.items():
        phone.goto(live_server.url + url)
        small += _check(phone, name)
        if name == "status-waiting":
            # Dose 1, 10 seats in 3 days at 09:00, 1 taken: number 1 in the queue.
            assert "लगभग 3 दिन में" in phone.inner_text("main")
    phone.get_by_role("button", name="साइन आउट").click()
    small += _check(phone, "home")
    phone.goto(live_server.url + reverse("registrations:sign_in"))
    small += _check(phone, "sign-in")
    assert not small, "\n".join(small)


def _account(mobile: str) -> Account:
    return Account.objects.get(mobile="+91" + mobile)
