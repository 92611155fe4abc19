"""The SLA clock runs only in the help desk's working hours (India time),
worked out by hand: 08:00 to 20:00 every day unless the settings say else."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from helpdesk import services
from teeka.models import OutboundSms
from teeka.settings import env_hours

from .conftest import make_ticket

pytestmark = pytest.mark.django_db

IST = zoneinfo.ZoneInfo("Asia/Kolkata")


def ist(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    # 2026-05-04 is a Monday.
    return datetime.datetime(2026, 5, day, hour, minute, tzinfo=IST)


@pytest.fixture
def raised_at(monkeypatch):
    def _raise(moment, district, **overrides):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return make_ticket(district=district, **overrides)

    return _raise


@pytest.mark.parametrize(
    ("raised", "respond_by", "resolve_by"),
    [
        # In the working day: 4 hours later; 48 working hours are four days of 12.
        (ist(4, 10), ist(4, 14), ist(8, 10)),
        # Late in the day: 2 hours today, 2 tomorrow.
        (ist(4, 18), ist(5, 10), ist(8, 18)),
        # At night: the clock starts when the desk opens (four whole days then).
        (ist(4, 23, 23), ist(5, 12), ist(8, 20)),
        (ist(5, 6, 0), ist(5, 12), ist(8, 20)),
    ],
)
def test_the_clock_counts_only_working_hours(raipur, raised_at, raised, respond_by, resolve_by):
    ticket = raised_at(raised, raipur)
    assert (ticket.respond_by, ticket.resolve_by) == (respond_by, resolve_by)


def test_a_ticket_raised_at_night_is_not_escalated_before_anyone_could_answer(
    raipur, raised_at, monkeypatch
):
    raised_at(ist(4, 23, 23), raipur)
    monkeypatch.setattr(timezone, "now", lambda: ist(5, 3, 24))
    assert services.escalate_overdue() == 0
    monkeypatch.setattr(timezone, "now", lambda: ist(5, 11, 59))
    assert services.escalate_overdue() == 0
    monkeypatch.setattr(timezone, "now", lambda: ist(5, 12, 1))
    assert services.escalate_overdue() == 1


def test_the_working_day_follows_the_settings(raipur, raised_at, settings):
    settings.HELPDESK_WORKING_HOURS = (9 * 60, 17 * 60 + 30)
    settings.HELPDESK_FIRST_RESPONSE_HOURS = 1
    ticket = raised_at(ist(4, 17), raipur)
    assert ticket.respond_by == ist(5, 9, 30)


@pytest.mark.parametrize(
    ("typed", "window"),
    [("08:00-20:00", (480, 1200)), ("00:00-24:00", (0, 1440)), ("9:30-17:00", (570, 1020))],
)
def test_the_setting_is_read_as_a_daily_window(monkeypatch, typed, window):
    monkeypatch.setenv("HELPDESK_WORKING_HOURS", typed)
    assert env_hours("HELPDESK_WORKING_HOURS", "08:00-20:00") == window


@pytest.mark.parametrize("typed", ["8-20", "20:00-08:00", "08:00-25:00", "morning"])
def test_a_malformed_window_refuses_to_start(monkeypatch, typed):
    monkeypatch.setenv("HELPDESK_WORKING_HOURS", typed)
    with pytest.raises(ImproperlyConfigured):
        env_hours("HELPDESK_WORKING_HOURS", "08:00-20:00")


@pytest.mark.parametrize(("language", "due"), [("en", "5 May, 12:00"), ("hi", "5 मई, 12:00")])
def test_the_citizen_is_told_when_the_answer_is_due(raipur, raised_at, language, due):
    raised_at(ist(4, 23, 23), raipur, language=language)
    sms = OutboundSms.objects.get(kind="helpdesk_ticket_raised")
    assert due in sms.text
