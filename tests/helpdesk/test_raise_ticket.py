import pytest
from django.utils import translation

from helpdesk.models import Ticket, TicketEvent
from teeka.models import OutboundSms
from tests import factories

pytestmark = pytest.mark.django_db


def _payload(home, **overrides) -> dict:
    data = {
        "mobile": "98123 45678",
        "category": "no_sms",
        "registration_reference": "",
        "district": home.pk,
        "description": "The sign-in code never came to my phone.",
    }
    data.update(overrides)
    return data


def test_the_help_page_answers_the_common_questions_in_english_and_hindi(client):
    page = client.get("/help/").content.decode()
    assert "How are slots given out?" in page
    assert "What should I bring to the centre?" in page
    assert "How do I cancel my slot?" in page
    assert "I did not get an SMS. What should I do?" in page
    client.post("/i18n/setlang/", {"language": "hi", "next": "/help/"})
    page = client.get("/help/").content.decode()
    assert 'lang="hi"' in page
    assert "How are slots given out?" not in page
    with translation.override("hi"):
        assert translation.gettext("How are slots given out?") in page


def test_home_page_and_footer_link_to_help(client):
    page = client.get("/").content.decode()
    assert page.count('href="/help/"') == 2


def test_a_citizen_raises_a_ticket_without_signing_in(client, raipur):
    response = client.post("/help/new/", _payload(raipur), follow=True)
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == "/help/new/done/"
    assert ticket.display_reference in response.content.decode()
    assert str(ticket.mobile) == "+919812345678"
    assert ticket.district == raipur
    assert ticket.status == Ticket.Status.OPEN
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.RAISED]


def test_the_ticket_reference_is_sent_by_sms_in_the_citizens_language(client, raipur):
    client.post("/i18n/setlang/", {"language": "hi", "next": "/"})
    client.post("/help/new/", _payload(raipur))
    ticket = Ticket.objects.get()
    sms = OutboundSms.objects.get(kind="helpdesk_ticket_raised")
    assert sms.to == "+919812345678"
    assert ticket.display_reference in sms.text
    assert ticket.language == "hi"
    with translation.override("hi"):
        assert translation.gettext("Teeka help desk") in sms.text or "टीका" in sms.text


def test_a_ticket_about_a_registration_belongs_to_the_registrations_district(
    client, raipur, bastar_village
):
    registration = factories.make_registration(locality=bastar_village)
    data = _payload(raipur, registration_reference=registration.display_reference.lower())
    client.post("/help/new/", data)
    ticket = Ticket.objects.get()
    assert ticket.registration == registration
    assert ticket.district_id == registration.district_id


def test_it_asks_for_a_district_when_there_is_no_registration_reference(client, raipur):
    response = client.post("/help/new/", _payload(raipur, district=""))
    assert "Choose your district, so that the right office sees it." in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_unknown_registration_reference_is_refused_and_the_text_is_kept(client, raipur):
    response = client.post("/help/new/", _payload(raipur, registration_reference="ABC-DEF-GHJ"))
    page = response.content.decode()
    assert "We could not find a registration with this reference." in page
    assert "The sign-in code never came to my phone." in page
    assert not Ticket.objects.exists()


def test_a_wrong_mobile_number_is_refused_with_a_clear_message(client, raipur):
    response = client.post("/help/new/", _payload(raipur, mobile="12345"))
    assert "10-digit mobile number" in response.content.decode()
    assert not Ticket.objects.exists()


def test_one_mobile_may_raise_only_a_few_tickets_a_day(client, raipur, settings):
    settings.HELPDESK_TICKETS_PER_MOBILE_PER_DAY = 2
    for _ in range(2):
        assert client.post("/help/new/", _payload(raipur)).status_code == 302
    response = client.post("/help/new/", _payload(raipur, description="A third try, still here."))
    page = response.content.decode()
    assert "This mobile number has already raised 2 tickets today." in page
    assert "A third try, still here." in page
    assert Ticket.objects.count() == 2
    # Another mobile on the same network is still welcome.
    assert client.post("/help/new/", _payload(raipur, mobile="9812345679")).status_code == 302


def test_one_network_may_raise_only_a_few_tickets_an_hour(client, raipur, settings):
    settings.HELPDESK_TICKETS_PER_IP_PER_HOUR = 2
    for n in range(2):
        assert (
            client.post("/help/new/", _payload(raipur, mobile=f"981234567{n}")).status_code == 302
        )
    response = client.post("/help/new/", _payload(raipur, mobile="9812345677"))
    assert "Too many tickets came from your network" in response.content.decode()
    assert Ticket.objects.count() == 2


def test_a_form_with_mistakes_does_not_use_up_the_allowance(client, raipur, settings):
    settings.HELPDESK_TICKETS_PER_MOBILE_PER_DAY = 1
    client.post("/help/new/", _payload(raipur, district=""))
    assert client.post("/help/new/", _payload(raipur)).status_code == 302


def test_behind_our_proxy_the_network_is_the_forwarded_address(client, raipur, settings):
    # nginx in front: REMOTE_ADDR is nginx, the caller is in X-Forwarded-For.
    settings.TEEKA_PROXY_COUNT = 1
    settings.HELPDESK_TICKETS_PER_IP_PER_HOUR = 1

    def raise_from(address: str, mobile: str):
        payload = _payload(raipur, mobile=mobile)
        return client.post("/help/new/", payload, HTTP_X_FORWARDED_FOR=address)

    assert raise_from("203.0.113.7", "9812345670").status_code == 302
    assert raise_from("198.51.100.9", "9812345671").status_code == 302
    refused = raise_from("203.0.113.7", "9812345672")
    assert "Too many tickets came from your network" in refused.content.decode()
    assert Ticket.objects.count() == 2
