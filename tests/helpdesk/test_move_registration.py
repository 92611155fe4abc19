""" "Someone registered with my ID": the registration goes to the rightful
mobile, keeping its place in the queue, recorded with the reason."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from helpdesk.models import TicketEvent
from helpdesk.services import HelpdeskError, move_registration_to_mobile
from registrations.models import Account, Registration
from teeka.models import OutboundSms
from tests import factories

from .conftest import make_ticket

pytestmark = pytest.mark.django_db

RIGHTFUL = "+919700000001"
REASON = "Checked the Aadhaar card at the desk; the other mobile belongs to a neighbour."


@pytest.fixture
def misused(raipur_village):
    """A registration made by someone else, on their mobile, weeks ago."""
    wrong = factories.make_account("+919600000009")
    registered = timezone.now() - datetime.timedelta(days=20)
    return factories.make_registration(
        locality=raipur_village, account=wrong, registered_at=registered, queue_at=registered
    )


def test_it_moves_the_registration_to_a_new_account_keeping_the_queue_place(
    misused, raipur_helpdesk
):
    before = (misused.registered_at, misused.queue_at, misused.reference, misused.status)
    moved = move_registration_to_mobile(
        registration=misused, mobile=RIGHTFUL, by=raipur_helpdesk, reason=REASON
    )
    moved.refresh_from_db()
    assert str(moved.account.mobile) == RIGHTFUL
    assert moved.seat == 1
    assert (moved.registered_at, moved.queue_at, moved.reference, moved.status) == before
    sms = OutboundSms.objects.get(kind="helpdesk_registration_moved")
    assert sms.to == RIGHTFUL and misused.display_reference in sms.text


def test_the_move_is_in_the_history_with_who_and_why(misused, raipur_helpdesk):
    move_registration_to_mobile(
        registration=misused, mobile=RIGHTFUL, by=raipur_helpdesk, reason=REASON
    )
    record = misused.history.latest()
    assert record.history_change_reason == REASON
    assert record.history_user == raipur_helpdesk
    assert str(record.prev_record.account.mobile) == "+919600000009"


def test_it_takes_the_first_free_place_on_an_existing_account(
    misused, raipur_village, raipur_helpdesk
):
    rightful = factories.make_account(RIGHTFUL)
    factories.make_registration(locality=raipur_village, account=rightful, seat=1)
    # Withdrawn: the seat was given up.
    factories.make_registration(
        locality=raipur_village, account=rightful, seat=None, status=Registration.Status.WITHDRAWN
    )
    factories.make_registration(locality=raipur_village, account=rightful, seat=3)
    moved = move_registration_to_mobile(
        registration=misused, mobile=RIGHTFUL, by=raipur_helpdesk, reason=REASON
    )
    assert moved.account == rightful
    assert moved.seat == 2


def test_it_refuses_a_full_account_and_changes_nothing(misused, raipur_village, raipur_helpdesk):
    rightful = factories.make_account(RIGHTFUL)
    for seat in range(1, 5):
        factories.make_registration(locality=raipur_village, account=rightful, seat=seat)
    with pytest.raises(HelpdeskError, match="already has four people"):
        move_registration_to_mobile(
            registration=misused, mobile=RIGHTFUL, by=raipur_helpdesk, reason=REASON
        )
    misused.refresh_from_db()
    assert str(misused.account.mobile) == "+919600000009"


def test_it_refuses_when_the_person_is_already_on_that_mobile(
    misused, raipur_village, raipur_helpdesk
):
    rightful = factories.make_account(RIGHTFUL)
    factories.make_registration(
        locality=raipur_village, account=rightful, name=misused.name, birth_year=misused.birth_year
    )
    with pytest.raises(HelpdeskError, match="already has this person"):
        move_registration_to_mobile(
            registration=misused, mobile=RIGHTFUL, by=raipur_helpdesk, reason=REASON
        )


def test_it_needs_a_reason(misused, raipur_helpdesk):
    with pytest.raises(HelpdeskError, match="Say why"):
        move_registration_to_mobile(
            registration=misused, mobile=RIGHTFUL, by=raipur_helpdesk, reason=" "
        )


def test_the_operator_moves_it_from_the_ticket_and_the_ticket_records_it(
    client, misused, raipur_helpdesk
):
    ticket = make_ticket(registration=misused, mobile=RIGHTFUL, category="misused_id")
    client.force_login(raipur_helpdesk)
    url = f"/admin/helpdesk/ticket/{ticket.pk}/work/move/"
    client.post(url, {"mobile": "97000 00001", "reason": REASON})
    misused.refresh_from_db()
    assert str(misused.account.mobile) == RIGHTFUL
    event = ticket.events.get(kind=TicketEvent.Kind.MOVED)
    assert event.by == raipur_helpdesk and REASON in event.text


def test_a_refused_move_keeps_what_the_operator_typed(client, misused, raipur_helpdesk):
    ticket = make_ticket(registration=misused, mobile=RIGHTFUL, category="misused_id")
    client.force_login(raipur_helpdesk)
    url = f"/admin/helpdesk/ticket/{ticket.pk}/work/move/"
    page = client.post(url, {"mobile": "12345", "reason": REASON}, follow=True)
    text = page.content.decode()
    assert "Please type a 10-digit mobile number" in text
    assert 'value="12345"' in text
    assert f'value="{REASON}"' in text
    misused.refresh_from_db()
    assert str(misused.account.mobile) == "+919600000009"
    # Only once: the next visit shows empty fields again.
    assert 'value="12345"' not in client.get(page.redirect_chain[-1][0]).content.decode()


def test_a_help_desk_official_of_another_district_cannot_move_it(client, misused, bastar_helpdesk):
    ticket = make_ticket(registration=misused, mobile=RIGHTFUL)
    client.force_login(bastar_helpdesk)
    url = f"/admin/helpdesk/ticket/{ticket.pk}/work/move/"
    assert client.post(url, {"mobile": RIGHTFUL, "reason": REASON}).status_code == 404
    misused.refresh_from_db()
    assert str(misused.account.mobile) == "+919600000009"


@pytest.mark.django_db(transaction=True)
def test_two_moves_to_one_mobile_at_once_take_different_places(geography, raipur_village):
    """Two operators move two registrations to the same new mobile at the same
    moment: the account row lock gives them seats 1 and 2, never one seat twice."""
    from django.contrib.auth.models import User

    operator = User.objects.create_user("op", is_staff=True)
    registrations = [
        factories.make_registration(locality=raipur_village, account=factories.make_account())
        for _ in range(2)
    ]
    barrier, errors = threading.Barrier(2), []

    def move(registration):
        try:
            barrier.wait()
            move_registration_to_mobile(
                registration=registration, mobile=RIGHTFUL, by=operator, reason=REASON
            )
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(r,)) for r in registrations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    account = Account.objects.get(mobile=RIGHTFUL)
    assert sorted(account.registrations.values_list("seat", flat=True)) == [1, 2]
