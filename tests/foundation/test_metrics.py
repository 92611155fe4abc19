"""/metrics: only operators reach it, and its figures are the database's and
the broker's own (counted here in plain SQL and Redis commands)."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dashboard import summaries
from slots.models import AllocationRun
from teeka.models import OutboundSms
from tests import factories

pytestmark = pytest.mark.django_db
TOKEN = "a-long-operator-token-0123456789"


@pytest.fixture
def operator_token(settings):
    settings.TEEKA_METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def _samples(response) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def test_without_a_token_configured_there_is_no_metrics_page(client, settings):
    settings.TEEKA_METRICS_TOKEN = None
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
)
def test_anyone_without_the_operators_token_is_refused(client, operator_token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 403
    assert b"teeka_" not in response.content


def test_a_signed_in_superuser_is_not_an_operator(client, operator_token):
    client.force_login(User.objects.create_superuser("state-admin", password="x" * 12))
    assert client.get("/metrics").status_code == 403


def test_operators_get_the_metrics_uncached(client, operator_token):
    response = client.get("/metrics", **operator_token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    names = {name for name, _labels in _samples(response)}
    assert "django_http_requests_total_by_method_total" in names
    assert {"teeka_sms_outbox_pending", "teeka_broker_up"} <= names


def test_the_sms_backlog_and_the_age_of_the_oldest_due_message(client, operator_token):
    now = timezone.now()
    for minutes_ago in (10, 3, 1):
        OutboundSms.objects.create(to="+919876543210", text="x", kind="t",
                                   send_after=now - timedelta(minutes=minutes_ago))  # fmt: skip
    OutboundSms.objects.create(to="+919876543210", text="x", kind="t",
                               send_after=now + timedelta(hours=9))  # fmt: skip
    OutboundSms.objects.create(to="+919876543210", text="x", kind="t", status="sent")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM teeka_outboundsms WHERE status = 'pending'")
        (pending,) = cursor.fetchone()
    samples = _samples(client.get("/metrics", **operator_token))
    assert samples[("teeka_sms_outbox_pending", ())] == pending == 4
    assert 600 <= samples[("teeka_sms_outbox_oldest_due_age_seconds", ())] < 660


def test_the_celery_queue_length_is_the_brokers(client, operator_token):
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.rpush("celery", "metrics-probe-1", "metrics-probe-2")
    try:
        samples = _samples(client.get("/metrics", **operator_token))
        expected = broker.llen("celery")
    finally:
        broker.lrem("celery", 0, "metrics-probe-1")
        broker.lrem("celery", 0, "metrics-probe-2")
    assert expected >= 2
    assert samples[("teeka_celery_queue_length", (("queue", "celery"),))] == expected
    assert samples[("teeka_broker_up", ())] == 1


def test_waiting_people_per_district_and_the_last_allocation_run(
    client, operator_token, raipur_village, bastar_village, raipur
):
    for _ in range(3):
        factories.make_registration(locality=raipur_village)
    factories.make_registration(locality=bastar_village)
    finished = timezone.now() - timedelta(minutes=2)
    AllocationRun.objects.create(
        district=raipur, started_at=finished - timedelta(seconds=42), finished_at=finished
    )
    summaries.refresh()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.name_en, count(*) FROM registrations_registration r"
            " JOIN districts_district d ON d.lgd_code = r.district_id"
            " WHERE r.status = 'waiting' GROUP BY d.name_en"
        )
        waiting = {name.title(): n for name, n in cursor.fetchall()}
    samples = _samples(client.get("/metrics", **operator_token))
    for name, n in waiting.items():
        assert samples[("teeka_waiting_people", (("district", name),))] == n
    assert sum(waiting.values()) == 4
    label = (("district", raipur.name_en.title()),)
    assert samples[("teeka_allocation_last_run_seconds", label)] == 42
    assert 120 <= samples[("teeka_allocation_last_run_age_seconds", label)] < 180


def test_an_empty_queue_is_a_length_of_zero_not_a_broker_down(client, operator_token):
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    if broker.llen("celery"):
        pytest.skip("tasks of another test wait in the queue")
    samples = _samples(client.get("/metrics", **operator_token))
    assert samples[("teeka_broker_up", ())] == 1
    assert samples[("teeka_celery_queue_length", (("queue", "celery"),))] == 0
