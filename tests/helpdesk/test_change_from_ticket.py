"""A correction made from a ticket: the operator follows the ticket's link to
the registration, changes it, and the ticket and the registration's history
both say so."""

import pytest

from helpdesk.models import TicketEvent
from tests import factories

from .conftest import make_ticket

pytestmark = pytest.mark.django_db


def _form_data(response) -> dict:
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def _change_name(client, url: str, name: str):
    data = _form_data(client.get(url))
    data["name"] = name
    return client.post(url, data)


@pytest.fixture
def person(raipur_village):
    return factories.make_registration(locality=raipur_village, name="Sita Bai")


def test_a_change_made_from_a_ticket_is_noted_on_both(raipur_helpdesk, client, person):
    ticket = make_ticket(registration=person, district=person.district)
    client.force_login(raipur_helpdesk)
    page = client.get(f"/admin/helpdesk/ticket/{ticket.pk}/change/").content.decode()
    url = f"/admin/registrations/registration/{person.pk}/change/?ticket={ticket.display_reference}"
    assert f'href="{url}"' in page
    response = _change_name(client, url, "Sita Sahu")
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.name == "Sita Sahu"
    event = ticket.events.get(kind=TicketEvent.Kind.CHANGED)
    assert event.by == raipur_helpdesk and "name" in event.text.lower()
    latest = person.history.order_by("-history_id").first()
    assert latest.history_change_reason == f"Help-desk ticket {ticket.display_reference}"
    assert (
        "Registration corrected"
        in client.get(f"/admin/helpdesk/ticket/{ticket.pk}/change/").content.decode()
    )


def test_a_plain_change_or_another_persons_ticket_notes_nothing(
    raipur_helpdesk, client, person, raipur_village
):
    someone_else = factories.make_registration(locality=raipur_village)
    other_ticket = make_ticket(registration=someone_else, district=person.district)
    client.force_login(raipur_helpdesk)
    plain = f"/admin/registrations/registration/{person.pk}/change/"
    assert _change_name(client, plain, "Sita Sahu").status_code == 302
    wrong = f"{plain}?ticket={other_ticket.display_reference}"
    assert _change_name(client, wrong, "Sita S.").status_code == 302
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.CHANGED).exists()
