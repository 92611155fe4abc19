"""The lists built to stay fast for the whole state still show the right rows,
in the right order, to the right official (their speed is measured in
benchmarks/admin_lists.py, not here)."""

import datetime

import pytest
from django.utils import timezone

from districts import roles
from registrations.models import Registration
from slots.models import Appointment
from tests import factories

from .conftest import staff_user

pytestmark = pytest.mark.django_db

LIST = "/admin/registrations/registration/"


@pytest.fixture
def state_admin(raipur, role_groups):
    return staff_user("state-admin", roles.STATE_ADMIN, raipur)


def _references(response) -> list[str]:
    return [row.reference for row in response.context["cl"].result_list]


def _people(locality, days_ago: list[int], **fields) -> list[Registration]:
    now = timezone.now()
    return [
        factories.make_registration(
            locality=locality, registered_at=now - datetime.timedelta(days=d), **fields
        )
        for d in days_ago
    ]


def test_the_state_list_shows_everyone_newest_first(
    client, state_admin, raipur_village, bastar_village
):
    people = _people(raipur_village, [5, 1]) + _people(bastar_village, [3, 0])
    client.force_login(state_admin)

    response = client.get(LIST)

    newest_first = sorted(people, key=lambda p: p.registered_at, reverse=True)
    assert _references(response) == [p.reference for p in newest_first]


def test_a_district_official_sees_only_their_district_newest_first(
    client, raipur_official, raipur_village, bastar_village
):
    raipur_people = _people(raipur_village, [2, 7, 4])
    _people(bastar_village, [1])
    client.force_login(raipur_official)

    response = client.get(LIST, {"status__exact": "waiting"})

    newest_first = sorted(raipur_people, key=lambda p: p.registered_at, reverse=True)
    assert _references(response) == [p.reference for p in newest_first]


def test_the_list_sorts_by_reference_but_not_by_a_column_without_an_index(
    client, state_admin, raipur_village
):
    people = _people(raipur_village, [3, 2, 1])
    client.force_login(state_admin)
    headers = client.get(LIST).context["cl"]
    sortable = [
        name for name in headers.list_display if name in headers.model_admin.get_sortable_by(None)
    ]
    assert sortable == ["display_ref", "registered_on"]

    by_reference = client.get(LIST, {"o": "1"})  # the reference column, ascending
    assert _references(by_reference) == sorted(p.reference for p in people)


def test_a_list_beyond_the_count_cap_says_more_than_and_still_pages(
    client, state_admin, raipur_village, monkeypatch
):
    from teeka.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    people = _people(raipur_village, [6, 5, 4, 3, 2])
    client.force_login(state_admin)

    response = client.get(LIST)

    assert response.context["cl"].paginator.capped
    assert _references(response) == [p.reference for p in reversed(people)]


def test_possible_duplicates_are_grouped_by_name_year_and_village_within_a_district(
    client, raipur_official, bastar_official, raipur_village, bastar_village
):
    twins = [
        factories.make_registration(locality=raipur_village, name=name, birth_year=1970)
        for name in ("Sunita Sahu", "SUNITA SAHU")
    ]
    factories.make_registration(locality=raipur_village, name="Sunita Sahu", birth_year=1971)
    factories.make_registration(locality=bastar_village, name="Sunita Sahu", birth_year=1970)
    marked = factories.make_registration(
        locality=raipur_village, name="sunita sahu", birth_year=1970
    )
    Registration.objects.filter(pk=marked.pk).update(status=Registration.Status.DUPLICATE)

    client.force_login(raipur_official)
    groups = client.get(f"{LIST}duplicates/").context["groups"]
    assert [sorted(r.pk for r in g.registrations) for g in groups] == [sorted(t.pk for t in twins)]

    client.force_login(bastar_official)
    assert client.get(f"{LIST}duplicates/").context["groups"] == []


def test_accounts_show_how_many_people_each_holds_and_only_to_their_district(
    client, state_admin, raipur_official, raipur_village, bastar_village
):
    family = factories.make_account()
    for seat in (1, 2):
        factories.make_registration(locality=raipur_village, account=family, seat=seat)
    other = factories.make_account()
    factories.make_registration(locality=bastar_village, account=other, seat=1)

    client.force_login(state_admin)
    cl = client.get("/admin/registrations/account/").context["cl"]
    assert {a.pk: cl.model_admin.people(a) for a in cl.result_list} == {family.pk: 2, other.pk: 1}

    client.force_login(raipur_official)
    cl = client.get("/admin/registrations/account/").context["cl"]
    assert [a.pk for a in cl.result_list] == [family.pk]


def test_appointments_are_listed_newest_first_and_scoped(
    client, raipur_official, raipur_rows, bastar_rows
):
    later = Appointment.objects.create(
        registration=factories.make_registration(locality=raipur_rows.registration.locality),
        session=raipur_rows.session,
        dose=1,
    )
    client.force_login(raipur_official)

    cl = client.get("/admin/slots/appointment/").context["cl"]

    assert [a.pk for a in cl.result_list] == [later.pk, raipur_rows.appointment.pk]


def test_the_state_administrator_plans_one_district_at_a_time(
    client, state_admin, raipur_village, bastar_village
):
    raipur_centre = factories.make_centre(locality=raipur_village)
    bastar_centre = factories.make_centre(locality=bastar_village)
    client.force_login(state_admin)
    plan = "/admin/slots/session/plan/"

    choice = client.get(plan)
    assert "form" not in choice.context
    assert f'href="?district={raipur_village.area.district_id}"' in choice.content.decode()

    form = client.get(plan, {"district": raipur_village.area.district_id}).context["form"]
    assert [c.pk for c in form.centre_list] == [raipur_centre.pk]
    assert bastar_centre.pk not in [c.pk for c in form.centre_list]


def test_appointments_are_found_by_the_reference_as_people_type_it(
    client, raipur_official, raipur_rows, bastar_rows
):
    client.force_login(raipur_official)
    typed = raipur_rows.registration.display_reference.lower()
    found = client.get("/admin/slots/appointment/", {"q": typed}).context["cl"].result_list
    assert [a.pk for a in found] == [raipur_rows.appointment.pk]

    theirs = bastar_rows.registration.display_reference
    other = client.get("/admin/slots/appointment/", {"q": theirs}).context["cl"].result_list
    assert list(other) == []
