"""The help desk's queue and ticket pages read in Hindi for an operator who
picks it: the SLA clock's units too (Django's own Hindi leaves them empty)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from helpdesk.models import Ticket

from .conftest import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_afterwards():
    with translation.override("en"):
        yield


@pytest.fixture
def desk_in_hindi(client, raipur_helpdesk):
    client.force_login(raipur_helpdesk)
    client.post(reverse("set_language"), {"language": "hi", "next": "/"})
    return client


def test_the_sla_clock_reads_in_hindi(desk_in_hindi, raipur):
    soon = make_ticket(district=raipur, mobile="+919811111111")
    late = make_ticket(district=raipur, mobile="+919822222222")
    now = timezone.now()
    Ticket.objects.filter(pk=soon.pk).update(
        respond_by=now + datetime.timedelta(hours=3, minutes=30)
    )
    Ticket.objects.filter(pk=late.pk).update(
        created_at=now - datetime.timedelta(hours=5),
        respond_by=now - datetime.timedelta(minutes=50),
    )
    # Django puts a no-break space between a number and its unit.
    page = desk_in_hindi.get("/admin/helpdesk/ticket/").content.decode().replace("\xa0", " ")
    assert "पहला जवाब 3 घंटे में देना है" in page
    assert "पहला जवाब में 50 मिनट की देरी" in page
    rows = re.sub(r"<[^>]+>", " ", page.split("<tbody>")[1].split("</tbody>")[0])
    for english in ("hour", "minute", "due", "overdue"):
        assert english not in rows, english


def test_the_ticket_page_reads_in_hindi(desk_in_hindi, raipur):
    ticket = make_ticket(district=raipur)
    page = desk_in_hindi.get(f"/admin/helpdesk/ticket/{ticket.pk}/change/").content.decode()
    content = page.split('id="content"')[1].split(">", 1)[1].replace(ticket.display_reference, "")
    content = re.sub(r"<script.*?</script>", "", content, flags=re.S)
    words = set(re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", " ", content)))
    # What the citizen typed stays as typed; everything else is Hindi.
    assert words <= {"My", "slip", "shows", "the", "wrong", "centre", "SMS"}, words
    assert f"{ticket.display_reference}: टिकट दर्ज" in page
