"""The quota policies in the admin: the state administrator alone sees and
changes them, turning one on is checked (shares add up to 100%, no two active
policies cover one session) and recorded in the history; a session's page
shows its seats by category and the rollover. In English and Hindi."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from districts import roles
from quotas.models import Policy
from tests.admin.conftest import give_role, staff_user
from tests.slots.conftest import allocate

from .conftest import queued, session_18_44

pytestmark = pytest.mark.django_db


@pytest.fixture
def state_admin(raipur, role_groups):
    return staff_user("state-admin", roles.STATE_ADMIN, raipur)


@pytest.fixture
def example(may_2021) -> Policy:
    Policy.objects.filter(pk=may_2021.pk).update(active=False)
    may_2021.refresh_from_db()
    return may_2021


def change_payload(policy: Policy, **overrides) -> dict:
    """The policy's change form as the browser sends it, categories and all."""
    today = timezone.localdate()
    data = {
        "name_en": policy.name_en,
        "name_hi": policy.name_hi,
        "min_age": "18",
        "max_age": "44",
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=30)).isoformat(),
        "active": "on",
        "categories-TOTAL_FORMS": str(policy.categories.count()),
        "categories-INITIAL_FORMS": str(policy.categories.count()),
        "categories-MIN_NUM_FORMS": "0",
        "categories-MAX_NUM_FORMS": "1000",
    }
    for i, c in enumerate(policy.categories.order_by("position")):
        data.update(
            {
                f"categories-{i}-id": str(c.pk),
                f"categories-{i}-policy": str(policy.pk),
                f"categories-{i}-position": str(c.position),
                f"categories-{i}-name_en": c.name_en,
                f"categories-{i}-name_hi": c.name_hi,
                f"categories-{i}-share": str(c.share),
                f"categories-{i}-ration_card": c.ration_card,
                f"categories-{i}-occupation": "" if c.occupation is None else str(c.occupation),
                f"categories-{i}-document_en": c.document_en,
                f"categories-{i}-document_hi": c.document_hi,
            }
        )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_state_administrator_turns_the_example_on_and_the_history_says_who(
    client, state_admin, example
):
    client.force_login(state_admin)
    url = reverse("admin:quotas_policy_change", args=[example.pk])

    response = client.post(url, change_payload(example))

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT active, max_age FROM quotas_policy WHERE id = %s", [example.pk])
        assert cursor.fetchone() == (True, 44)
        cursor.execute(
            "SELECT u.username FROM quotas_historicalpolicy h JOIN auth_user u"
            " ON u.id = h.history_user_id WHERE h.id = %s AND h.active ORDER BY h.history_date",
            [example.pk],
        )
        assert cursor.fetchall() == [("state-admin",)]
    history = client.get(reverse("admin:quotas_policy_history", args=[example.pk]))
    assert "state-admin" in history.content.decode()


def test_shares_that_do_not_add_up_to_100_percent_cannot_be_turned_on(client, state_admin, example):
    client.force_login(state_admin)
    payload = change_payload(example, **{"categories-0-share": "25"})  # 105%

    response = client.post(reverse("admin:quotas_policy_change", args=[example.pk]), payload)

    assert response.status_code == 200
    assert "add up to 100% (now 105%)" in response.content.decode()
    assert not Policy.objects.get(pk=example.pk).active
    # Off, the same shares may be kept while they are worked on.
    off = change_payload(example, active=None, **{"categories-0-share": "25"})
    response = client.post(reverse("admin:quotas_policy_change", args=[example.pk]), off)
    assert response.status_code == 302


def test_two_active_policies_may_not_cover_the_same_sessions(client, state_admin, example):
    today = timezone.localdate()
    Policy.objects.create(
        name_en="Everyone 40 and over",
        name_hi="40 और अधिक",
        min_age=40,
        starts_on=today + datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=60),
        active=True,
    )
    client.force_login(state_admin)

    response = client.post(
        reverse("admin:quotas_policy_change", args=[example.pk]), change_payload(example)
    )

    assert response.status_code == 200
    assert "Another active policy, Everyone 40 and over" in response.content.decode()
    # Ages 18-39 only: no session could follow both.
    response = client.post(
        reverse("admin:quotas_policy_change", args=[example.pk]),
        change_payload(example, max_age="39"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "role", [roles.DISTRICT_OFFICIAL, roles.HELP_DESK, roles.HEALTH_DEPARTMENT, roles.VACCINATOR]
)
def test_no_other_role_sees_or_changes_a_policy(client, raipur, role_groups, example, role):
    client.force_login(staff_user(f"someone-{role}", role, raipur))

    for url in (
        reverse("admin:quotas_policy_changelist"),
        reverse("admin:quotas_policy_change", args=[example.pk]),
        reverse("admin:quotas_policy_history", args=[example.pk]),
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(
            reverse("admin:quotas_policy_change", args=[example.pk]), change_payload(example)
        ).status_code
        == 403
    )
    assert not Policy.objects.get(pk=example.pk).active
    assert "/admin/quotas/" not in client.get(reverse("admin:index")).content.decode()


def test_the_policy_page_in_hindi(client, state_admin, example):
    client.force_login(state_admin)
    page = client.get(
        reverse("admin:quotas_policy_change", args=[example.pk]), HTTP_ACCEPT_LANGUAGE="hi"
    ).content.decode()

    assert "अंत्योदय राशन कार्ड धारक" in page
    for english in ("Share of seats", "Document checked at the centre", "Ration card"):
        assert english not in page


def test_a_sessions_page_shows_its_seats_by_category_and_the_rollover(
    client, raipur_official, role_groups, places, may_2021
):
    give_role(raipur_official, roles.DISTRICT_OFFICIAL)
    # Ten seats (2, 1, 5, 2), nobody frontline: its 2 seats go to the next BPL people.
    for kind in "KBBBBBBBAA":
        queued(places, kind)
    session = session_18_44(places, capacity=10)
    allocate(places.home)
    client.force_login(raipur_official)
    url = reverse("admin:slots_session_change", args=[session.pk])

    page = client.get(url).content.decode()
    hindi = client.get(url, HTTP_ACCEPT_LANGUAGE="hi").content.decode()

    assert "BPL ration card holders: 5 seats" in page
    assert "Frontline workers: 2 seats" in page
    assert "Rolled over: 2 seats of Frontline workers to BPL ration card holders" in page
    assert "अग्रिम पंक्ति के कार्यकर्ता" in hindi
    assert "Rolled over" not in hindi


def test_a_change_of_shares_is_in_the_policys_history(client, state_admin, example):
    client.force_login(state_admin)
    payload = change_payload(
        example, active=None, **{"categories-0-share": "25", "categories-2-share": "47"}
    )

    response = client.post(reverse("admin:quotas_policy_change", args=[example.pk]), payload)

    assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.username, h.history_change_reason FROM quotas_historicalpolicy h"
            " JOIN auth_user u ON u.id = h.history_user_id WHERE h.id = %s",
            [example.pk],
        )
        rows = cursor.fetchall()
    assert (
        "state-admin",
        "Categories: Frontline workers 25%, Antyodaya ration card holders 12%, "
        "BPL ration card holders 47%, APL ration card holders 16%",
    ) in rows
    page = client.get(reverse("admin:quotas_policy_history", args=[example.pk])).content.decode()
    assert "Frontline workers 25%" in page
