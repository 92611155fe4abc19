"""The citizen's pages in Hindi: every message Hindi, Django's own included;
the "signed in as" bar on every signed-in page; a full account says so before
the form."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from registrations.models import Registration
from slots.services import allot
from tests import factories

from .test_views import _payload, _sign_in

pytestmark = pytest.mark.django_db

# Any run of Latin letters in an error message is English.
LATIN = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture
def hindi(client):
    cache.clear()
    client.cookies["django_language"] = "hi"
    _sign_in(client)
    return client


def _errors(page: str) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": ""}, "यह भरना ज़रूरी है।"),
        ({"name": "क" * 101}, "ज़्यादा से ज़्यादा 100 अक्षर लिखें (अभी 101 हैं)।"),
        ({"birth_year": "उन्नीस सौ"}, "पूरी संख्या लिखें"),
        ({"birth_year": "1850"}, "1900 या उससे ज़्यादा होना चाहिए"),
        ({"gender": "X"}, "सूची में से एक चुनें"),
        ({"pincode": "1234567"}, "ज़्यादा से ज़्यादा 6 अक्षर"),
    ],
)
def test_the_registration_form_complains_in_hindi(hindi, raipur_village, overrides, expected):
    page = hindi.post(
        reverse("registrations:add_person"), _payload(raipur_village, **overrides)
    ).content.decode()
    errors = _errors(page)
    assert errors, page
    assert any(expected in e for e in errors), errors
    for error in errors:
        assert not LATIN.findall(re.sub(r"<[^>]+>", "", error)), error


def test_the_sign_in_code_too_short_is_said_in_hindi(client):
    cache.clear()
    client.cookies["django_language"] = "hi"
    client.post(reverse("registrations:sign_in"), {"mobile": "98123 45678"})
    page = client.post(reverse("registrations:sign_in_code"), {"code": "12"}).content.decode()
    (error,) = _errors(page)
    assert not LATIN.findall(re.sub(r"<[^>]+>", "", error))
    page = client.post(reverse("registrations:sign_in"), {"mobile": ""}).content.decode()
    assert "यह भरना ज़रूरी है।" in page


def test_the_withdraw_box_asks_to_be_ticked_in_hindi(hindi, raipur_village):
    hindi.post(reverse("registrations:add_person"), _payload(raipur_village))
    person = Registration.objects.get()
    page = hindi.post(reverse("registrations:withdraw", args=[person.reference])).content.decode()
    assert "पुष्टि के लिए टिक करें" in page
    assert "अपेक्षित" not in page


def test_a_full_account_says_so_before_the_form(hindi, raipur_village):
    for name in ("सुनीता साहू", "रमेश साहू", "गीता साहू", "मोहन साहू"):
        hindi.post(reverse("registrations:add_person"), _payload(raipur_village, name=name))
    assert Registration.objects.count() == 4
    page = hindi.get(reverse("registrations:add_person")).content.decode()
    assert '<form method="post" novalidate data-cascade' not in page
    assert "ज़्यादा से ज़्यादा 4" in page or "4 लोग" in page, page
    # One withdrawn frees a seat: the form is back.
    person = Registration.objects.first()
    hindi.post(reverse("registrations:withdraw", args=[person.reference]), {"confirm": "on"})
    page = hindi.get(reverse("registrations:add_person")).content.decode()
    assert "data-cascade" in page


def test_every_signed_in_page_shows_who_is_signed_in(hindi, raipur_village):
    hindi.post(reverse("registrations:add_person"), _payload(raipur_village))
    person = Registration.objects.get()
    centre = factories.make_centre(locality=raipur_village)
    allot(registration=person, session=factories.make_session(centre=centre), by=None)
    ref = person.reference
    urls = [
        reverse("registrations:account"),
        reverse("registrations:add_person"),
        reverse("registrations:person", args=[ref]),
        reverse("registrations:slip", args=[ref]),
        reverse("registrations:cancel", args=[ref]),
        reverse("registrations:withdraw", args=[ref]),
    ]
    for url in urls:
        page = hindi.get(url).content.decode()
        assert "******5678 से साइन इन" in page, url


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "तीन में से एक चुनें।"),
        ({"choice": "another_date", "not_before": "2020-01-01"}, "आज के बाद का कोई दिन चुनें"),
        ({"choice": "another_date", "not_before": "kal"}, "तारीख़ दिन-महीना-साल में लिखें"),
    ],
)
def test_the_cancel_choices_complain_in_hindi(hindi, raipur_village, data, expected):
    hindi.post(reverse("registrations:add_person"), _payload(raipur_village))
    person = Registration.objects.get()
    centre = factories.make_centre(locality=raipur_village)
    allot(registration=person, session=factories.make_session(centre=centre), by=None)
    page = hindi.post(
        reverse("registrations:cancel", args=[person.reference]), data
    ).content.decode()
    errors = _errors(page)
    assert any(expected in e for e in errors), errors
    for error in errors:
        assert not LATIN.findall(re.sub(r"<[^>]+>", "", error)), error
    assert person.appointments.get().status == "booked"  # nothing happened


def test_a_not_before_day_typed_the_indian_way_is_understood(hindi, raipur_village):
    hindi.post(reverse("registrations:add_person"), _payload(raipur_village))
    person = Registration.objects.get()
    centre = factories.make_centre(locality=raipur_village)
    session = factories.make_session(centre=centre)
    allot(registration=person, session=session, by=None)
    day = session.date + datetime.timedelta(days=7)
    hindi.post(
        reverse("registrations:cancel", args=[person.reference]),
        {"choice": "another_date", "not_before": day.strftime("%d/%m/%Y")},
    )
    person.refresh_from_db()
    assert person.not_before == day
