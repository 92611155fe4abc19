import datetime

import pytest
from django.utils import timezone

from dashboard import summaries
from dashboard.models import AreaDay
from dashboard.report import PEOPLE, Filters, places_table
from dashboard.tasks import refresh_summaries
from districts.models import Area, District
from tests import factories

from .scenario import BASTAR, COLUMNS, RAIPUR, RAIPUR_BLOCK, RAIPUR_TOWN, STATE

pytestmark = pytest.mark.django_db


def _counts(row: list) -> dict[str, int]:
    return dict(zip(COLUMNS, row[1 : len(PEOPLE) + 1], strict=True))


def _rows(table) -> dict[str, list]:
    return {str(row[0]): row for row in table.rows}


def _dashboard(client, user, **params):
    client.force_login(user)
    response = client.get("/dashboard/", params)
    assert response.status_code == 200
    return response.context["tables"]


def test_state_and_district_counts_match_the_hand_count(client, admin_user, scenario):
    places = _dashboard(client, admin_user)["places"]
    assert len(places.rows) == 33
    assert _counts(places.total) == STATE
    assert _counts(_rows(places)["Raipur"]) == RAIPUR
    assert _counts(_rows(places)["Bastar"]) == BASTAR
    assert _counts(_rows(places)["Durg"]) == dict.fromkeys(COLUMNS, 0)


def test_block_and_town_counts_match_the_hand_count(client, admin_user, raipur, scenario):
    places = _dashboard(client, admin_user, district=raipur.pk)["places"]
    block = Area.objects.get(pk=scenario.raipur_block_id)
    town = Area.objects.get(pk=scenario.raipur_town_id)
    rows = _rows(places)
    assert _counts(rows[f"{block.name} (Block)"]) == RAIPUR_BLOCK
    assert _counts(rows[f"{town.name} (Town)"]) == RAIPUR_TOWN
    assert _counts(places.total) == RAIPUR
    assert len(places.rows) == raipur.areas.count()


def test_seats_count_only_published_active_sessions_of_the_coming_week(
    client, admin_user, scenario
):
    places = _dashboard(client, admin_user)["places"]
    raipur, bastar = _rows(places)["Raipur"], _rows(places)["Bastar"]
    assert raipur[-3:] == [10, 3, 30.0]
    assert bastar[-3:] == [20, 5, 25.0]
    assert places.total[-3:] == [30, 8, round(100 * 8 / 30, 1)]
    assert _rows(places)["Durg"][-1] is None  # nothing published, no share


def test_the_date_range_leaves_out_older_registrations(client, admin_user, raipur, scenario):
    since = scenario.today - datetime.timedelta(days=10)
    places = _dashboard(client, admin_user, district=raipur.pk, date_from=since.isoformat())[
        "places"
    ]
    assert _counts(places.total)["registered"] == RAIPUR["registered"] - 1


def test_doses_are_counted_on_the_day_of_the_session(client, admin_user, scenario):
    days = _dashboard(client, admin_user)["days"]
    per_day = {row[0]: row[1:] for row in days.rows}
    five_days_ago = scenario.today - datetime.timedelta(days=5)
    assert per_day[five_days_ago] == [0, 2, 0]  # r3 and t1, dose 1
    assert per_day[scenario.today - datetime.timedelta(days=1)] == [0, 0, 1]
    assert days.total == ["Total", 9, 3, 1]
    assert len(days.rows) == 21  # every day from the first registration, gaps too


def test_priority_and_gender_tables_add_up(client, admin_user, scenario):
    tables = _dashboard(client, admin_user)
    priority, gender = _rows(tables["priority"]), _rows(tables["gender"])
    assert _counts(priority["Health worker"]) == dict(
        zip(COLUMNS, (1, 0, 0, 1, 1, 0, 0), strict=True)
    )
    assert priority["Health worker"][-1] == 100.0
    assert _counts(gender["Male"])["registered"] == 2
    assert _counts(gender["Female"])["registered"] == 7
    assert _counts(tables["priority"].total) == STATE
    assert _counts(tables["gender"].total) == STATE


def test_a_registration_late_in_the_evening_counts_on_the_indian_day(raipur_village, admin_user):
    # 20:00 UTC is 01:30 the next morning in India.
    evening = datetime.datetime(2026, 1, 1, 20, 0, tzinfo=datetime.UTC)
    factories.make_registration(locality=raipur_village, registered_at=evening)
    summaries.refresh()
    assert AreaDay.objects.get().day == datetime.date(2026, 1, 2)


def test_refreshing_twice_gives_the_same_counts(admin_user, scenario):
    first = list(AreaDay.objects.order_by("day", "area").values())
    summaries.refresh()
    second = list(AreaDay.objects.order_by("day", "area").values())
    strip = [{k: v for k, v in row.items() if k != "id"} for row in first]
    assert strip == [{k: v for k, v in row.items() if k != "id"} for row in second]


def test_the_dashboard_shows_new_rows_only_after_a_refresh(raipur_village, admin_user, scenario):
    raipur = District.objects.get(pk=raipur_village.area.district_id)
    before = places_table(user=admin_user, filters=Filters(district_id=raipur.pk)).total[1]
    factories.make_registration(locality=raipur_village, registered_at=timezone.now())
    assert places_table(user=admin_user, filters=Filters(district_id=raipur.pk)).total[1] == before
    summaries.refresh()
    assert (
        places_table(user=admin_user, filters=Filters(district_id=raipur.pk)).total[1] == before + 1
    )


def test_the_celery_task_rebuilds_the_counts_and_is_on_the_beat(settings, raipur_village):
    factories.make_registration(locality=raipur_village)
    refresh_summaries()
    assert AreaDay.objects.get().registered == 1
    assert settings.CELERY_BEAT_SCHEDULE["refresh-dashboard"]["task"] == refresh_summaries.name
