"""In Chromium: a district official opens the possible duplicates that the
repair of stored numbers found, reads why, and marks one duplicate."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from registrations.models import Registration
from registrations.services import register_person
from tests.conftest import screenshot
from tests.registrations.helpers import details

from .. import factories
from .test_one_number import old_rows  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_official_sees_why_a_stored_number_may_be_a_duplicate_and_marks_it(
    live_server,
    desk,
    raipur_official,
    raipur_village,
    old_rows,  # noqa: F811
):
    call_command("repair_stored_numbers")
    again = register_person(
        account=factories.make_account(),
        details=details(
            raipur_village, id_type="VOTER", id_number=old_rows["epic"], birth_year=1961
        ),
    )
    desk.goto(live_server.url + "/admin/login/?next=/admin/")
    desk.get_by_label("Username").fill("raipur-official")
    desk.get_by_label("Password").fill("correct horse battery")
    desk.get_by_role("button", name="Log in").click()
    desk.goto(live_server.url + "/admin/registrations/registration/duplicates/?kind=spelling")
    expect(desk.get_by_text("typed in Devanagari or other digits")).to_be_visible()
    expect(desk.get_by_text("They were not merged")).to_be_visible()
    assert old_rows["epic"] not in desk.content()
    screenshot(desk, "admin-duplicates-stored-numbers-desk")
    group = desk.locator("form.module").filter(has_text=again.display_reference)
    group.get_by_label(f"Duplicate {again.display_reference}").check()
    group.get_by_label(f"Keep {old_rows['old'].display_reference}").check()
    group.get_by_label("Reason").fill("Same card, seen at the desk")
    group.get_by_role("button", name="Mark as duplicate").click()
    expect(desk.get_by_text("is marked as a duplicate of")).to_be_visible()
    assert Registration.objects.get(pk=again.pk).status == Registration.Status.DUPLICATE
