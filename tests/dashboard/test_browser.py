import datetime
import random

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dashboard import summaries
from districts.models import Area, Locality
from registrations.models import Registration
from slots.models import Appointment, Session
from tests import factories
from tests.conftest import RAIPUR, screenshot

from . import scenario as story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _a_month_of_registrations(locality: Locality, count: int = 300) -> None:
    """Enough days and people for the charts to show a shape."""
    rng = random.Random(6)
    now = timezone.now()
    people = []
    for n in range(count):
        person = Registration(
            name=f"Chart {n}",
            gender=rng.choice("FFMMO"),
            birth_year=1960 + rng.randrange(40),
            priority=rng.randrange(1, 6),
            district_id=locality.area.district_id,
            area=locality.area,
            locality=locality,
            registered_at=now - datetime.timedelta(days=rng.randrange(30), hours=rng.randrange(9)),
        )
        person.set_id_number("VOTER", f"CHART{n:06d}")
        people.append(person)
    Registration.objects.bulk_create(people)


def _doses(locality: Locality, count: int = 120) -> None:
    rng = random.Random(7)
    centre = factories.make_centre(locality=locality)
    sessions = [
        factories.make_session(centre=centre, days_ahead=-d, capacity=200) for d in range(1, 29)
    ]
    people = Registration.objects.filter(name__startswith="Chart").order_by("pk")[:count]
    Appointment.objects.bulk_create(
        Appointment(
            registration=p,
            session=rng.choice(sessions),
            dose=rng.choice([1, 1, 2]),
            status="attended",
        )
        for p in people
    )
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(booked=0)


@pytest.fixture
def seeded(geography):
    block = Area.objects.filter(district_id=RAIPUR, kind="block").order_by("lgd_code").first()
    village = factories.first_locality(block)
    town = Area.objects.get(district_id=RAIPUR, kind="town", name_en__iexact="Raipur")
    bastar_block = Area.objects.filter(district_id=374, kind="block").order_by("lgd_code").first()
    story.build(village, factories.first_locality(town), factories.first_locality(bastar_block))
    _a_month_of_registrations(village)
    _doses(village)
    summaries.refresh()


def _signed_in(page, live_server) -> None:
    user = User.objects.create_superuser("chief", password="correct horse battery")
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_the_dashboard_draws_its_charts_in_chromium(desk, live_server, seeded):
    _signed_in(desk, live_server)
    desk.goto(f"{live_server.url}/dashboard/")
    assert desk.locator("h1").inner_text() == "Vaccination dashboard"
    charts = desk.locator("figure.chart > svg")
    assert charts.count() == 2
    assert desk.locator("figure.chart > svg rect").count() > 60  # 30 days, two series
    box = charts.first.bounding_box()
    assert box["width"] > 400 and box["height"] > 100
    assert desk.get_by_role("region", name="By district").is_visible()
    screenshot(desk, "dashboard-desk")


def test_the_dashboard_fits_a_phone(phone, live_server, seeded):
    _signed_in(phone, live_server)
    phone.goto(f"{live_server.url}/dashboard/?district={RAIPUR}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # wide tables scroll inside their own box
    screenshot(phone, "dashboard-phone")


def test_the_public_statistics_read_well_on_a_phone_in_hindi(phone, live_server, seeded):
    phone.context.add_cookies([{"name": "django_language", "value": "hi", "url": live_server.url}])
    phone.goto(f"{live_server.url}/stats/")
    assert phone.locator("h1").inner_text() == "छत्तीसगढ़ में टीकाकरण"
    assert phone.get_by_role("row", name="रायपुर").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "stats-phone-hi")
