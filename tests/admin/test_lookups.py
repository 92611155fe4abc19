"""The unmasking probe: lists show "******1836", and the query string must
not rebuild the rest. Only the filters an admin declares are lookups; a
made-up one (on a mobile, an ID hash, a check-in code, anything) is refused."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from districts import roles

from .conftest import staff_user

pytestmark = pytest.mark.django_db


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def state_admin(raipur, role_groups):
    return staff_user("state-admin", roles.STATE_ADMIN, raipur)


def test_a_mobile_cannot_be_rebuilt_digit_by_digit(client, raipur_official, raipur_rows):
    client.force_login(raipur_official)
    mobile = str(raipur_rows.registration.account.mobile)
    probes = [
        ("admin:registrations_account_changelist", "mobile__startswith", mobile[:8]),
        ("admin:registrations_account_changelist", "mobile", mobile),
        ("admin:registrations_registration_changelist", "account__mobile__startswith", mobile),
        ("admin:registrations_registration_changelist", "id_hash__startswith", "a"),
        ("admin:registrations_registration_changelist", "id_last4", "1234"),
        ("admin:slots_appointment_changelist", "code", raipur_rows.appointment.code),
        ("admin:slots_appointment_changelist", "registration__account__mobile__contains", "98"),
    ]
    for name, lookup, value in probes:
        response = client.get(reverse(name), {lookup: value})
        assert response.status_code == 400, (name, lookup, response.status_code)
        assert mobile[-10:] not in response.content.decode()


def test_no_admin_takes_a_lookup_it_does_not_declare(client, state_admin, raipur_rows):
    """Every field of every registered model, as a made-up lookup."""
    client.force_login(state_admin)
    accepted = []
    for model, model_admin in admin.site._registry.items():
        declared = model_admin.declared_lookups(_request_for(state_admin))
        for field in model._meta.concrete_fields:
            lookup = f"{field.name}__startswith"
            if lookup in declared:
                continue
            response = client.get(_changelist(model), {lookup: "1"})
            if response.status_code != 400:
                accepted.append((model._meta.label, lookup, response.status_code))
    assert accepted == []


def test_declared_filters_still_filter(client, raipur_official, raipur_rows):
    client.force_login(raipur_official)
    registration = raipur_rows.registration
    url = reverse("admin:registrations_registration_changelist")
    for params in (
        {"status__exact": registration.status},
        {"area__id__exact": registration.area_id, "locality": registration.locality_id},
        {"age": "18-44"},
        # As the admin's date filter writes it: aware, India time.
        {"registered_at__gte": "2020-01-01 00:00:00+05:30"},
    ):
        response = client.get(url, params)
        assert response.status_code == 200, params
    sessions = client.get(
        reverse("admin:slots_session_changelist"),
        {"date__year": raipur_rows.session.date.year, "status__exact": "active"},
    )
    assert raipur_rows.session in sessions.context["cl"].result_list


def _request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request
