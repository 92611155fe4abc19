"""In Chromium: a district official signs in through the admin's form, plans a
week of sessions, runs the allocation and opens a day list; a vaccinator then
checks a person in on a phone, in Hindi. Screenshots go to artifacts/."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from districts import roles
from slots.models import Appointment, Session
from teeka.models import OutboundSms
from tests.conftest import screenshot

from .. import factories
from .conftest import rows_in, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def _fits(page) -> bool:
    """Nothing wider than the window: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _signs_in(desk, base: str) -> None:
    desk.goto(base + "/admin/login/?next=/admin/")
    desk.get_by_label("Username").fill("raipur-official")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    expect(desk.get_by_role("heading", name="Run your district")).to_be_visible()
    screenshot(desk, "admin-index-desk")


def _plans_a_week(desk, first_day: datetime.date) -> None:
    desk.get_by_role("link", name="Sessions").first.click()
    desk.get_by_role("link", name="Plan a week").click()
    desk.get_by_role("checkbox", name="PHC North").check()
    desk.get_by_role("checkbox", name="PHC South").check()
    desk.get_by_label("From:", exact=True).fill(first_day.isoformat())
    desk.get_by_label("Until:", exact=True).fill((first_day + datetime.timedelta(6)).isoformat())
    desk.get_by_label("Vaccine:", exact=True).select_option("COVISHIELD")
    desk.get_by_label("Dose").select_option("1")
    desk.get_by_label("Capacity per day").fill("3")
    assert _fits(desk)
    screenshot(desk, "admin-week-plan-desk")
    desk.get_by_role("button", name="Create sessions").click()
    # Monday to Saturday (the form's default) of seven days, at two centres.
    expect(desk.get_by_text("12 sessions created.")).to_be_visible()
    screenshot(desk, "admin-sessions-planned-desk")


def _runs_the_allocation(desk) -> None:
    desk.get_by_role("link", name="Run allocation now").click()
    expect(desk.get_by_label("District")).to_have_value(re.compile(r"\d+"))
    screenshot(desk, "admin-allocate-desk")
    desk.get_by_role("button", name="Run allocation now").click()
    # With tasks run in-process (no REDIS_URL) publishing has allotted already.
    expect(
        desk.get_by_text(re.compile(r"Allocation done: \d allotted, 0 still waiting"))
    ).to_be_visible()
    screenshot(desk, "admin-allocated-desk")


def _opens_the_day_list(desk, session: Session) -> None:
    desk.get_by_role("link", name=str(session.centre)).first.click()
    expect(desk.get_by_role("link", name="Day list", exact=True)).to_be_visible()
    desk.get_by_role("link", name="Day list", exact=True).click()
    rows = desk.locator("tbody tr")
    expect(rows).to_have_count(3)
    for appointment in session.appointments.select_related("registration"):
        expect(desk.get_by_text(appointment.registration.display_reference)).to_be_visible()
    assert _fits(desk)
    screenshot(desk, "admin-day-list-desk")


def test_an_official_plans_a_week_runs_the_allocation_and_prints_a_day_list(
    live_server, desk, raipur_official, raipur_village
):
    for name in ("PHC North", "PHC South"):
        factories.make_centre(locality=raipur_village, name=name)
    people = [factories.make_registration(locality=raipur_village) for _ in range(5)]
    first_day = timezone.localdate() + datetime.timedelta(days=2)

    _signs_in(desk, live_server.url)
    _plans_a_week(desk, first_day)
    _runs_the_allocation(desk)
    earliest = Session.objects.order_by("date", "centre__name").first()
    assert earliest.booked == 3  # the earliest seats first
    _opens_the_day_list(desk, earliest)

    booked = Appointment.objects.filter(registration__in=people, status="booked")
    assert booked.count() == len(people)
    desk.go_back()
    desk.get_by_role("button", name="हिन्दी").click()
    expect(desk.get_by_role("link", name="दिन की सूची", exact=True)).to_be_visible()
    screenshot(desk, "admin-session-desk-hi")


def test_a_vaccinator_checks_a_person_in_on_a_phone_in_hindi(
    live_server, phone, raipur, raipur_village, role_groups
):
    rows = rows_in(raipur_village)
    Session.objects.filter(pk=rows.session.pk).update(date=timezone.localdate())
    vaccinator = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    rows.centre.staff.add(vaccinator)

    phone.goto(live_server.url + "/checkin/")
    phone.get_by_role("button", name="हिन्दी").click()
    phone.get_by_label("यूज़रनेम").fill("vax")
    phone.get_by_label("पासवर्ड").fill(PASSWORD)
    screenshot(phone, "checkin-sign-in-phone-hi")
    phone.get_by_role("button", name="साइन इन करें").click()
    phone.get_by_role("link", name=re.compile(str(rows.centre))).click()
    screenshot(phone, "checkin-todays-list-phone-hi")
    phone.get_by_role("link", name=rows.registration.name).click()
    phone.get_by_label("व्यक्ति के SMS या पर्ची पर लिखा 4 अंकों का कोड").fill(rows.appointment.code)
    phone.get_by_label("खुराक लगा दी").check()
    phone.get_by_label("बैच नंबर").fill("4121Z012")
    assert _fits(phone)
    screenshot(phone, "checkin-appointment-phone-hi")
    phone.get_by_role("button", name="सहेजें").click()
    expect(phone.get_by_text(f"{rows.registration.name} की खुराक 1 दर्ज हो गई।")).to_be_visible()
    assert _fits(phone)
    screenshot(phone, "checkin-recorded-phone-hi")
    rows.appointment.refresh_from_db()
    assert rows.appointment.status == Appointment.Status.ATTENDED


HINDI_MONTHS = "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर".split()


def test_the_date_picker_shows_hindi_months_and_days(live_server, desk, raipur_official):
    _signs_in(desk, live_server.url)
    desk.get_by_role("button", name="हिन्दी").click()
    desk.goto(live_server.url + "/admin/slots/session/add/")
    desk.locator(".date-icon").first.click()
    calendar = desk.locator(".calendarbox").first
    this_month = HINDI_MONTHS[timezone.localdate().month - 1]
    expect(calendar.locator("caption")).to_contain_text(this_month)
    expect(calendar.get_by_text("आज", exact=True)).to_be_visible()
    expect(calendar.locator("th").first).to_have_text("र")  # Sunday's letter
    screenshot(desk, "admin-date-picker-desk-hi")


def test_a_vaccinator_opens_a_vial_and_calls_standby_on_a_phone_in_hindi(
    live_server, phone, raipur, raipur_village, role_groups
):
    rows = rows_in(raipur_village)
    Session.objects.filter(pk=rows.session.pk).update(date=timezone.localdate(), max_age=None)
    vaccinator = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    rows.centre.staff.add(vaccinator)
    waiting = factories.make_registration(
        locality=raipur_village, account=factories.make_account(language="hi")
    )

    phone.goto(live_server.url + "/checkin/")
    phone.get_by_role("button", name="हिन्दी").click()
    phone.get_by_label("यूज़रनेम").fill("vax")
    phone.get_by_label("पासवर्ड").fill(PASSWORD)
    phone.get_by_role("button", name="साइन इन करें").click()
    phone.get_by_role("link", name=re.compile(str(rows.centre))).click()
    phone.get_by_role("button", name=re.compile("मैंने नई शीशी खोली")).click()
    expect(phone.get_by_text(re.compile("शीशी 1 खोली गई"))).to_be_visible()
    expect(phone.get_by_text(re.compile("खुली शीशी में बची: 10"))).to_be_visible()
    # The doses to offer: every seat not used yet, and the rest of the vial.
    expect(phone.get_by_text(re.compile("जो सीटें अभी इस्तेमाल नहीं हुईं"))).to_be_visible()
    phone.get_by_label("कितनी खुराकें देनी हैं").fill("1")
    phone.get_by_role("button", name="स्टैंडबाय बुलाएँ").click()
    expect(phone.get_by_text(re.compile("1 व्यक्ति को एक घंटे में आने का SMS"))).to_be_visible()
    assert _fits(phone)
    for button in phone.locator("main button").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, button.inner_text()
    screenshot(phone, "checkin-vial-standby-phone-hi")
    assert OutboundSms.objects.filter(kind="standby", to=str(waiting.account.mobile)).exists()


def test_an_official_lists_tomorrows_appointments_in_hindi(
    live_server, desk, raipur_official, raipur_village
):
    tomorrow = rows_in(raipur_village)
    Session.objects.filter(pk=tomorrow.session.pk).update(
        date=timezone.localdate() + datetime.timedelta(days=1)
    )
    later = rows_in(raipur_village)  # three days ahead: not tomorrow's

    _signs_in(desk, live_server.url)
    desk.get_by_role("button", name="हिन्दी").click()
    desk.goto(live_server.url + "/admin/slots/appointment/")
    desk.get_by_role("link", name="कल (आने वाला)").click()
    rows = desk.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(tomorrow.registration.name)
    expect(desk.locator("#result_list")).not_to_contain_text(later.registration.name)
    screenshot(desk, "admin-appointments-tomorrow-desk-hi")
