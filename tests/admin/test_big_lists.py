"""The lists built to stay fast for the whole state still show the right rows,
in the right order, to the right official (their speed is measured in
benchmarks/admin_lists.py, not here)."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from districts import roles
from districts.models import Locality
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


def test_appointments_filter_by_dose(client, raipur_official, raipur_rows):
    second = Appointment.objects.create(
        registration=factories.make_registration(locality=raipur_rows.registration.locality),
        session=raipur_rows.session,
        dose=2,
    )
    client.force_login(raipur_official)

    for dose, expected in (("2", [second.pk]), ("1", [raipur_rows.appointment.pk])):
        cl = client.get("/admin/slots/appointment/", {"dose": dose}).context["cl"]
        assert [a.pk for a in cl.result_list] == expected


def test_appointments_of_one_day_are_that_days_newest_first_and_scoped(
    client, state_admin, raipur_official, raipur_rows, bastar_rows
):
    # raipur_rows and bastar_rows are booked 3 days ahead; a second day in Raipur.
    day = raipur_rows.session.date
    other_day = factories.make_session(centre=raipur_rows.centre, days_ahead=4)
    Appointment.objects.create(
        registration=factories.make_registration(locality=raipur_rows.registration.locality),
        session=other_day,
        dose=1,
    )
    later = Appointment.objects.create(
        registration=factories.make_registration(locality=raipur_rows.registration.locality),
        session=raipur_rows.session,
        dose=1,
    )

    def listed(**params) -> list[int]:
        response = client.get("/admin/slots/appointment/", params)
        assert response.status_code == 200
        return [a.pk for a in response.context["cl"].result_list]

    def by_sql(district_id: int | None) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id FROM slots_appointment a JOIN slots_session s ON s.id = a.session_id"
                " WHERE s.date = %s AND (%s::bigint IS NULL OR s.district_id = %s)"
                " ORDER BY a.id DESC",
                [day, district_id, district_id],
            )
            return [pk for (pk,) in cursor.fetchall()]

    client.force_login(raipur_official)
    raipur = raipur_rows.session.district_id
    assert listed(day=day.isoformat()) == by_sql(raipur) == [later.pk, raipur_rows.appointment.pk]
    # A day without appointments lists none; a day that is no date, all.
    assert listed(day=(day + datetime.timedelta(days=30)).isoformat()) == []
    assert len(listed(day="31/02/2026")) == 3

    client.force_login(state_admin)
    assert listed(day=day.isoformat()) == by_sql(None)
    assert bastar_rows.appointment.pk in by_sql(None)


def _sql_references(where: str, params: list) -> list[str]:
    """The list's rows by plain SQL: newest first, as the admin sorts them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT reference FROM registrations_registration WHERE {where}"  # noqa: S608 (the test's own)
            " ORDER BY registered_at DESC, id DESC",
            params,
        )
        return [reference for (reference,) in cursor.fetchall()]


def _plan(queryset, *, without: tuple[str, ...] = ()) -> str:
    """PostgreSQL's plan of `queryset` with sequential scans priced out and
    the indexes `without` dropped (undone with the test's transaction): on a
    test-sized table the planner may price several indexes alike, so this
    asks whether the query can use the one the list was built for."""
    with transaction.atomic(), connection.cursor() as cursor:
        for index in without:
            cursor.execute(f"DROP INDEX {index}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
        transaction.set_rollback(True)
    return plan


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="asks PostgreSQL's planner"
)


def _mixed_people(raipur_village, bastar_village) -> None:
    """People of every status and dose count, over two districts."""
    done = {"status": Registration.Status.COMPLETED, "doses_received": 2}
    _people(raipur_village, [40, 2], **done)
    _people(bastar_village, [60, 1], **done)
    _people(raipur_village, [0, 30])  # waiting, no dose
    _people(bastar_village, [3], doses_received=1)  # waiting for dose 2
    _people(raipur_village, [50], status=Registration.Status.WITHDRAWN, doses_received=2)
    _people(bastar_village, [20], status=Registration.Status.ALLOTTED, doses_received=1)


def test_the_state_list_of_the_fully_vaccinated_is_everyone_fully_vaccinated(
    client, state_admin, raipur_official, raipur_village, bastar_village
):
    _mixed_people(raipur_village, bastar_village)

    client.force_login(state_admin)
    response = client.get(LIST, {"status__exact": "completed"})
    assert _references(response) == _sql_references("status = 'completed'", [])
    assert response.context["cl"].result_count == 4

    # Every other status, too, is what the database holds.
    for status in Registration.Status.values:
        response = client.get(LIST, {"status__exact": status})
        assert _references(response) == _sql_references("status = %s", [status]), status

    client.force_login(raipur_official)
    response = client.get(LIST, {"status__exact": "completed"})
    raipur = raipur_village.area.district_id
    expected = _sql_references("status = 'completed' AND district_id = %s", [raipur])
    assert _references(response) == expected
    assert len(expected) == 2


def test_fully_vaccinated_means_both_doses_in_the_database(raipur_village):
    (person,) = _people(raipur_village, [1], doses_received=1)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registrations_registration SET status = 'completed' WHERE id = %s",
            [person.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registrations_registration SET status = 'completed', doses_received = 2"
            " WHERE id = %s",
            [person.pk],
        )
    person.refresh_from_db()
    assert person.status == Registration.Status.COMPLETED


@postgresql_only
def test_the_fully_vaccinated_across_the_state_are_found_in_their_own_index(
    client, state_admin, raipur_village, bastar_village
):
    _mixed_people(raipur_village, bastar_village)
    client.force_login(state_admin)

    cl = client.get(LIST, {"status__exact": "completed"}).context["cl"]

    # Without the doses in the query the partial index could not be used, and
    # the list walked reg_registered past every recent registration.
    assert "reg_fully_vaccinated" in _plan(cl.queryset, without=("reg_registered",))


def test_a_block_and_a_village_list_their_own_people_newest_first(
    client, state_admin, raipur_official, raipur_block, raipur_village, bastar_village
):
    other_village = Locality.objects.filter(area=raipur_block).exclude(pk=raipur_village.pk)[0]
    _people(raipur_village, [3, 1, 7])
    _people(other_village, [2, 5])
    _people(bastar_village, [0])

    for user in (state_admin, raipur_official):
        client.force_login(user)
        block = client.get(LIST, {"area__id__exact": raipur_block.pk})
        assert _references(block) == _sql_references("area_id = %s", [raipur_block.pk])
        assert len(_references(block)) == 5

        for village in (raipur_village, other_village):
            response = client.get(
                LIST, {"area__id__exact": raipur_block.pk, "locality": village.pk}
            )
            assert _references(response) == _sql_references("locality_id = %s", [village.pk])


@postgresql_only
def test_a_block_is_listed_along_its_index_and_a_village_along_the_district_s(
    client, state_admin, raipur_block, raipur_village
):
    _people(raipur_village, [3, 1])
    client.force_login(state_admin)

    block = client.get(LIST, {"area__id__exact": raipur_block.pk}).context["cl"]
    assert "reg_area_registered" in _plan(block.queryset)
    village = client.get(
        LIST, {"area__id__exact": raipur_block.pk, "locality": raipur_village.pk}
    ).context["cl"]
    # The district's other indexes start with it too; without them (and the
    # block's), the village's people are found by district and village.
    competing = ("reg_area_registered", "reg_district_registered", "reg_district_birth_year")
    assert "reg_district_person" in _plan(village.queryset, without=competing)


def _sql_duplicate_groups(district_id: int) -> list[set[int]]:
    """Live people sharing district, village, name (any case) and year, by SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT array_agg(id) FROM registrations_registration
            WHERE district_id = %s AND status NOT IN ('withdrawn', 'duplicate')
            GROUP BY district_id, locality_id, lower(name), birth_year
            HAVING count(*) > 1""",
            [district_id],
        )
        return sorted((set(ids) for (ids,) in cursor.fetchall()), key=min)


def test_possible_duplicates_are_all_found_page_by_page_when_each_page_reads_a_few(
    client, raipur_official, raipur_block, raipur_village, monkeypatch
):
    from registrations import duplicates

    other_village = Locality.objects.filter(area=raipur_block).exclude(pk=raipur_village.pk)[0]
    for village in (raipur_village, other_village):
        for name in ("Asha Verma", "Ramesh Sahu", "Sunita Yadav"):
            for year in (1960, 1970):
                factories.make_registration(locality=village, name=name, birth_year=year)
        for name in ("ASHA VERMA", "sunita yadav", "sunita yadav"):
            factories.make_registration(locality=village, name=name, birth_year=1970)
    expected = _sql_duplicate_groups(raipur_village.area.district_id)
    assert len(expected) == 4  # Asha's and Sunita's of 1970, in each village

    # Each page reads 3 people: a group is never split between pages nor lost.
    monkeypatch.setattr(duplicates, "WALK", 3)
    client.force_login(raipur_official)
    found, url, pages = [], f"{LIST}duplicates/", 0
    while url and pages < 20:
        response = client.get(url)
        found += [{r.pk for r in g.registrations} for g in response.context["groups"]]
        further = response.context["further"]
        url = f"{LIST}duplicates/?kind=person&from={further}" if further else None
        pages += 1
        if further:
            assert f'href="?kind=person&amp;from={further}"' in response.content.decode()
    assert sorted(found, key=min) == expected
    assert pages > 2
