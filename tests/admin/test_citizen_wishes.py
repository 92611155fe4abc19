"""Officials and the help desk meet the citizen's own choices: a manual allot
warns and asks before going against them; the help desk resumes a pause."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from districts import roles
from registrations.models import Registration
from slots.models import Appointment
from slots.services import cancel_for_another_date, pause_registration

from .. import factories
from .conftest import staff_user

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:registrations_registration_changelist"


def _allot(client, person: Registration, session, **extra):
    return client.post(
        reverse(CHANGELIST),
        {
            "action": "allot_to_session",
            "_selected_action": [person.pk],
            "index": 0,
            "apply": "1",
            "session": session.pk,
            "reason": "Came to the desk",
            **extra,
        },
    )


@pytest.fixture
def gave_up(raipur_village):
    person = factories.make_registration(locality=raipur_village, account=factories.make_account())
    centre = factories.make_centre(locality=raipur_village)
    session = factories.make_session(centre=centre, capacity=3)
    from slots.services import allot

    appointment = allot(registration=person, session=session, by=None)
    cancel_for_another_date(appointment=appointment, by=None)
    person.refresh_from_db()
    return person, session


def _booked(person: Registration) -> int:
    return Appointment.objects.filter(registration=person, status="booked").count()


def test_allotting_a_given_up_session_asks_first(client, raipur_official, gave_up):
    person, session = gave_up
    client.force_login(raipur_official)
    page = _allot(client, person, session).content.decode()
    assert "cancelled this session to have another date" in page
    assert _booked(person) == 0

    response = _allot(client, person, session, override_wishes="on")
    assert response.status_code == 302
    assert _booked(person) == 1


def test_allotting_a_paused_person_asks_first(client, raipur_official, raipur_village):
    person = factories.make_registration(locality=raipur_village)
    pause_registration(registration=person, by=None)
    session = factories.make_session(centre=factories.make_centre(locality=raipur_village))
    client.force_login(raipur_official)
    assert "has paused their registration" in _allot(client, person, session).content.decode()
    assert _booked(person) == 0
    _allot(client, person, session, override_wishes="on")
    assert _booked(person) == 1


def test_the_help_desk_resumes_a_paused_person(client, raipur, raipur_village, role_groups):
    desk: User = staff_user("desk", roles.HELP_DESK, raipur)
    person = factories.make_registration(locality=raipur_village)
    pause_registration(registration=person, by=None)
    client.force_login(desk)
    client.post(
        reverse(CHANGELIST),
        {"action": "resume_paused", "_selected_action": [person.pk], "index": 0},
    )
    person.refresh_from_db()
    assert person.status == Registration.Status.WAITING
    assert person.history.first().history_user == desk


def test_a_vaccinator_cannot_resume_anyone(client, raipur, raipur_village, role_groups):
    user = staff_user("vaccinator", roles.VACCINATOR, raipur)
    person = factories.make_registration(locality=raipur_village)
    pause_registration(registration=person, by=None)
    client.force_login(user)
    client.post(
        reverse(CHANGELIST),
        {"action": "resume_paused", "_selected_action": [person.pk], "index": 0},
    )
    person.refresh_from_db()
    assert person.status == Registration.Status.PAUSED
