"""List pages run a bounded number of queries, however many rows they show."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from .. import factories
from .conftest import rows_in

pytestmark = pytest.mark.django_db

PAGES = [
    "registrations_registration",
    "slots_session",
    "slots_appointment",
    "slots_centre",
    "registrations_account",
]


@pytest.fixture
def many_rows(raipur_village) -> None:
    for _ in range(30):
        rows_in(raipur_village, account=factories.make_account())


@pytest.mark.parametrize("name", PAGES)
def test_a_list_page_makes_a_bounded_number_of_queries(
    client, raipur_official, many_rows, name, django_assert_max_num_queries
):
    client.force_login(raipur_official)
    with django_assert_max_num_queries(20):
        response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30


def test_the_registration_list_filters_by_block_and_age_band(
    client, raipur_official, raipur_rows, raipur_block
):
    client.force_login(raipur_official)
    url = reverse("admin:registrations_registration_changelist")
    response = client.get(url, {"area__id__exact": raipur_block.pk, "age": "18-44"})
    assert list(response.context["cl"].result_list) == []  # born 1980: over 44
    response = client.get(url, {"area__id__exact": raipur_block.pk, "age": "45-59"})
    assert [r.pk for r in response.context["cl"].result_list] == [raipur_rows.registration.pk]


def test_search_finds_by_reference_and_by_the_last_digits_of_the_mobile(
    client, raipur_official, raipur_rows
):
    client.force_login(raipur_official)
    url = reverse("admin:registrations_registration_changelist")
    registration = raipur_rows.registration
    for term in (registration.display_reference.lower(), str(registration.account.mobile)[-6:]):
        response = client.get(url, {"q": term})
        assert [r.pk for r in response.context["cl"].result_list] == [registration.pk], term


def test_the_list_shows_masked_mobiles_and_ids(client, raipur_official, raipur_rows):
    client.force_login(raipur_official)
    content = client.get(reverse("admin:registrations_registration_changelist")).content.decode()
    mobile = str(raipur_rows.registration.account.mobile)
    assert f"******{mobile[-4:]}" in content
    assert mobile[-10:] not in content


def test_a_huge_list_is_not_counted_past_the_cap(client, raipur_official, many_rows, monkeypatch):
    from teeka.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 10)
    client.force_login(raipur_official)
    response = client.get(reverse("admin:registrations_registration_changelist"))
    assert response.context["cl"].result_count == 11
    assert "More than 10 rows" in response.content.decode()


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="asks PostgreSQL's planner"
)


def _plan(queryset) -> str:
    """PostgreSQL's plan with sequential scans priced out: on a test-sized
    table a scan is cheapest, so this asks which index the query *can* use."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


@postgresql_only
def test_the_search_by_the_last_digits_of_a_mobile_can_use_an_index(raipur_rows):
    from registrations.models import Registration, mobile_ends_with

    found = Registration.objects.filter(**mobile_ends_with("543210", "account__"))
    assert "account_mobile_last4" in _plan(found)


@postgresql_only
def test_the_age_band_filter_can_use_an_index(raipur, raipur_rows):
    from registrations.models import Registration

    band = Registration.objects.filter(district=raipur, birth_year__range=(1965, 1980))
    # reg_district_person (district, village, name, year) starts with the
    # district too: on a test-sized table the planner may price the two alike.
    # Asked without it (the DROP is undone with the test's transaction), the
    # filter must still find an index, and it is this one.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX reg_district_person")
    assert "reg_district_birth_year" in _plan(band)
