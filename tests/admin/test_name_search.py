"""Officials find people by part of their name, in any case and script, within
their own districts; PostgreSQL answers from the trigram index."""

import pytest
from django.db import connection

from .. import factories

pytestmark = pytest.mark.django_db

URL = "/admin/registrations/registration/"


@pytest.fixture
def people(raipur_village, bastar_village):
    return {
        "kamla": factories.make_registration(locality=raipur_village, name="कमला देवी साहू"),
        "ramesh": factories.make_registration(locality=raipur_village, name="Ramesh Sahu"),
        "bastar": factories.make_registration(locality=bastar_village, name="Ramesh Sahu"),
    }


@pytest.mark.parametrize(
    ("term", "who"),
    [("sahu", {"ramesh"}), ("RAMESH  sahu", {"ramesh"}), ("कमला", {"kamla"}), ("देवी", {"kamla"})],
)
def test_part_of_a_name_finds_the_person_in_the_officials_district(
    client, raipur_official, people, term, who
):
    client.force_login(raipur_official)
    page = client.get(URL, {"q": term}).content.decode()
    for key, person in people.items():
        assert (person.display_reference in page) == (key in who), (term, key)


def test_two_letters_are_not_a_name_search(client, raipur_official, people):
    client.force_login(raipur_official)
    page = client.get(URL, {"q": "Ra"}).content.decode()
    assert people["ramesh"].display_reference not in page


def test_the_name_search_can_use_its_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM registrations_registration"
            " WHERE UPPER(name::text) LIKE UPPER(%s)",
            ["%sahu%"],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "reg_name_trgm" in plan, plan
