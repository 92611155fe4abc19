"""django-axes behind our nginx: it counts wrong passwords per user name and
per caller's address (the one X-Forwarded-For gives, TEEKA_PROXY_COUNT hops
back), so a stranger cannot lock an official out from elsewhere, and all the
state's officials do not share nginx's one address."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db

NGINX = "10.0.0.1"
PASSWORD = "correct horse battery"


def _sign_in(client, username: str, password: str, caller: str):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=caller,
    )


@pytest.fixture(autouse=True)
def _behind_nginx(settings):
    settings.TEEKA_PROXY_COUNT = 1


def test_five_wrong_passwords_lock_that_name_from_that_address_only(
    client, raipur_official, bastar_official
):
    for _try in range(5):
        _sign_in(client, "raipur-official", "wrong password", "203.0.113.5")
    locked = _sign_in(client, "raipur-official", PASSWORD, "203.0.113.5")
    assert locked.status_code == 429
    attempt = AccessAttempt.objects.get(username="raipur-official")
    assert attempt.ip_address == "203.0.113.5"
    # The same official from their own office, and another official from the
    # stranger's address, still sign in.
    from_office = _sign_in(client, "raipur-official", PASSWORD, "198.51.100.7")
    assert from_office.status_code == 302
    client.logout()
    assert _sign_in(client, "bastar-official", PASSWORD, "203.0.113.5").status_code == 302
