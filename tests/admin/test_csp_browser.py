"""The Content-Security-Policy holds in Chromium: the citizen pages, the admin
and the check-in pages load, run their scripts (the place cascade, the
admin's widgets and autocomplete, the print buttons) and report no
violation. Chromium raises a `securitypolicyviolation` event for each, and
logs it on the console; both are collected."""

import pytest
from django.utils import timezone

from districts import roles
from registrations.models import Account
from tests.conftest import screenshot
from tests.helpdesk.conftest import make_ticket

from .. import factories
from ..registrations.test_browser import _sign_in_in_hindi
from .conftest import rows_in, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
RECORDER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + where);
});
"""


class Violations:
    """Every violation on every page a context opens."""

    def __init__(self, context):
        self.found: list[str] = []
        context.add_init_script(RECORDER)
        context.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(message.text)

    def visit(self, page, url: str) -> None:
        response = page.goto(url)
        assert response.status == 200, url  # a page that failed would pass for the wrong reason
        self.collect(page)

    def collect(self, page) -> None:
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # late scripts and their handlers
        self.found += [f"{page.url}: {v}" for v in page.evaluate("window.__csp || []")]


@pytest.fixture
def world(raipur, raipur_village, role_groups):
    rows = rows_in(raipur_village, account=factories.make_account())
    rows.session.date = timezone.localdate()
    rows.session.save()
    vaccinator = staff_user("csp-vaccinator", roles.VACCINATOR, raipur, is_staff=False)
    rows.centre.staff.add(vaccinator)
    staff_user("csp-admin", roles.STATE_ADMIN, raipur)
    make_ticket(district=raipur, registration=rows.registration)
    return rows


def test_the_citizen_pages_break_no_policy(live_server, browser, raipur, world):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-IN")
    watch, page = Violations(context), context.new_page()
    base = live_server.url
    for path in ("/", "/how-slots-are-allotted/", "/stats/", "/help/", "/help/new/"):
        watch.visit(page, base + path)
    _sign_in_in_hindi(page, base, "9876512345")
    # The add-a-person form's place cascade fetches blocks and villages.
    page.select_option("select[name=district]", str(raipur.pk))
    page.wait_for_timeout(500)
    watch.collect(page)
    account = Account.objects.get(mobile="+919876512345")
    person = rows_in(world.registration.locality, account=account)
    for path in ("/my/", f"/my/{person.registration.reference}/"):
        watch.visit(page, base + path)
    watch.visit(page, f"{base}/my/{person.registration.reference}/slip/")
    screenshot(page, "csp-citizen-slip")
    clean = list(watch.found)
    # The control: something the policy forbids is seen, so silence means something.
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=\"https://evil.example/x.png\">')"
    )
    watch.collect(page)
    context.close()
    assert clean == []
    assert any("evil.example" in v for v in watch.found)


def test_the_admin_and_check_in_pages_break_no_policy(live_server, browser, world):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-IN")
    watch, page = Violations(context), context.new_page()
    base, rows = live_server.url, world
    watch.visit(page, base + "/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("csp-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    watch.collect(page)
    assert page.url.endswith("/admin/")
    pages = [
        "/admin/",
        "/admin/registrations/registration/",
        f"/admin/registrations/registration/{rows.registration.pk}/change/",
        f"/admin/registrations/registration/{rows.registration.pk}/slip/",
        "/admin/registrations/registration/duplicates/",
        "/admin/registrations/registration/import/",
        "/admin/registrations/registration/export/",
        "/admin/slots/session/",
        f"/admin/slots/session/{rows.session.pk}/change/",
        f"/admin/slots/session/{rows.session.pk}/day-list/",
        "/admin/slots/session/plan/",
        "/admin/slots/session/add/",
        f"/admin/slots/centre/{rows.centre.pk}/change/",
        "/admin/slots/appointment/",
        "/admin/helpdesk/ticket/",
        f"/admin/auth/user/{rows.centre.staff.first().pk}/change/",
        "/admin/auth/group/add/",
        "/dashboard/",
    ]
    for path in pages:
        watch.visit(page, base + path)
    # The admin's own scripts at work: the date picker and an autocomplete.
    watch.visit(page, base + "/admin/slots/session/add/")
    page.locator(".datetimeshortcuts a").first.click()
    page.locator(".select2-selection").first.click()
    page.wait_for_timeout(500)
    watch.collect(page)
    # Registering at the desk reloads the form when the district is chosen.
    watch.visit(page, base + "/admin/registrations/registration/register/")
    with page.expect_navigation():
        page.select_option("select[name=district]", str(rows.registration.district_id))
    watch.collect(page)
    screenshot(page, "csp-admin-register")

    # The check-in, on a phone.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-IN")
    watch_phone, check = Violations(phone), phone.new_page()
    watch_phone.visit(check, base + "/checkin/sign-in/")
    check.fill("input[name=username]", "csp-vaccinator")
    check.fill("input[name=password]", PASSWORD)
    check.locator("main button[type=submit]").click()
    watch_phone.collect(check)
    assert check.url.endswith("/checkin/")
    for path in (
        "/checkin/",
        f"/checkin/session/{rows.session.pk}/",
        f"/checkin/appointment/{rows.appointment.pk}/",
    ):
        watch_phone.visit(check, base + path)
    screenshot(check, "csp-checkin-appointment")
    context.close()
    phone.close()
    assert watch.found + watch_phone.found == [], "\n".join(watch.found + watch_phone.found)
