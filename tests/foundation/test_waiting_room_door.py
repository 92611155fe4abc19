"""The waiting room's door in front of Django (teeka/door.py), driven as
gunicorn drives the application: a WSGI call per request, with a browser's
cookies. People wait in the order they came and are let in to the page they
asked for; a signed-in person walks through; the waiting page costs no
database query and carries every page's security headers; with Redis away
nobody gets an error page. And a person whose page the server is slow to
make keeps their place while it works."""

import io
import re
import threading
import time
from http.cookies import SimpleCookie

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from teeka import waiting_room
from teeka.door import WaitingRoomDoor
from teeka.middleware import WaitingRoomMiddleware
from tests.registrations.helpers import sign_in

pytestmark = pytest.mark.django_db

HOME = "/"
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture
def door():
    """The door around Django's own WSGI handler, as teeka/wsgi.py builds it."""
    return WaitingRoomDoor(WSGIHandler())


class Browser:
    """One person's browser: their cookies, and the last answer."""

    def __init__(self, application, language: str = "en"):
        self.application, self.language = application, language
        self.cookies: dict[str, str] = {}

    def get(self, path: str, **headers: str) -> "Browser":
        environ = {
            **{"HTTP_" + name.upper(): value for name, value in headers.items()},
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "HTTP_ACCEPT_LANGUAGE": self.language,
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
        }
        answer: dict = {}

        def start_response(status, headers):
            answer["status"], answer["headers"] = int(status.split()[0]), headers

        # Inside the test's transaction Django must not close the connection
        # at a request's start or end (its test client does the same).
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            body = self.application(environ, start_response)
            self.body = b"".join(body).decode()
            getattr(body, "close", lambda: None)()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        self.status = answer["status"]
        self.headers = {}
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
            else:
                self.headers[name] = value
        return self

    @property
    def waiting(self) -> bool:
        return self.status == 200 and 'http-equiv="refresh"' in self.body


def _inside(door, count: int) -> list[Browser]:
    people = [Browser(door) for _ in range(count)]
    for person in people:
        assert not person.get(HOME).waiting
    return people


def test_people_wait_in_the_order_they_came_and_come_in_to_their_page(room, door):
    _inside(door, 2)
    first, second = Browser(door), Browser(door)
    assert first.get(HOME).waiting and second.get(HOME).waiting
    assert "You are number 2 in line" in second.get("/sign-in/").body
    assert "You are number 1 in line" in first.get(HOME).body

    time.sleep(1.2)  # the two inside leave
    assert first.get(HOME).status == 200 and not first.waiting
    assert "Get your Covid-19 vaccine" in first.body
    page = second.get("/sign-in/")
    assert page.status == 200 and not page.waiting and 'name="mobile"' in page.body
    # Let in, they stay in while newcomers wait.
    assert Browser(door).get(HOME).waiting
    assert not first.get("/sign-in/").waiting


def test_the_waiting_page_makes_no_query_and_has_every_pages_headers(
    room, door, django_assert_num_queries
):
    (inside,) = _inside(door, 1)
    _inside(door, 1)
    english, hindi = Browser(door, "en"), Browser(door, "hi")
    handled = []

    def django_handles(**kwargs):
        handled.append(kwargs["environ"]["PATH_INFO"])

    # Not even Django's request handling: the door answers by itself.
    signals.request_started.connect(django_handles, weak=False)
    try:
        with django_assert_num_queries(0):
            english.get(HOME)
            hindi.get(HOME)
        assert english.waiting and hindi.waiting and handled == []
        page = inside.get(HOME)  # a page Django makes
        assert not page.waiting and handled == [HOME]
    finally:
        signals.request_started.disconnect(django_handles)
    assert english.body.index("You are number") < english.body.index("कतार में आपका नंबर")
    assert hindi.body.index("कतार में आपका नंबर") < hindi.body.index("You are number")
    assert "Do not register twice." in english.body and "दो बार पंजीकरण न करें" in hindi.body
    assert hindi.headers["Content-Language"] == "hi"
    assert "no-store" in english.headers["Cache-Control"]
    # The same security headers as the page Django made.
    for name in SECURITY_HEADERS:
        assert english.headers.get(name) == page.headers[name], name


def test_a_signed_in_person_walks_through_the_door(room, door, account):
    client = Client()
    assert sign_in(client, str(account.mobile)).status_code == 302
    person = Browser(door)
    person.cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    _inside(door, 1)  # with the person signing in, the room is full
    assert Browser(door).get(HOME).waiting

    page = person.get(reverse("registrations:account"))
    assert page.status == 200 and not page.waiting
    assert not person.get(HOME).waiting


def test_only_the_door_pools_own_word_lets_a_first_visit_in(room, door):
    _inside(door, 2)
    # nginx passes on the door pool's word that it let a ticket in
    # (X-Teeka-Entered): one made up, or an old one, is not that word.
    made_up = f"{10**15}:a:{int(time.time())}:not-our-signature"
    assert Browser(door).get(HOME, x_teeka_entered=made_up).waiting
    word = waiting_room.sign_pass(10**15, admitted=True)
    let_in = Browser(door).get(HOME, x_teeka_entered=word)
    assert let_in.status == 200 and not let_in.waiting
    assert "Get your Covid-19 vaccine" in let_in.body
    assert re.match(rf"{10**15}:a:", let_in.cookies[waiting_room.COOKIE])


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_with_redis_away_the_door_answers_every_visitor(room, door, fault):
    inside = _inside(door, 2)
    room.freeze() if fault == "frozen" else room.stop()
    # The process lets one new person in per idle period on its own; the
    # next waits on a page without a number; those inside stay in.
    assert not Browser(door).get(HOME).waiting
    later = Browser(door).get(HOME)
    assert later.waiting and "We cannot count the line just now" in later.body
    for person in inside:
        assert not person.get("/sign-in/").waiting


def test_a_person_whose_page_is_slow_keeps_their_place(room, settings):
    settings.WAITING_ROOM_IDLE_SECONDS = 2  # room for a slow test machine
    slow, other = Client(), Client()
    for client in (slow, other):
        assert b'http-equiv="refresh"' not in client.get(HOME).content
    # The server takes longer than the idle time (2 s) over slow's next page.
    started, finish = threading.Event(), threading.Event()

    def slow_view(request):
        started.set()
        finish.wait(10)
        return HttpResponse("made at last")

    request = RequestFactory().get(HOME)
    request.COOKIES = {name: morsel.value for name, morsel in slow.cookies.items()}
    answer = {}
    worker = threading.Thread(
        target=lambda: answer.update(page=WaitingRoomMiddleware(slow_view)(request))
    )
    worker.start()
    try:
        started.wait(5)
        time.sleep(2.5)
        # `other` stopped counting and a newcomer takes that place, but slow's
        # place is still slow's: the next newcomer waits.
        assert b'http-equiv="refresh"' not in Client().get(HOME).content
        assert b'http-equiv="refresh"' in Client().get(HOME).content
    finally:
        finish.set()
        worker.join()
    assert answer["page"].content == b"made at last"
