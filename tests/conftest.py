"""The shared cast: two districts (Raipur, Bastar), a block and a town in
Raipur, their officials, and a citizen's account."""

import os
from pathlib import Path

import pytest
import redis
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import connection

from districts import fragments
from districts.geography import load_geography
from districts.models import Area, District, Locality, OfficialProfile
from districts.role_permissions import sync_role_groups
from quotas import standing
from teeka import shared_pages

from . import factories
from .workers import start_worker, stop_worker

RAIPUR, BASTAR = 387, 374


@pytest.fixture(autouse=True)
def _isolated_outputs(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms-outbox.jsonl"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A test's policies are rolled back without a signal: none kept from it.
    standing.forget()
    # Nor a page or form kept by another test (its settings, its language).
    shared_pages.forget()
    fragments.forget()


@pytest.fixture
def worker():
    """A real Celery worker on the test database and the test Redis."""
    if not django_settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL")
    # Stale tasks of earlier runs.
    redis.Redis.from_url(django_settings.REDIS_URL).delete("celery")
    process = start_worker(django_settings.REDIS_URL)
    yield process
    stop_worker(process)


@pytest.fixture
def geography(db) -> None:
    # Transactional tests flush every table, so load again when it is gone
    # (about a second); ordinary tests find it already there.
    if not District.objects.exists():
        load_geography()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_geography()
        # A database kept with --reuse-db was last flushed by a transactional
        # test, which takes the role groups the migrations made.
        sync_role_groups(apps)


@pytest.fixture
def raipur(geography) -> District:
    return District.objects.get(lgd_code=RAIPUR)


@pytest.fixture
def bastar(geography) -> District:
    return District.objects.get(lgd_code=BASTAR)


@pytest.fixture
def raipur_block(raipur) -> Area:
    return raipur.areas.filter(kind=Area.Kind.BLOCK).order_by("lgd_code").first()


@pytest.fixture
def raipur_town(raipur) -> Area:
    return raipur.areas.get(kind=Area.Kind.TOWN, name_en__iexact="Raipur")


@pytest.fixture
def raipur_village(raipur_block) -> Locality:
    return factories.first_locality(raipur_block)


@pytest.fixture
def bastar_village(bastar) -> Locality:
    block = bastar.areas.filter(kind=Area.Kind.BLOCK).order_by("lgd_code").first()
    return factories.first_locality(block)


def _official(username: str, district: District) -> User:
    user = User.objects.create_user(username, password="correct horse battery", is_staff=True)
    OfficialProfile.objects.create(user=user).districts.add(district)
    return user


@pytest.fixture
def raipur_official(raipur) -> User:
    return _official("raipur-official", raipur)


@pytest.fixture
def bastar_official(bastar) -> User:
    return _official("bastar-official", bastar)


@pytest.fixture
def account(db):
    return factories.make_account("+919876543210")


# Browser tests: Debian's Chromium driven by Playwright (never `playwright install`).
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the tests make around it are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A page at a cheap phone's size (360 px wide)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-IN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desk(browser):
    """A page at an office desktop's size."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-IN")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Saves a full-page screenshot under artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
