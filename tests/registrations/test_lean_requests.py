"""The registration request stays lean: the signed-in account comes from the
session, the three places are checked together, and none of that loosens a
rule (wrong places are still refused next to their field, officials still
only register into their districts)."""

import datetime
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from districts.models import Area
from registrations.admin.forms import AssistedRegistrationForm
from registrations.forms import RETYPE_ID_MESSAGE, PersonForm
from registrations.models import Account, Registration
from tests import factories

from .helpers import form_payload, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _sign_in(client, mobile: str = "98123 45678") -> None:
    sign_in(client, mobile)


def _payload(place, **overrides) -> dict:
    return form_payload(place, **overrides)


def test_adding_a_person_needs_few_queries(client, raipur_village, django_assert_max_num_queries):
    _sign_in(client)
    # The first person on a database connection also prepares the insert
    # (registrations/inserts.py: two statements once per connection).
    first = _payload(raipur_village, name="Kamla Bai")
    assert client.post(reverse("registrations:add_person"), first).status_code == 302
    # One statement; the test's transaction wraps it in a savepoint (2 more).
    with django_assert_max_num_queries(3):
        response = client.post(reverse("registrations:add_person"), _payload(raipur_village))
    assert response.status_code == 302
    added = Registration.objects.exclude(name="Kamla Bai").get()
    assert added.history.get().history_type == "+"


def _refusal(client, data) -> tuple[dict, str]:
    _sign_in(client)
    response = client.post(reverse("registrations:add_person"), data)
    assert response.status_code == 200
    assert Registration.objects.count() == 0
    errors = dict(response.context["form"].errors)
    # Any refusal sends the ID number back empty, saying why (test_views).
    assert errors.pop("id_number") == [str(RETYPE_ID_MESSAGE)]
    return errors, response.content.decode()


def test_a_block_of_another_district_is_refused_next_to_its_field(
    client, raipur_village, bastar_village
):
    errors, page = _refusal(client, _payload(raipur_village, area=bastar_village.area_id))
    assert list(errors) == ["area"]
    assert "Please choose a block or town in the district you picked." in page
    assert 'value="House 12, Gandhi Chowk"' in page


def test_a_village_of_another_block_is_refused_next_to_its_field(
    client, raipur_village, raipur_town
):
    other_village = factories.first_locality(raipur_town)
    errors, _page = _refusal(client, _payload(raipur_village, locality=other_village.pk))
    assert list(errors) == ["locality"]


def test_an_unknown_district_is_refused_next_to_its_field(client, raipur_village):
    errors, page = _refusal(client, _payload(raipur_village, district="999999"))
    assert list(errors) == ["district"]
    assert "Please choose a district from the list." in page


def test_places_that_are_not_numbers_are_refused(raipur_village):
    form = PersonForm(_payload(raipur_village, area="x", locality="1; drop"))
    assert not form.is_valid()
    assert {"area", "locality"} <= set(form.errors)


def test_an_official_registers_only_into_their_districts(
    raipur_official, raipur_village, bastar_village
):
    elsewhere = _payload(bastar_village, mobile="", no_mobile_reason="none")
    form = AssistedRegistrationForm(elsewhere, user=raipur_official)
    assert not form.is_valid()
    assert "district" in form.errors
    at_home = _payload(raipur_village, mobile="", no_mobile_reason="none")
    assert AssistedRegistrationForm(at_home, user=raipur_official).is_valid()


@pytest.mark.django_db(transaction=True)  # the foreign key is checked at COMMIT
def test_a_citizen_whose_account_was_removed_is_asked_to_sign_in_again(client, raipur_village):
    _sign_in(client)
    Account.objects.all().delete()
    response = client.post(reverse("registrations:add_person"), _payload(raipur_village))
    assert response.url == reverse("registrations:sign_in")
    assert Registration.objects.count() == 0
    _sign_in(client)
    assert client.get(reverse("registrations:account")).status_code == 200


def test_pages_show_the_masked_mobile_of_the_account_in_the_session(client):
    _sign_in(client)
    page = client.get(reverse("registrations:account")).content.decode()
    assert "******5678" in page and "9812345678" not in page


def test_a_session_from_before_the_language_was_kept_still_works(client, raipur_village):
    _sign_in(client)
    session = client.session
    del session["citizen_language"]
    session.save()
    response = client.post(reverse("registrations:add_person"), _payload(raipur_village))
    assert response.status_code == 302
    assert Account.objects.get().language in ("en", "hi")


def test_the_area_list_is_empty_until_a_district_is_picked():
    form = PersonForm()
    assert [value for value, _label in form.fields["area"].choices] == [""]
    assert [value for value, _label in form.fields["locality"].choices] == [""]
    assert len(list(form.fields["district"].choices)) > 30
    assert Area.objects.exists()


def test_a_page_view_a_minute_on_keeps_the_session_alive(client, settings):
    _sign_in(client)
    session = client.session
    assert session.get_expiry_age() == settings.TEEKA_CITIZEN_IDLE_SECONDS
    session["citizen_seen"] -= 120
    session.save()
    client.get(reverse("registrations:account"))
    assert client.session["citizen_seen"] >= int(time.time()) - 5
    assert client.session.get_expiry_age() == settings.TEEKA_CITIZEN_IDLE_SECONDS


def test_an_idle_session_ends(client):
    _sign_in(client)
    ended = timezone.now() - datetime.timedelta(seconds=1)
    Session.objects.filter(pk=client.session.session_key).update(expire_date=ended)
    cache.clear()  # Redis lets it go at the same moment
    response = client.get(reverse("registrations:account"))
    assert response.url == reverse("registrations:sign_in")


def test_asking_again_after_the_session_was_ended_elsewhere_goes_on(client):
    # The session is still in the cache but gone from the database (ended by
    # another request): asking for a code again starts a new one, no error.
    client.post(reverse("registrations:sign_in"), {"mobile": "98123 45678"})
    Session.objects.all().delete()
    response = client.post(reverse("registrations:sign_in"), {"mobile": "98123 45678"})
    assert response.url == reverse("registrations:sign_in_code")
    page = client.get(response.url).content.decode()
    assert "******5678" in page
    assert Session.objects.count() == 1
