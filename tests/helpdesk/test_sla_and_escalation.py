"""The SLA clock and escalation on a fixed clock: a ticket raised at 10:00."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from helpdesk import services, tasks
from helpdesk.models import Ticket, TicketEvent

from .conftest import make_ticket

pytestmark = pytest.mark.django_db

RAISED = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)


def at(hours: float, minutes: int = 0) -> datetime.datetime:
    return RAISED + datetime.timedelta(hours=hours, minutes=minutes)


@pytest.fixture(autouse=True)
def _round_the_clock(settings):
    """These tests count hours around the clock; the working day has its own
    tests in test_working_hours.py."""
    settings.HELPDESK_WORKING_HOURS = (0, 24 * 60)


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() fixed at `clock.now`; tests move it forward."""

    class Clock:
        now = RAISED

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def ticket(clock, raipur) -> Ticket:
    return make_ticket(district=raipur)


def _escalations(ticket: Ticket) -> list[str]:
    return list(
        ticket.events.filter(kind=TicketEvent.Kind.ESCALATED).values_list("text", flat=True)
    )


def test_the_clock_gives_4_hours_to_answer_and_48_to_resolve(ticket):
    assert ticket.respond_by == at(4)
    assert ticket.resolve_by == at(48)


def test_the_clock_follows_the_settings(clock, raipur, settings):
    settings.HELPDESK_FIRST_RESPONSE_HOURS = 1
    settings.HELPDESK_RESOLUTION_HOURS = 8
    ticket = make_ticket(district=raipur)
    assert (ticket.respond_by, ticket.resolve_by) == (at(1), at(8))


def test_an_unanswered_ticket_is_not_escalated_before_its_time(ticket, clock):
    clock.now = at(3, 59)
    assert services.escalate_overdue() == 0
    assert not Ticket.objects.overdue(clock.now).exists()


def test_an_unanswered_ticket_is_escalated_to_the_state_administrators_once(
    ticket, clock, state_admin, django_capture_on_commit_callbacks
):
    clock.now = at(4, 1)
    assert Ticket.objects.overdue(clock.now).get() == ticket
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_overdue() == 1
    ticket.refresh_from_db()
    assert ticket.escalated_at == at(4, 1)
    assert _escalations(ticket) == ["No first answer within the time allowed."]
    assert mail.outbox[0].to == ["state@cg.example"]
    assert ticket.display_reference in mail.outbox[0].subject
    clock.now = at(5)
    assert tasks.escalate_overdue() == 0
    assert len(_escalations(ticket)) == 1


def test_an_answered_ticket_is_escalated_when_it_is_not_resolved_in_time(
    ticket, clock, raipur_official
):
    clock.now = at(1)
    services.reply(ticket=ticket, by=raipur_official, text="We are looking into it.")
    clock.now = at(47, 59)
    assert services.escalate_overdue() == 0
    clock.now = at(48, 1)
    assert services.escalate_overdue() == 1
    assert _escalations(ticket) == ["Not resolved within the time allowed."]
    assert services.escalate_overdue() == 0


def test_a_late_first_answer_and_a_late_resolution_are_two_escalations(ticket, clock):
    clock.now = at(5)
    services.escalate_overdue()
    clock.now = at(49)
    services.escalate_overdue()
    assert len(_escalations(ticket)) == 2


def test_a_resolved_ticket_is_never_escalated(ticket, clock, raipur_official):
    clock.now = at(2)
    services.resolve(ticket=ticket, by=raipur_official)
    clock.now = at(100)
    assert services.escalate_overdue() == 0
    assert not Ticket.objects.overdue(clock.now).exists()


def test_reopening_starts_a_fresh_clock(ticket, clock, raipur_official):
    clock.now = at(2)
    services.resolve(ticket=ticket, by=raipur_official)
    clock.now = at(60)
    services.reopen(ticket=ticket, by=raipur_official, reason="The citizen called again.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert (ticket.respond_by, ticket.resolve_by) == (at(64), at(108))
    clock.now = at(64, 1)
    assert services.escalate_overdue() == 1


def test_the_periodic_task_is_scheduled(settings):
    names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert tasks.escalate_overdue.name in names
