"""An official lowers a session's capacity below its bookings on purpose: the
people booked last lose their seat, are moved at once to other sessions by
the engine's rules, and are told by SMS why."""

import pytest
from django.urls import reverse

from districts import roles
from registrations.models import PriorityGroup, Registration
from slots.models import Appointment, Session
from slots.services import AllotmentError, allot, change_capacity, reduce_capacity
from teeka.models import OutboundSms

from ..admin.conftest import give_role, role_groups, staff_user  # noqa: F401 (a fixture)
from .conftest import allocate, person, seat_of, session_at
from .test_concurrency import double_booked, oversold, run_together


@pytest.fixture
def full_session(places):
    """Three people in queue order, all booked (by one run) into one session
    in their own village; one seat free in the neighbouring village."""
    session = session_at(places.home, capacity=3)
    spare = session_at(places.neighbour, capacity=1)
    first = person(places.home, priority=PriorityGroup.HEALTH_WORKER)
    second = person(places.home, priority=PriorityGroup.AGED_60_PLUS)
    third = person(places.home, priority=PriorityGroup.EVERYONE)
    allocate(places.home)
    assert seat_of(first) == seat_of(second) == seat_of(third) == session
    return session, spare, (first, second, third)


@pytest.mark.django_db
def test_the_people_booked_last_move_to_another_session_or_wait_and_are_told_why(
    full_session, raipur_official
):
    session, spare, (first, second, third) = full_session
    OutboundSms.objects.all().delete()
    queue_at = third.queue_at

    summary = reduce_capacity(
        session=session, capacity=1, by=raipur_official, reason="half the vaccine arrived"
    )

    session.refresh_from_db()
    assert (session.capacity, session.booked) == (1, 1)
    # Booked together, so the later in the queue lose their seat first.
    assert seat_of(first) == session
    assert seat_of(second) == spare
    assert seat_of(third) is None
    assert summary.allotted == 1
    third.refresh_from_db()
    assert (third.status, third.queue_at) == (Registration.Status.WAITING, queue_at)
    moved = OutboundSms.objects.get(kind="reallotted")
    assert moved.to == str(second.account.mobile)
    assert "half the vaccine arrived" in moved.text
    told = OutboundSms.objects.get(kind="appointment_cancelled")
    assert told.to == str(third.account.mobile)
    assert "half the vaccine arrived" in told.text
    assert OutboundSms.objects.count() == 2


@pytest.mark.django_db
def test_the_person_allotted_most_recently_loses_the_seat_even_if_ahead_in_the_queue(
    places, raipur_official
):
    session = session_at(places.home, capacity=2)
    early_in_queue = person(places.home, priority=PriorityGroup.HEALTH_WORKER)
    late_in_queue = person(places.home, priority=PriorityGroup.EVERYONE)
    allot(registration=late_in_queue, session=session, by=raipur_official)
    allot(registration=early_in_queue, session=session, by=raipur_official)

    reduce_capacity(session=session, capacity=1, by=raipur_official, reason="fewer vials")

    assert seat_of(late_in_queue) == session
    assert seat_of(early_in_queue) is None
    cancelled = Appointment.objects.get(registration=early_in_queue)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "fewer vials")
    last = session.history.latest()
    assert (last.capacity, last.booked, last.history_user) == (1, 1, raipur_official)
    assert last.history_change_reason == "fewer vials"


@pytest.mark.django_db
def test_a_reduction_that_leaves_every_booking_moves_nobody(full_session, raipur_official):
    session, _, people = full_session
    change_capacity(session=session, capacity=5, by=raipur_official)
    sent = OutboundSms.objects.count()

    summary = reduce_capacity(session=session, capacity=3, by=raipur_official, reason="fewer")

    session.refresh_from_db()
    assert (session.capacity, session.booked) == (3, 3)
    assert all(seat_of(p) == session for p in people)
    assert summary.allotted == 0
    assert OutboundSms.objects.count() == sent


@pytest.mark.django_db
def test_a_negative_capacity_is_refused(full_session, raipur_official):
    session, _, _ = full_session
    with pytest.raises(AllotmentError):
        reduce_capacity(session=session, capacity=-1, by=raipur_official, reason="typo")
    session.refresh_from_db()
    assert (session.capacity, session.booked) == (3, 3)


@pytest.mark.django_db(transaction=True)
def test_a_reduction_racing_officials_and_the_allocator_never_oversells(places, raipur_official):
    session = session_at(places.home, capacity=6)
    other = session_at(places.neighbour, capacity=3)
    booked = [person(places.home) for _ in range(4)]
    allocate(places.home)
    latecomers = [person(places.home) for _ in range(6)]

    def by_hand(someone):
        try:
            return allot(registration=someone, session=session, by=raipur_official)
        except AllotmentError as refused:
            return refused

    results = run_together(
        lambda: reduce_capacity(session=session, capacity=2, by=raipur_official, reason="less"),
        lambda: allocate(places.home, wait=True),
        *[lambda someone=someone: by_hand(someone) for someone in latecomers[:3]],
    )

    assert not isinstance(results[0], Exception), results[0]
    assert not isinstance(results[1], Exception), results[1]
    assert all(isinstance(r, Appointment | AllotmentError) for r in results[2:]), results
    session.refresh_from_db()
    other.refresh_from_db()
    assert session.capacity == 2
    assert session.booked <= 2
    assert oversold() == []
    assert double_booked() == 0
    everyone = Registration.objects.filter(pk__in=[p.pk for p in booked + latecomers])
    seated = Appointment.objects.filter(status=Appointment.Status.BOOKED)
    assert seated.count() == session.booked + other.booked
    assert everyone.filter(status=Registration.Status.ALLOTTED).count() == seated.count()


@pytest.mark.django_db
def test_the_capacity_page_moves_people_only_when_the_official_asks(
    client, full_session, raipur_official
):
    session, spare, (first, second, third) = full_session
    client.force_login(give_role(raipur_official, roles.DISTRICT_OFFICIAL))
    url = reverse("admin:slots_session_capacity", args=[session.pk])

    refused = client.post(url, {"capacity": 1})
    assert "already booked" in refused.content.decode()
    no_reason = client.post(url, {"capacity": 1, "move_people": "on"})
    assert "reason" in no_reason.context["form"].errors
    session.refresh_from_db()
    assert (session.capacity, session.booked) == (3, 3)

    response = client.post(
        url, {"capacity": 1, "move_people": "on", "reason": "half the vaccine arrived"}
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.capacity, session.booked) == (1, 1)
    assert seat_of(second) == spare
    page = client.get(response.url).content.decode()
    assert "2 people lost their seat: 1 got another slot" in page
    assert Session.objects.get(pk=spare.pk).booked == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups")
def test_an_official_moves_the_people_who_lose_their_seat_in_the_browser(
    live_server, desk, raipur, raipur_village
):
    from playwright.sync_api import expect

    from tests import factories
    from tests.conftest import screenshot

    official = staff_user("capacity-official", roles.DISTRICT_OFFICIAL, raipur)
    centre = factories.make_centre(locality=raipur_village, name="PHC North")
    session = factories.make_session(centre=centre, capacity=2)
    spare = factories.make_session(centre=centre, capacity=1, days_ahead=4)
    for _ in range(2):
        someone = factories.make_registration(
            locality=raipur_village, account=factories.make_account()
        )
        allot(registration=someone, session=session, by=official)
    page = f"/admin/slots/session/{session.pk}/capacity/"

    desk.goto(f"{live_server.url}/admin/login/?next={page}")
    desk.get_by_label("Username").fill("capacity-official")
    desk.get_by_label("Password").fill("correct horse battery")
    desk.get_by_role("button", name="Log in").click()
    desk.get_by_label("New capacity").fill("1")
    desk.get_by_label("Move the people who lose their seat to other sessions").check()
    desk.get_by_label("Reason (sent to the people who lose their seat)").fill("Fewer vials came")
    screenshot(desk, "admin-capacity-move-desk")
    desk.get_by_role("button", name="Change capacity").click()

    expect(desk.get_by_text("1 person lost their seat: 1 got another slot")).to_be_visible()
    spare.refresh_from_db()
    assert spare.booked == 1
    desk.goto(live_server.url + page)
    desk.get_by_role("button", name="हिन्दी").click()
    expect(desk.get_by_text("जिनकी सीट जाएगी, उन्हें दूसरे सत्रों में भेजें")).to_be_visible()
    screenshot(desk, "admin-capacity-desk-hi")
