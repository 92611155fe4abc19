"""Ticket status by ticket reference plus the mobile's one-time code."""

import re

import pytest

from helpdesk import services
from teeka.sms import read_file_outbox

from .conftest import make_ticket

pytestmark = pytest.mark.django_db

MOBILE = "+919812345678"


def _last_code() -> str:
    return re.search(r"\b(\d{6})\b", read_file_outbox()[-1]["text"]).group(1)


@pytest.fixture
def answered(raipur, raipur_official):
    ticket = make_ticket(district=raipur, mobile=MOBILE)
    services.reply(
        ticket=ticket, by=raipur_official, text="Your code was sent again; please check."
    )
    return ticket


def _ask(client, ticket, mobile="98123 45678"):
    return client.post("/help/status/", {"reference": ticket.display_reference, "mobile": mobile})


def test_the_citizen_sees_the_reply_after_entering_the_code(client, answered):
    assert _ask(client, answered).url == "/help/status/code/"
    assert read_file_outbox()[-1]["to"] == MOBILE
    response = client.post("/help/status/code/", {"code": _last_code()}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/help/tickets/{answered.reference}/"
    assert "Your code was sent again; please check." in page
    assert "Answered" in page


def test_the_ticket_stays_hidden_without_the_code(client, answered):
    assert client.get(f"/help/tickets/{answered.reference}/").status_code == 404
    _ask(client, answered)
    assert client.get(f"/help/tickets/{answered.reference}/").status_code == 404


def test_a_wrong_code_is_refused_with_the_reason(client, answered):
    _ask(client, answered)
    wrong = "000000" if _last_code() != "000000" else "111111"
    response = client.post("/help/status/code/", {"code": wrong})
    assert "That code is not right." in response.content.decode()
    assert client.get(f"/help/tickets/{answered.reference}/").status_code == 404


def test_another_mobile_cannot_ask_for_the_ticket(client, answered):
    response = _ask(client, answered, mobile="9898989898")
    assert "We have no ticket with this reference for this mobile number." in (
        response.content.decode()
    )
    assert read_file_outbox() == []


def test_a_mistyped_reference_gets_a_clear_message(client, answered):
    response = client.post("/help/status/", {"reference": "T-123", "mobile": "9812345678"})
    assert "This is not a ticket reference." in response.content.decode()


def test_codes_are_limited_per_mobile(client, answered):
    for _ in range(3):
        _ask(client, answered)
    response = _ask(client, answered)
    assert "We have already sent 3 codes to this number." in response.content.decode()


def test_a_verified_mobile_sees_its_other_tickets_without_a_new_code(client, answered, raipur):
    _ask(client, answered)
    client.post("/help/status/code/", {"code": _last_code()})
    other = make_ticket(district=raipur, mobile=MOBILE)
    sent = len(read_file_outbox())
    assert _ask(client, other).url == f"/help/tickets/{other.reference}/"
    assert len(read_file_outbox()) == sent
    assert client.get(f"/help/tickets/{other.reference}/").status_code == 200
