"""What people see of the quotas: the ration card asked when registering (the
citizen's form, an official's paper list), the shares and the rollover on the
rules page, and a person's category and place within it on their page; in
English and Hindi."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from districts import roles
from quotas.models import Policy
from registrations.models import Registration
from slots.models import Appointment
from tests import factories
from tests.admin import imports
from tests.admin.conftest import give_role, staff_user
from tests.admin.test_import import HEADER, aadhaar
from tests.registrations.helpers import form_payload, sign_in
from tests.slots.conftest import allocate

from .conftest import queued, session_18_44

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def ration_cards() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, ration_card FROM registrations_registration")
        return dict(cursor.fetchall())


def test_the_citizen_form_asks_for_the_ration_card(client, raipur_village):
    sign_in(client, "98123 45678")
    url = reverse("registrations:add_person")
    assert 'name="ration_card"' in client.get(url).content.decode()

    missing = form_payload(raipur_village, name="Kamla Bai")
    del missing["ration_card"]
    page = client.post(url, missing).content.decode()
    assert "Choose the type of ration card, or No ration card." in page
    client.post(url, form_payload(raipur_village, name="Kamla Bai", ration_card="antyodaya"))

    assert ration_cards() == {"Kamla Bai": "antyodaya"}


def test_the_form_in_hindi_names_the_cards(client):
    sign_in(client, "98123 45679")
    client.cookies["django_language"] = "hi"
    page = client.get(reverse("registrations:add_person")).content.decode()
    for words in ("राशन कार्ड", "अंत्योदय (AAY)", "गरीबी रेखा से नीचे (बीपीएल)", "कोई राशन कार्ड नहीं"):
        assert words in page


def test_a_paper_list_gives_the_ration_card_in_code_or_in_hindi(
    client, raipur_official, role_groups, raipur_village
):
    give_role(raipur_official, roles.DISTRICT_OFFICIAL)
    client.force_login(raipur_official)
    area = raipur_village.area
    place = f"{area.district.name_en},{area.name_en},{raipur_village.name}"
    header = HEADER.replace("priority,", "priority,ration_card,")
    rows = [
        ("Asha Bai", 1, "bpl"),
        ("Ramesh", 2, "अंत्योदय"),
        ("Old List", 3, ""),
    ]
    text = header + "".join(
        f"{name},F,1990,AADHAAR,{aadhaar(n)},98765000{n:02d},5,{card},{place},2021-05-01\n"
        for name, n, card in rows
    )
    preview = imports.upload(client, text)
    assert imports.confirm(client, preview).context["job"].status == "done"

    assert ration_cards() == {"Asha Bai": "bpl", "Ramesh": "antyodaya", "Old List": ""}

    bad = header + f"Bad Card,F,1990,AADHAAR,{aadhaar(9)},9876500109,5,pink,{place},2021-05-01\n"
    invalid = imports.invalid(imports.upload(client, bad))
    assert "Unknown ration card: use one of antyodaya, bpl, apl, none, or leave it empty." in str(
        invalid[2]["ration_card"]
    )


def test_the_rules_page_explains_the_shares_with_a_worked_example(client, may_2021):
    page = client.get("/how-slots-are-allotted/").content.decode()

    assert "Seats kept for categories of people" in page
    assert "The exact shares are 2, 1.2, 5.2 and 1.6 seats" in page
    assert "So: frontline workers 2, Antyodaya 1, BPL 5, APL 2." in page
    assert "rollover" in page
    # The policy in force, its shares and documents.
    assert "18-44, May 2021 (example)" in page
    assert "<td>BPL ration card holders</td><td>52%</td><td>BPL ration card</td>" in page


def test_the_rules_page_in_hindi_with_the_shares(client, may_2021):
    client.cookies["django_language"] = "hi"
    page = client.get("/how-slots-are-allotted/").content.decode()

    assert "लोगों की श्रेणियों के लिए रखी गई सीटें" in page
    assert "एक हल किया हुआ उदाहरण" in page
    assert "अग्रिम पंक्ति के कार्यकर्ता 2, अंत्योदय 1, बीपीएल 5, एपीएल 2" in page
    assert "<td>अंत्योदय राशन कार्ड धारक</td><td>12%</td>" in page
    assert "The exact shares" not in page


def test_without_an_active_policy_the_rules_page_says_so(client, may_2021):
    Policy.objects.update(active=False)
    page = client.get("/how-slots-are-allotted/").content.decode()
    assert "No category shares are in force now" in page
    assert "18-44, May 2021 (example)" not in page


def _sign_in_as(client, registration: Registration) -> None:
    sign_in(client, str(registration.account.mobile))


def test_a_person_sees_their_category_and_place_within_it(client, places, may_2021):
    # In queue order: B1, A1, B2, N1, B3 (all in one village, age 30); B1,
    # N1 and B3 on one account.
    family = factories.make_account()
    b1 = queued(places, "B", account=family, seat=1)
    queued(places, "A")
    queued(places, "B")
    n1 = queued(places, "N", account=family, seat=2)
    b3 = queued(places, "B", account=family, seat=3)
    with connection.cursor() as cursor:
        # The oracle: BPL card holders ahead of B3 in the same block, by SQL.
        cursor.execute(
            "SELECT count(*) FROM registrations_registration WHERE area_id = %s"
            " AND ration_card = 'bpl' AND priority <> 2 AND status = 'waiting'"
            " AND (priority, queue_at, reference) < (%s, %s, %s)",
            [b3.area_id, b3.priority, b3.queue_at, b3.reference],
        )
        ahead = cursor.fetchone()[0]
    assert ahead == 2

    _sign_in_as(client, b3)
    page = client.get(reverse("registrations:person", args=[b3.reference])).content.decode()
    assert "<strong>BPL ration card holders</strong>: 52% of the seats" in page
    assert f"Number <strong>{ahead + 1}</strong> of this category in the queue of" in page
    assert "Bring this to the centre: BPL ration card." in page

    client.cookies["django_language"] = "hi"
    page = client.get(reverse("registrations:person", args=[b1.reference])).content.decode()
    assert "आपकी श्रेणी" in page
    assert "इस श्रेणी में नंबर <strong>1</strong>" in page
    assert "केंद्र पर यह साथ लाएँ: बीपीएल राशन कार्ड।" in page

    client.cookies["django_language"] = "en"
    page = client.get(reverse("registrations:person", args=[n1.reference])).content.decode()
    assert "You are in none of the categories that seats are kept for." in page


def test_without_a_policy_for_their_age_the_page_shows_no_category(client, places, may_2021):
    older = queued(places, "B", birth_year=1960)  # 66: outside 18-44
    _sign_in_as(client, older)
    page = client.get(reverse("registrations:person", args=[older.reference])).content.decode()
    assert "Your category" not in page


def test_the_dashboard_shows_the_rollover_by_centre_in_a_district(
    client, raipur_official, role_groups, places, may_2021
):
    # Ten seats (2, 1, 5, 2) and no frontline worker: their 2 seats go to BPL.
    for kind in "KBBBBBBBAA":
        queued(places, kind)
    centre = session_18_44(places, capacity=10).centre.name
    allocate(places.home)
    give_role(raipur_official, roles.DISTRICT_OFFICIAL)
    client.force_login(raipur_official)

    page = client.get(reverse("dashboard:dashboard")).content.decode()
    hindi = client.get(reverse("dashboard:dashboard"), HTTP_ACCEPT_LANGUAGE="hi").content
    csv = client.get(reverse("dashboard:export", args=["rollover", "csv"])).content.decode()

    assert "Seats rolled over between categories" in page
    # An official of one district sees it by centre.
    assert f"{centre}: Frontline workers → BPL ration card holders" in page
    assert f"{centre}: Frontline workers → BPL ration card holders,2" in csv
    assert "श्रेणियों के बीच आगे दी गई सीटें" in hindi.decode()
    assert "अग्रिम पंक्ति के कार्यकर्ता → बीपीएल" in hindi.decode()


def test_the_vaccinator_is_told_which_document_to_check(
    client, raipur, role_groups, places, may_2021
):
    # Ten seats (2, 1, 5, 2), no frontline worker: B6 and B7 have frontline seats.
    b = [queued(places, "B") for _ in range(7)]
    for kind in "KAA":
        queued(places, kind)
    session = session_18_44(places, capacity=10, days_ahead=3)
    allocate(places.home)
    vaccinator = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    session.centre.staff.add(vaccinator)
    client.force_login(vaccinator)

    def page(person, language="en") -> str:
        appointment = Appointment.objects.get(registration=person)
        url = reverse("checkin:appointment", args=[appointment.pk])
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert "Check: BPL ration card" in page(b[0])
    assert "केंद्र पर" not in page(b[0])
    assert "जाँचें: बीपीएल राशन कार्ड" in page(b[0], "hi")
    rolled = page(b[6])
    assert "Frontline workers" in rolled
    assert "Rolled over to this person: no document to check." in rolled


def test_a_policy_turned_off_leaves_the_page_at_once(client, places, may_2021):
    # The status pages keep the active policies for a minute; an edit in the
    # admin (a save, as this) empties that copy.
    person = queued(places, "B")
    _sign_in_as(client, person)
    url = reverse("registrations:person", args=[person.reference])
    assert "Your category" in client.get(url).content.decode()
    may_2021.active = False
    may_2021.save()
    assert "Your category" not in client.get(url).content.decode()
