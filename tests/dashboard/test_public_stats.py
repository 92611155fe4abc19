import re

import pytest
from django.core.cache import cache

from dashboard import stats, summaries
from registrations.models import Registration

pytestmark = pytest.mark.django_db


def test_a_lone_small_cell_takes_the_next_smallest_with_it():
    assert stats.suppress({1: 5, 2: 50, 3: 60}, 10) == {1: None, 2: None, 3: 60}


def test_cells_at_or_over_the_threshold_are_shown():
    assert stats.suppress({1: 10, 2: 3, 3: 0, 4: 11}, 10) == {1: 10, 2: None, 3: None, 4: 11}


def _cells(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<td>(.*?)</td>", body, flags=re.S)


def test_the_public_page_shows_no_count_under_the_threshold(client, settings, scenario):
    settings.TEEKA_STATS_MIN_CELL = 3
    page = client.get("/stats/").content.decode()
    shown = [int(c.replace(",", "")) for c in _cells(page) if c.strip().isdigit()]
    # Raipur: 7 registered, 6 appointments (of 7, one cancelled), 3 doses;
    # Bastar's 2, 1 and 1 hide among the 31 districts with nothing.
    assert shown == [7, 6, 3]
    assert len(_cells(page)) == 33 * 3
    assert page.count("&lt;&nbsp;3") == 33 * 3 - 3
    assert "Figures computed at" in page


def test_the_public_state_totals_hide_when_too_small(client, settings, scenario):
    settings.TEEKA_STATS_MIN_CELL = 9
    state = stats.compute()["state"]
    assert state == {"registered": 9, "appointments": None, "dose1": None, "dose2": None}


def test_the_public_page_names_nobody(client, scenario):
    page = client.get("/stats/").content.decode()
    for registration in Registration.objects.all():
        assert registration.name not in page
        assert registration.reference not in page


def test_a_crowd_of_visitors_costs_the_database_nothing(
    client, scenario, django_assert_num_queries
):
    client.get("/stats/")
    with django_assert_num_queries(0):
        for _ in range(5):
            assert client.get("/stats/").status_code == 200


def test_a_refresh_drops_the_cached_figures(
    client, settings, raipur_village, django_capture_on_commit_callbacks
):
    settings.TEEKA_STATS_MIN_CELL = 1
    client.get("/stats/")
    assert cache.get(stats.CACHE_KEY) is not None
    from tests import factories

    factories.make_registration(locality=raipur_village)
    with django_capture_on_commit_callbacks(execute=True):
        summaries.refresh()
    assert cache.get(stats.CACHE_KEY) is None
    assert stats.public_stats()["state"]["registered"] == 1


REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Nothing listens on port 1: every cache call fails at once.
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_the_public_page_still_answers_when_redis_is_down(client, settings, scenario):
    settings.TEEKA_STATS_MIN_CELL = 3
    settings.CACHES = REDIS_DOWN
    page = client.get("/stats/")
    assert page.status_code == 200
    assert [int(c) for c in _cells(page.content.decode()) if c.strip().isdigit()] == [7, 6, 3]
    stats.forget()  # what each refresh does after commit: with Redis down, it carries on
