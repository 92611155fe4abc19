"""The help-desk queue in the admin: district scoping, SLA highlighting and the
work on one ticket, posted like an operator would."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from districts.roles import HELP_DESK, STATE_ADMIN
from helpdesk.models import Ticket, TicketEvent
from teeka.models import OutboundSms
from tests import factories

from .conftest import make_ticket

pytestmark = pytest.mark.django_db

QUEUE = "/admin/helpdesk/ticket/"


def _work(client, ticket, action, **data):
    return client.post(f"{QUEUE}{ticket.pk}/work/{action}/", data)


@pytest.fixture
def raipur_ticket(raipur):
    return make_ticket(district=raipur, description="Raipur problem")


@pytest.fixture
def bastar_ticket(bastar):
    return make_ticket(district=bastar, description="Bastar problem", mobile="+919898989898")


@pytest.fixture
def raipur_desk(client, raipur_helpdesk):
    client.force_login(raipur_helpdesk)
    return client


@pytest.mark.parametrize("role", [HELP_DESK, STATE_ADMIN])
def test_the_roles_may_work_on_tickets(role):
    codenames = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
    assert {"view_ticket", "change_ticket", "move_registration"} <= codenames


def test_an_official_of_raipur_sees_only_raipurs_tickets(raipur_desk, raipur_ticket, bastar_ticket):
    page = raipur_desk.get(QUEUE).content.decode()
    assert raipur_ticket.display_reference in page
    assert bastar_ticket.display_reference not in page


def test_an_official_of_raipur_cannot_open_or_work_on_a_bastar_ticket(raipur_desk, bastar_ticket):
    response = raipur_desk.get(f"{QUEUE}{bastar_ticket.pk}/change/")
    assert response.status_code in (302, 404)
    assert "Bastar problem" not in response.content.decode()
    assert _work(raipur_desk, bastar_ticket, "reply", text="Hello").status_code == 404
    assert not bastar_ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_a_ticket_about_a_bastar_registration_is_bastars(
    raipur, bastar_village, bastar_helpdesk, client
):
    registration = factories.make_registration(locality=bastar_village)
    ticket = make_ticket(district=raipur, registration=registration)
    client.force_login(bastar_helpdesk)
    assert ticket.display_reference in client.get(QUEUE).content.decode()


def test_the_state_administrator_sees_every_district(
    client, state_admin, raipur_ticket, bastar_ticket
):
    client.force_login(state_admin)
    page = client.get(QUEUE).content.decode()
    assert raipur_ticket.display_reference in page
    assert bastar_ticket.display_reference in page


def test_the_queue_is_oldest_first_with_overdue_tickets_highlighted(raipur_desk, raipur):
    old = make_ticket(district=raipur, mobile="+919811111111")
    Ticket.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=6),
        respond_by=timezone.now() - datetime.timedelta(hours=2),
    )
    new = make_ticket(district=raipur, mobile="+919822222222")
    page = raipur_desk.get(QUEUE).content.decode()
    assert page.index(old.display_reference) < page.index(new.display_reference)
    assert page.count('class="sla-overdue"') == 1
    assert "******1111" in page and "+919811111111" not in page
    overdue = raipur_desk.get(QUEUE + "?queue=overdue").content.decode()
    assert old.display_reference in overdue and new.display_reference not in overdue


def test_the_queue_page_takes_a_bounded_number_of_queries(
    raipur_desk, raipur, django_assert_max_num_queries
):
    for n in range(15):
        make_ticket(district=raipur, mobile=f"+9198000000{n:02d}")
    # Fixed cost (session, user, groups, districts, filters); no query per row.
    with django_assert_max_num_queries(20):
        assert raipur_desk.get(QUEUE).status_code == 200


def test_an_operator_assigns_replies_resolves_and_reopens(
    raipur_desk, raipur_helpdesk, raipur_ticket
):
    _work(raipur_desk, raipur_ticket, "assign")
    _work(raipur_desk, raipur_ticket, "reply", text="We have sent the code again.")
    raipur_ticket.refresh_from_db()
    assert raipur_ticket.assigned_to == raipur_helpdesk
    assert raipur_ticket.status == Ticket.Status.ANSWERED
    assert raipur_ticket.first_response_at is not None
    sms = OutboundSms.objects.get(kind="helpdesk_reply")
    assert sms.to == str(raipur_ticket.mobile)
    assert "We have sent the code again." in sms.text
    _work(raipur_desk, raipur_ticket, "resolve", text="Solved on the phone.")
    raipur_ticket.refresh_from_db()
    assert raipur_ticket.status == Ticket.Status.RESOLVED
    _work(raipur_desk, raipur_ticket, "reopen", text="Called again.")
    raipur_ticket.refresh_from_db()
    assert raipur_ticket.status == Ticket.Status.OPEN
    kinds = list(raipur_ticket.events.values_list("kind", "by__username"))
    assert kinds == [
        ("raised", None),
        ("assigned", "raipur-official"),
        ("reply", "raipur-official"),
        ("resolved", "raipur-official"),
        ("reopened", "raipur-official"),
    ]


def test_an_empty_reply_is_refused_with_a_message(raipur_desk, raipur_ticket):
    response = _work(raipur_desk, raipur_ticket, "reply", text="  ")
    page = raipur_desk.get(response.url).content.decode()
    assert "Write the reply first" in page
    assert not OutboundSms.objects.filter(kind="helpdesk_reply").exists()


def test_the_ticket_page_links_to_its_registration(raipur_desk, raipur_village):
    registration = factories.make_registration(locality=raipur_village)
    ticket = make_ticket(registration=registration)
    page = raipur_desk.get(f"{QUEUE}{ticket.pk}/change/").content.decode()
    link = f'href="/admin/registrations/registration/{registration.pk}/change/?ticket='
    assert link + ticket.display_reference in page
    assert "Send reply" in page


def test_the_ticket_page_shows_the_mobile_masked(raipur_desk, raipur_ticket):
    page = raipur_desk.get(f"{QUEUE}{raipur_ticket.pk}/change/").content.decode()
    assert "9812345678" not in page
    assert "******5678" in page
