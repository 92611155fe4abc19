"""Free text never stores a whole Aadhaar number: a citizen's ticket, the
help desk's replies and a registration's address keep XXXX XXXX 1234.
Which 12 digits are an Aadhaar number is python-stdnum's call."""

import pytest
from django.db import connection
from stdnum import verhoeff
from stdnum.in_ import aadhaar

from helpdesk import services
from helpdesk.models import Ticket, TicketEvent
from registrations.models import Registration
from registrations.services import register_person
from registrations.validators import mask_aadhaar_numbers
from teeka.models import OutboundSms
from tests import factories
from tests.registrations.helpers import details

from .conftest import make_ticket

pytestmark = pytest.mark.django_db

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
BODY = "49273501841"
NUMBER = BODY + verhoeff.calc_check_digit(BODY)


def test_the_number_is_one_that_stdnum_accepts():
    assert aadhaar.is_valid(NUMBER)


@pytest.mark.parametrize(
    "written",
    [
        NUMBER,
        f"{NUMBER[:4]} {NUMBER[4:8]} {NUMBER[8:]}",
        f"{NUMBER[:4]}-{NUMBER[4:8]}-{NUMBER[8:]}",
        NUMBER.translate(DEVANAGARI),
        f"{NUMBER[:4]} {NUMBER[4:8]} {NUMBER[8:]}".translate(DEVANAGARI),
    ],
)
def test_an_aadhaar_number_in_any_digits_and_grouping_is_masked(written):
    text = f"मेरा आधार {written} है, please check."
    assert mask_aadhaar_numbers(text) == f"मेरा आधार XXXX XXXX {NUMBER[-4:]} है, please check."


def test_other_numbers_stay_as_written():
    wrong = NUMBER[:-1] + str((int(NUMBER[-1]) + 1) % 10)
    assert not aadhaar.is_valid(wrong)
    for text in [f"code {wrong}", f"account 99{NUMBER}", "mobile 9876543210, slot 2021"]:
        assert mask_aadhaar_numbers(text) == text


def _sql(query: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def test_a_ticket_raised_on_the_help_page_keeps_no_whole_aadhaar_number(client, raipur):
    typed = f"Someone registered with my Aadhaar {NUMBER[:4]} {NUMBER[4:8]} {NUMBER[8:]}"
    client.post(
        "/help/new/",
        {
            "mobile": "९८१२३ ४५६७८",
            "category": "misused_id",
            "registration_reference": "",
            "district": raipur.pk,
            "description": typed.translate(DEVANAGARI),
        },
    )
    ticket = Ticket.objects.get()
    assert str(ticket.mobile) == "+919812345678"
    assert f"XXXX XXXX {NUMBER[-4:]}" in ticket.description
    stored = _sql("SELECT description FROM helpdesk_ticket", [])
    assert NUMBER[4:8] not in stored and NUMBER.translate(DEVANAGARI)[4:8] not in stored


def test_the_help_desks_reply_and_its_sms_keep_no_whole_aadhaar_number(raipur, raipur_official):
    ticket = services.raise_ticket(
        mobile="+919812345678",
        category="other",
        description="Please help",
        language="en",
        district=raipur,
    )
    services.reply(ticket=ticket, by=raipur_official, text=f"Your Aadhaar {NUMBER} is on file.")
    event = TicketEvent.objects.get(kind=TicketEvent.Kind.REPLY)
    sms = OutboundSms.objects.get(kind="helpdesk_reply")
    for text in (event.text, sms.text):
        assert NUMBER not in text and f"XXXX XXXX {NUMBER[-4:]}" in text


def test_a_registrations_address_keeps_no_whole_aadhaar_number(raipur_village):
    person = register_person(
        account=factories.make_account(),
        details=details(raipur_village, address_line=f"House 4, Aadhaar {NUMBER}"),
    )
    stored = _sql("SELECT address_line FROM registrations_registration WHERE id = %s", [person.pk])
    assert stored == f"House 4, Aadhaar XXXX XXXX {NUMBER[-4:]}"
    assert Registration.objects.get().address_line == stored


def test_the_help_desk_finds_a_ticket_by_a_mobile_typed_in_devanagari(
    client, raipur, raipur_helpdesk
):
    ticket = make_ticket(district=raipur)
    client.force_login(raipur_helpdesk)
    page = client.get("/admin/helpdesk/ticket/", {"q": "९८१२३ ४५६७८", "queue": "all"})
    assert [t.pk for t in page.context["cl"].result_list] == [ticket.pk]
