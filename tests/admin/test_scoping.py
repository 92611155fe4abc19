"""An official of Raipur cannot list, open, change, export, autocomplete or
act on a row of Bastar, in any admin; other roles see what their role says."""

import io

import openpyxl
import pytest
from django.urls import reverse

from districts import roles
from slots.models import Appointment

from .conftest import staff_user

pytestmark = pytest.mark.django_db

# (admin url name, how to get the Raipur and Bastar row of that model)
SCOPED = [
    ("registrations_registration", lambda r: r.registration),
    ("slots_centre", lambda r: r.centre),
    ("slots_session", lambda r: r.session),
    ("slots_appointment", lambda r: r.appointment),
    ("registrations_account", lambda r: r.registration.account),
    ("districts_area", lambda r: r.registration.area),
    ("districts_locality", lambda r: r.registration.locality),
    ("districts_district", lambda r: r.registration.district),
]


def _listed(client, name: str) -> set:
    response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize(("name", "row"), SCOPED)
def test_an_official_lists_only_their_districts_rows(
    client, raipur_official, raipur_rows, bastar_rows, name, row
):
    client.force_login(raipur_official)
    listed = _listed(client, name)
    assert row(raipur_rows).pk in listed
    assert row(bastar_rows).pk not in listed


@pytest.mark.parametrize(("name", "row"), SCOPED)
@pytest.mark.parametrize("view", ["change", "history"])
def test_an_official_gets_404_for_another_districts_row(
    client, raipur_official, raipur_rows, bastar_rows, name, row, view
):
    client.force_login(raipur_official)
    assert (
        client.get(reverse(f"admin:{name}_{view}", args=[row(raipur_rows).pk])).status_code == 200
    )
    assert (
        client.get(reverse(f"admin:{name}_{view}", args=[row(bastar_rows).pk])).status_code == 404
    )


def test_an_official_cannot_open_an_old_version_of_another_districts_row(
    client, raipur_official, bastar_rows
):
    client.force_login(raipur_official)
    version = bastar_rows.session.history.first()
    url = reverse(
        "admin:slots_session_simple_history", args=[bastar_rows.session.pk, version.history_id]
    )
    assert client.get(url).status_code == 404


def test_an_official_cannot_change_another_districts_row(client, raipur_official, bastar_rows):
    client.force_login(raipur_official)
    url = reverse("admin:registrations_registration_change", args=[bastar_rows.registration.pk])
    response = client.post(url, {"name": "Changed"})
    assert response.status_code == 404
    bastar_rows.registration.refresh_from_db()
    assert bastar_rows.registration.name != "Changed"


def test_an_official_cannot_move_a_centre_into_another_district(
    client, raipur_official, raipur_rows, bastar_rows
):
    client.force_login(raipur_official)
    centre = raipur_rows.centre
    url = reverse("admin:slots_centre_change", args=[centre.pk])
    response = client.post(
        url,
        {
            "name": centre.name,
            "district": bastar_rows.centre.district_id,
            "area": bastar_rows.centre.area_id,
            "locality": bastar_rows.centre.locality_id,
            "address": "x",
            "active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with errors
    assert "district" in response.context["adminform"].form.errors
    centre.refresh_from_db()
    assert centre.district_id == raipur_rows.centre.district_id


@pytest.mark.parametrize(
    ("app", "model", "field", "target"),
    [
        ("slots", "centre", "locality", "locality"),
        ("slots", "centre", "area", "area"),
        ("slots", "session", "centre", "centre"),
        ("registrations", "registration", "area", "area"),
    ],
)
def test_autocomplete_offers_only_the_officials_rows(
    client, raipur_official, raipur_rows, bastar_rows, app, model, field, target
):
    client.force_login(raipur_official)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app, "model_name": model, "field_name": field, "term": ""},
    )
    assert response.status_code == 200
    ids = {int(item["id"]) for item in response.json()["results"]}
    raipur_target = (
        getattr(raipur_rows.centre, target) if target != "centre" else raipur_rows.centre
    )
    bastar_target = (
        getattr(bastar_rows.centre, target) if target != "centre" else bastar_rows.centre
    )
    assert raipur_target.pk in ids or response.json()["pagination"]["more"]
    assert bastar_target.pk not in ids


def test_filter_choices_offer_only_the_officials_blocks(client, raipur_official, raipur, bastar):
    client.force_login(raipur_official)
    response = client.get(reverse("admin:registrations_registration_changelist"))
    area_filter = next(
        f for f in response.context["cl"].filter_specs if getattr(f, "field_path", "") == "area"
    )
    offered = {pk for pk, _label in area_filter.lookup_choices}
    assert offered == set(raipur.areas.values_list("pk", flat=True))
    assert not offered & set(bastar.areas.values_list("pk", flat=True))


def test_export_holds_only_the_officials_rows_and_masks_them(
    client, raipur_official, raipur_rows, bastar_rows
):
    client.force_login(raipur_official)
    response = client.post(
        reverse("admin:registrations_registration_export"),
        {
            "format": "0",
            "resource": "0",
            **{
                f"registrationexportresource_{f}": "on"
                for f in ("reference", "name", "photo_id", "mobile")
            },
        },
    )
    assert response.status_code == 200, response.content[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert raipur_rows.registration.display_reference in cells
    assert bastar_rows.registration.display_reference not in cells
    mobile = str(raipur_rows.registration.account.mobile)
    assert not any(mobile[-10:] in c for c in cells)
    assert f"******{mobile[-4:]}" in cells
    assert any(c.endswith(raipur_rows.registration.id_last4) and "••••" in c for c in cells)


def test_an_action_on_another_districts_row_does_nothing(client, raipur_official, bastar_rows):
    client.force_login(raipur_official)
    client.post(
        reverse("admin:slots_appointment_changelist"),
        {
            "action": "cancel_selected",
            "_selected_action": [bastar_rows.appointment.pk],
            "apply": "1",
            "reason": "testing",
        },
    )
    bastar_rows.appointment.refresh_from_db()
    assert bastar_rows.appointment.status == Appointment.Status.BOOKED


def test_an_action_on_the_officials_own_row_works(client, raipur_official, raipur_rows):
    client.force_login(raipur_official)
    client.post(
        reverse("admin:slots_appointment_changelist"),
        {
            "action": "cancel_selected",
            "_selected_action": [raipur_rows.appointment.pk],
            "apply": "1",
            "reason": "testing",
        },
    )
    raipur_rows.appointment.refresh_from_db()
    assert raipur_rows.appointment.status == Appointment.Status.CANCELLED


def test_the_day_list_of_another_districts_session_is_404(client, raipur_official, bastar_rows):
    client.force_login(raipur_official)
    for name in (
        "slots_session_day_list",
        "slots_session_day_list_xlsx",
        "slots_session_capacity",
        "slots_session_cancel",
    ):
        assert (
            client.get(reverse(f"admin:{name}", args=[bastar_rows.session.pk])).status_code == 404
        )


def test_a_help_desk_sees_registrations_of_its_district_only(
    client, raipur, raipur_rows, bastar_rows
):
    desk = staff_user("desk", roles.HELP_DESK, raipur)
    client.force_login(desk)
    listed = _listed(client, "registrations_registration")
    assert listed == {raipur_rows.registration.pk}
    assert client.get(reverse("admin:slots_session_plan")).status_code == 403


def test_the_health_department_sees_sessions_statewide_but_no_people(
    client, raipur, raipur_rows, bastar_rows
):
    health = staff_user("health", roles.HEALTH_DEPARTMENT, raipur)
    client.force_login(health)
    assert _listed(client, "slots_session") >= {raipur_rows.session.pk, bastar_rows.session.pk}
    assert client.get(reverse("admin:registrations_registration_changelist")).status_code == 403


def test_a_vaccinator_has_no_admin(client, raipur):
    vaccinator = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    client.force_login(vaccinator)
    response = client.get(reverse("admin:registrations_registration_changelist"))
    assert response.status_code == 302


def test_an_official_with_no_district_sees_nothing(client, raipur_rows):
    from django.contrib.auth.models import Group, User

    lost = User.objects.create_user("lost", is_staff=True)
    lost.groups.add(Group.objects.get(name=roles.DISTRICT_OFFICIAL))
    client.force_login(lost)
    assert _listed(client, "registrations_registration") == set()
    assert _listed(client, "slots_session") == set()
