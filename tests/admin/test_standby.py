"""Standby: doses that would be wasted go to the nearest waiting people, in
queue order, as many as the doses plus the session's margin; the first to come
are vaccinated as standby, the others keep their place. Followed through the
vaccinator's check-in pages and read back with SQL."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from districts import roles
from registrations.models import Registration
from slots.models import Session, StandbyCall
from slots.services import call_standby
from teeka.models import OutboundSms

from .. import factories
from .conftest import staff_user

pytestmark = pytest.mark.django_db

START = timezone.now() - datetime.timedelta(days=30)


def _waiting(locality, minutes: int, **fields) -> Registration:
    fields.setdefault("account", factories.make_account(language="hi"))
    fields.setdefault("birth_year", timezone.localdate().year - 30)
    return factories.make_registration(
        locality=locality, queue_at=START + datetime.timedelta(minutes=minutes), **fields
    )


@pytest.fixture
def scene(raipur, raipur_block, raipur_town, bastar_village, role_groups):
    home, neighbour = raipur_block.localities.order_by("pk")[:2]
    centre = factories.make_centre(locality=home, name="PHC Home")
    session = factories.make_session(
        centre=centre, days_ahead=0, capacity=10, min_age=18, max_age=44, standby_margin=2
    )
    vaccinator = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    centre.staff.add(vaccinator)
    people = {
        "far": _waiting(factories.first_locality(raipur_town), 1),
        "block": _waiting(neighbour, 2),
        "home": _waiting(home, 3),
        "too old": _waiting(home, 0, birth_year=timezone.localdate().year - 70),
        "paused": _waiting(home, 0, status=Registration.Status.PAUSED),
        "no mobile": _waiting(home, 0, account=None),
        "other district": _waiting(bastar_village, 0),
    }
    return session, vaccinator, people


def _called(session) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registration_id FROM slots_standbycall WHERE session_id = %s ORDER BY id",
            [session.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def _status(registration) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM registrations_registration WHERE id = %s", [registration.pk]
        )
        return cursor.fetchone()[0]


def test_standby_texts_the_nearest_eligible_in_queue_order_with_the_margin(client, scene):
    session, vaccinator, people = scene
    client.force_login(vaccinator)
    page = client.post(
        reverse("checkin:call_standby", args=[session.pk]), {"doses": 1}, follow=True
    ).content.decode()
    assert "3 people texted" in page
    # The village first, then the block, then the district: 1 dose + 2 margin.
    assert _called(session) == [people["home"].pk, people["block"].pk, people["far"].pk]
    texts = OutboundSms.objects.filter(kind="standby").values_list("text", flat=True)
    assert len(texts) == 3 and all("PHC Home" in t and "कतार" in t for t in texts), list(texts)
    # Called again: nobody is texted twice.
    client.post(reverse("checkin:call_standby", args=[session.pk]), {"doses": 1})
    assert len(_called(session)) == 3


def test_the_first_to_come_are_vaccinated_the_others_keep_their_place(client, scene):
    session, vaccinator, people = scene
    client.force_login(vaccinator)
    client.post(reverse("checkin:call_standby", args=[session.pk]), {"doses": 1})
    first, second = people["block"], people["home"]
    for person in (first, second):
        found = client.post(reverse("checkin:home"), {"reference": person.reference})
        call = StandbyCall.objects.get(session=session, registration=person)
        assert found.url == reverse("checkin:standby", args=[call.pk])
        client.post(found.url, {"id_seen": "on", "batch_number": "4121Z012"})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.registration_id, a.status FROM slots_appointment a"
            " JOIN slots_standbycall c ON c.appointment_id = a.id WHERE c.session_id = %s",
            [session.pk],
        )
        assert cursor.fetchall() == [(first.pk, "attended")]
        cursor.execute("SELECT capacity, booked FROM slots_session WHERE id = %s", [session.pk])
        assert cursor.fetchone() == (11, 1)
    assert _status(second) == "waiting"
    page = client.get(reverse("checkin:session", args=[session.pk])).content.decode()
    assert f"Standby dose recorded for {first.name}." in page
    assert "All standby doses are taken; the person keeps their place in the queue." in page


def test_a_reference_texted_for_another_centre_is_not_found_here(client, scene, raipur_village):
    session, _vaccinator, people = scene
    other = staff_user("vax-2", roles.VACCINATOR, session.district, is_staff=False)
    factories.make_centre(locality=raipur_village, name="Elsewhere").staff.add(other)
    call_standby(session=session, doses=1, by=other)
    client.force_login(other)
    found = client.post(reverse("checkin:home"), {"reference": people["home"].reference})
    assert found.status_code == 200 and "Not at your centre today." in found.content.decode()
    assert Session.objects.get(pk=session.pk).capacity == 10


def test_the_standby_page_says_not_to_open_a_vial_for_too_few(client, scene):
    session, vaccinator, people = scene
    client.force_login(vaccinator)
    client.post(reverse("checkin:call_standby", args=[session.pk]), {"doses": 1})
    call = StandbyCall.objects.get(session=session, registration=people["home"])
    page = client.get(reverse("checkin:standby", args=[call.pk])).content.decode()
    # No vial open, and 1 dose offered: a new vial of 10 would waste 9.
    assert "Do not open one; tell the person the doses are taken." in page
    client.post(reverse("checkin:open_vial", args=[session.pk]))
    page = client.get(reverse("checkin:standby", args=[call.pk])).content.decode()
    assert "Do not open one" not in page
