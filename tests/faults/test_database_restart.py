"""A database that drops the app's connections (as a restart does): the next
request is served on a new connection, not answered with an error page. The
connections are ended for real with pg_terminate_backend; the control turns
CONN_HEALTH_CHECKS off and gets the error the issue saw."""

import http.client
import threading
import urllib.parse
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection

from districts import fragments

from .conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def _get(url: str) -> int:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        return conn.getresponse().status
    finally:
        conn.close()


def _drop_the_servers_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    """The app in one server thread that, like a gunicorn worker, keeps its
    database connection from one request to the next (Django's live_server
    closes it after each request, which would hide the fault)."""
    port = free_port()
    httpd = make_server("127.0.0.1", port, get_wsgi_application(), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)
    _drop_the_servers_connections()  # the thread is gone; its connection too


def _areas(base: str, raipur) -> str:
    return f"{base}/places/areas/?district={raipur.pk}"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _fragments_drawn_afresh():
    """The place fragments are kept ready in the process (districts/fragments.py):
    each request below asks for one not drawn yet, so it must use the database."""
    fragments.forget()
    yield
    fragments.forget()


def test_after_the_database_drops_its_connections_the_next_request_is_served(
    server, raipur, bastar
):
    assert _get(_areas(server, raipur)) == 200  # the server thread now keeps a connection
    assert _drop_the_servers_connections() >= 1

    assert _get(_areas(server, bastar)) == 200


def test_control_without_health_checks_the_dropped_connection_is_an_error(
    server, raipur, bastar, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    assert _get(_areas(server, raipur)) == 200
    assert _drop_the_servers_connections() >= 1

    assert _get(_areas(server, bastar)) == 500
