"""The admin and the check-in page speak Hindi once the official or the
vaccinator picks it (the language switch in the page header)."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from districts import roles

from . import imports
from .conftest import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_afterwards():
    # A Hindi response leaves Hindi active in this thread for the next test.
    with translation.override("en"):
        yield


def _in_hindi(client, user) -> None:
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "hi", "next": "/"})


def test_the_admin_index_is_in_hindi(client, raipur_official):
    _in_hindi(client, raipur_official)
    page = client.get(reverse("admin:index")).content.decode()
    for hindi in ("टीका प्रशासन", "अपने ज़िले का काम", "केंद्र और स्लॉट", "टीकाकरण केंद्र", "सत्र"):
        assert hindi in page, hindi
    assert "Run your district" not in page and "Centres and slots" not in page
    # Django's own Hindi catalog lacks this one; teeka/library_words.py adds it.
    assert "साइट देखें" in page and "View site" not in page
    assert 'value="en"' in page  # the switch back to English


def test_the_import_page_of_django_import_export_is_in_hindi(client, raipur_official):
    _in_hindi(client, raipur_official)
    page = client.get(reverse("admin:registrations_registration_import")).content.decode()
    assert "आयात करने की फ़ाइल" in page and "File to import" not in page


def test_the_week_plan_form_is_in_hindi(client, raipur_official):
    _in_hindi(client, raipur_official)
    page = client.get(reverse("admin:slots_session_plan")).content.decode()
    for hindi in ("एक हफ़्ते के सत्रों की योजना बनाएँ", "सोमवार", "हर दिन की क्षमता", "सत्र बनाएँ"):
        assert hindi in page, hindi
    assert "Monday" not in page and "Capacity per day" not in page


def test_the_check_in_page_is_in_hindi(client, raipur):
    vaccinator = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    _in_hindi(client, vaccinator)
    page = client.get(reverse("checkin:home")).content.decode()
    for hindi in ("चेक-इन", "संदर्भ नंबर या QR कोड", "आज आपके केंद्रों पर कोई सत्र नहीं है।"):
        assert hindi in page, hindi
    assert "Check-in" not in page and "Today's sessions" not in page


def test_the_admin_calendar_and_chooser_speak_hindi(client, raipur_official):
    # Django's Hindi catalog for the admin's JavaScript leaves the months, the
    # days and the newer chooser texts in English; locale/hi/.../djangojs.po fills them.
    _in_hindi(client, raipur_official)
    catalog = client.get(reverse("admin:jsi18n")).content.decode()
    for hindi in ("जनवरी", "दिसंबर", "रविवार", "तारीख़ चुनें", "सभी %s चुनें", "सभी चुनें"):
        assert json.dumps(hindi) in catalog, hindi  # the catalog is JSON, \u-escaped


def test_a_registration_page_names_its_places_in_hindi(client, raipur_official, raipur_village):
    from tests import factories

    registration = factories.make_registration(locality=raipur_village)
    _in_hindi(client, raipur_official)
    url = reverse("admin:registrations_registration_change", args=[registration.pk])
    page = client.get(url).content.decode()
    for hindi in ("ज़िला", "ब्लॉक या नगर", "गाँव या वार्ड"):
        assert f"{hindi}:</label>" in page, hindi
    assert "Area:" not in page and "Locality:" not in page


def test_a_paper_lists_preview_names_its_columns_in_hindi(client, raipur_official, raipur_village):
    # The preview's table headers and each error's column were the import's
    # codes ("birth_year"): an official reading Hindi sees the template's labels.
    _in_hindi(client, raipur_official)
    area = raipur_village.area
    place = f"{area.district.name_en},{area.name_en},{raipur_village.name}"
    text = (
        "name,gender,birth_year,id_type,id_number,mobile,priority,district,"
        "block_or_town,village_or_ward,registered_on\n"
        f"Asha Bai,F,20,AADHAAR,234123412346,9876500001,5,{place},2021-05-01\n"
    )
    page = imports.upload(client, text).content.decode()
    header = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    for hindi in ("जन्म का वर्ष", "फ़ोटो पहचान पत्र संख्या", "नाम"):
        assert hindi in header, hindi
    assert "birth_year" not in header
    errors = page.split('class="errors"', 1)[1].split("</td>", 1)[0]
    assert "<strong>जन्म का वर्ष</strong>" in errors
