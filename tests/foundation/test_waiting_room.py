"""The waiting room on launch day, with a redis-server of the test's own that
is stopped and frozen: people are let in in the order they came, a person
signed in or signing in is never sent to wait, reloading keeps one's place,
the page costs no database query and speaks Hindi and English, and with
Redis away nobody gets an error page or is locked out."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from tests.faults.conftest import timed
from tests.registrations.helpers import sign_in

pytestmark = pytest.mark.django_db

HOME = "/"


def _waiting(response) -> bool:
    return response.status_code == 200 and b'http-equiv="refresh"' in response.content


def _number(response) -> int:
    """The place in line the page shows, in the visitor's language (English)."""
    assert _waiting(response), response.content[:300]
    return int(re.search(r"You are number (\d+) in line", response.content.decode()).group(1))


def _let_in(client: Client, path: str = HOME):
    response = client.get(path)
    assert response.status_code == 200 and not _waiting(response)
    return response


def _clients(count: int) -> list[Client]:
    clients = [Client() for _ in range(count)]
    for client in clients:
        _let_in(client)
    return clients


def test_people_are_let_in_in_the_order_they_came(room):
    _clients(2)
    first, second, third = Client(), Client(), Client()
    for client in (first, second, third):
        assert _waiting(client.get(HOME))
    # Their pages refresh in the reverse order: the line is by arrival.
    assert [_number(c.get(HOME)) for c in (third, second, first)] == [3, 2, 1]

    time.sleep(1.2)  # the two inside leave: two places free
    # The last to come asks first, and still waits: the places are the
    # first two's (their pages are asking), who come in when they refresh.
    assert _number(third.get(HOME)) == 3
    _let_in(second)
    _let_in(first)
    assert _number(third.get(HOME)) == 1

    time.sleep(1.2)
    _let_in(third)


def test_someone_let_in_stays_in_while_the_line_grows(room):
    inside = _clients(2)
    for _ in range(3):
        assert _waiting(Client().get(HOME))
    for client in inside:
        _let_in(client, reverse("registrations:sign_in"))


def test_reloading_keeps_ones_place(room):
    _clients(2)
    ahead, person = Client(), Client()
    ahead.get(HOME)
    person.get(HOME)
    places = [_number(person.get(HOME)) for _ in range(4)]
    assert places == [2, 2, 2, 2]
    later = Client()
    later.get(HOME)
    assert _number(later.get(HOME)) == 3
    # Another page of the site is the same place in the same line.
    assert _number(person.get(reverse("registrations:sign_in"))) == 2


def test_a_signed_in_person_is_never_sent_to_wait(room, account):
    citizen = Client()
    assert sign_in(citizen, str(account.mobile)).status_code == 302
    signing_in = Client()
    signing_in.post(reverse("registrations:sign_in"), {"mobile": "+919812345678"})
    # Both came in through the room and take its two places: now people wait.
    assert _waiting(Client().get(HOME))

    assert citizen.get(reverse("registrations:account")).status_code == 200
    assert not _waiting(citizen.get(HOME))
    assert not _waiting(citizen.get(reverse("registrations:add_person")))
    page = signing_in.get(reverse("registrations:sign_in_code"))
    assert page.status_code == 200 and not _waiting(page)

    room.stop()  # and with Redis gone: the session is read from the database
    assert citizen.get(reverse("registrations:account")).status_code == 200


def test_the_waiting_page_makes_no_database_query(room, django_assert_num_queries):
    _clients(2)
    person = Client()
    with django_assert_num_queries(0):
        first = person.get(HOME)
        again = person.get(reverse("registrations:sign_in"))
    assert _waiting(first) and _waiting(again)
    assert "no-store" in first["Cache-Control"]


def test_the_waiting_page_speaks_hindi_and_english(room):
    _clients(2)
    english = Client().get(HOME, headers={"accept-language": "en"})
    hindi = Client().get(HOME, headers={"accept-language": "hi"})
    # The visitor's language first, the other one below it.
    text = english.content.decode()
    assert text.index("You are number 1 in line") < text.index("कतार में आपका नंबर 1 है")
    assert 'lang="hi"' in text and "Do not register twice." in text
    text = hindi.content.decode()
    assert '<html lang="hi">' in text
    assert text.index("कतार में आपका नंबर 2 है") < text.index("You are number 2 in line")
    assert "दो बार पंजीकरण न करें" in text


def test_officials_operators_and_the_gateway_never_wait(room):
    _clients(2)
    assert Client().get("/healthz").status_code == 200
    login = Client().get("/admin/login/")
    assert login.status_code == 200 and not _waiting(login)
    assert Client().get("/checkin/").status_code in (200, 302)
    reply = Client().post("/sms/inbound/", "From=9812345678&Body=HAAN", content_type="text/plain")
    assert not _waiting(reply) and reply.status_code in (400, 403)
    assert _waiting(Client().get(HOME))


def test_what_a_person_posts_is_never_lost_to_the_waiting_page(room):
    person = _clients(1)[0]
    _clients(1)
    time.sleep(1.2)  # they stopped counting; new people take the places
    _clients(2)
    response = person.post(reverse("registrations:sign_in"), {"mobile": "+919812345678"})
    assert response.status_code == 302 and response.url == reverse("registrations:sign_in_code")


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_with_redis_away_each_process_lets_people_in_on_its_own(room, fault):
    inside = _clients(2)
    earlier, later = Client(), Client()
    earlier.get(HOME)
    later.get(HOME)
    room.freeze() if fault == "frozen" else room.stop()

    # This process lets one new person in per idle period (the earliest
    # ticket it sees first); the next waits on a page without a number.
    times = []
    for client, let_in in [(earlier, True), (later, False), (Client(), False)]:
        response, took = timed(client.get, HOME)
        times.append(took)
        assert response.status_code == 200 and _waiting(response) != let_in
    assert "We cannot count the line just now" in response.content.decode()
    # People already in stay in.
    for client in inside:
        response, took = timed(client.get, reverse("registrations:sign_in"))
        times.append(took)
        assert response.status_code == 200 and not _waiting(response)
    # A frozen Redis costs one short timeout, then is skipped: nothing hangs.
    assert max(times) < 2.0

    time.sleep(1.2)  # the process's place frees: the earlier of the two waiting
    assert _waiting(Client().get(HOME))
    _let_in(later)


def test_people_who_left_the_line_do_not_keep_those_behind_waiting(room):
    _clients(2)
    left = [Client(), Client()]
    for client in left:  # they come, their page asks once more, and they close it
        client.get(HOME)
        assert _number(client.get(HOME)) <= 2
    person = Client()
    person.get(HOME)
    assert _number(person.get(HOME)) == 3

    time.sleep(1.2)  # the two inside leave: two places free
    # The two ahead were asking a moment ago: their turn is kept a little.
    assert _waiting(person.get(HOME))
    time.sleep(3)  # they have not asked again: the person behind is let in
    _let_in(person)


def _front_leaving(*, until: float) -> list[tuple[int, float, int]]:
    """Two inside leave at 1 s (their places free a second later); the
    front of a line of 14 gives up, one page every 0.7 s (person i asks for
    the last time at 0.7 s x i), while the rest keep asking, until `until`
    s. Returns who was let in: (place in line, when, the first still
    asking then); a person let in asks no more (their places free a second
    later)."""
    step = 0.7
    inside = _clients(2)
    line = [Client() for _ in range(14)]
    for client in line:
        client.get(HOME)
        assert _waiting(client.get(HOME))
    start, let_in = time.monotonic(), []
    while (now := time.monotonic() - start) < until:
        if now < 1.0:
            for client in inside:
                _let_in(client, reverse("registrations:sign_in"))
        inside_now = {i for i, _, _ in let_in}
        asking = [i for i in range(len(line)) if now <= step * i and i not in inside_now]
        for i in asking:
            if not _waiting(line[i].get(HOME)):
                let_in.append((i, now, asking[0]))
        time.sleep(step - (time.monotonic() - start) % step)
    return let_in


def test_a_stream_of_people_leaving_at_the_front_does_not_hold_the_line(room):
    """Launch day's front of the line when people give up as fast as they
    come: each page near the front stops asking in turn, so at every moment
    several earlier tickets asked a moment ago. Their turn is held a little,
    not for as long as the stream lasts: the free places go to pages in
    line still asking."""
    let_in = _front_leaving(until=8)
    # Let in soon after the places freed (the front's turn held about one
    # refresh and a little more), while the front still leaves.
    assert let_in, "nobody was let in while the front of the line kept leaving"
    first, when, earliest_asking = let_in[0]
    assert when < 6.0 and first >= earliest_asking


def test_places_keep_flowing_while_the_front_keeps_leaving(room):
    """Once the front's turn was held and nobody of it came, the places that
    free next go to those asking at once, not after another hold: held anew
    each time the room filled, the room stood empty for its seconds again
    and again (the overload benchmark's run 27)."""
    let_in = _front_leaving(until=9.5)
    times = sorted({round(when, 1) for _, when, _ in let_in})
    assert len(times) >= 2, let_in
    # The first two leave (they ask no more): their places free a second
    # after, and go to the next asking within a step or two.
    assert times[1] - times[0] < 2.6, let_in
