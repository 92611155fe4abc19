"""Every admin list and officials' page at state scale, timed.

    .venv/bin/python benchmarks/admin_lists.py --registrations 1000000

On the shared seed of N registrations (benchmarks/seed.py, teeka_bench_<N>,
migrated first by seed.ensure), as the State administrator and as a district
official of Raipur, through Django's test client (the whole view: middleware,
queries, template). The pages are found from the admin site
itself, so a new list is covered without editing this file:

- each model admin's changelist the user may view; from the changelist, each
  choice of each filter it offers (every choice of a short filter; the first,
  middle and last few of a long one, like the blocks), the filters that
  appear only once another is chosen (the villages of a block), sorting by
  each sortable column both ways, a far page, and searches of each kind the
  help text names (name, reference, mobile digits) where it has a search box;
- every other page the model admins add (duplicates, day lists, slips,
  plans...), with the ids of real rows, and one row's change page;
- the dashboard's pages.

What is sampled: a filter with more than 12 choices (the 33 districts, the
315 blocks and towns) is timed on its first 4, middle 4 and last 4; the
villages of a chosen block on their first 3, for each block timed. Every
filter, sort, kind of search and extra page is timed at least once.

Each page is asked once, and again if it took over 100 ms, the faster answer
kept (a warm database, as an admin used all day); a page met while reading
the filters is not asked again. Everything runs in one transaction rolled
back at the end, so the shared seed is not written (the two users, their
sessions). --database reads a copy (seed.clone) instead. Pages that answer
4xx are skipped (a form that needs a POST, a page this role may not open).
Ends with:

    RESULT registrations=<n> slowest_page=<path> slowest_ms=<n>
"""

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")

from django.db import OperationalError  # noqa: E402

from benchmarks import seed  # noqa: E402 (after the path is set)

# Searches as officials type them, by the kinds the help text names.
SEARCHES = ("Sahu", "Ramesh Sahu", "सुनीता", "3210", "00000ABC1", "00A-BC1-23")
FAR_PAGE = 150
# A filter with more choices than this is sampled: its first, middle and last few.
SAMPLE = 4
# The stock admin pages: timed from the changelist (or one row), not as extras.
STOCK = ("_changelist", "_add", "_change", "_delete", "_history", "_autocomplete")
# Pages faster than this are asked once (see Timer).
AGAIN_MS = 100


class Timer:
    """Asks pages as one user and remembers each answer and its time, so a
    page found while listing the filters is not asked again when it is timed.

    A page is asked once; one slower than AGAIN_MS is asked a second time and
    the faster answer kept (a warm database, as an admin used all day): a
    faster page cannot be the slowest. Each request runs in a savepoint of the
    benchmark's one transaction (rolled back at the end, so the shared seed is
    not written), so a statement stopped by the timeout spoils nothing after it.
    """

    def __init__(self, client) -> None:
        self.client = client
        self.seen: dict[str, tuple[float, object]] = {}

    def _once(self, url: str) -> tuple[float, object]:
        from django.db import transaction

        started = time.perf_counter()
        with transaction.atomic():
            response = self.client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        return (time.perf_counter() - started) * 1000, response

    def get(self, url: str) -> tuple[float, object]:
        """(ms, response); OperationalError when a statement timed out."""
        if url not in self.seen:
            ms, response = self._once(url)
            if ms > AGAIN_MS:
                ms = min(ms, self._once(url)[0])
            self.seen[url] = (ms, response)
        return self.seen[url]


def sample(items: list) -> list:
    if len(items) <= 3 * SAMPLE:
        return items
    middle = len(items) // 2
    return items[:SAMPLE] + items[middle - SAMPLE // 2 : middle + SAMPLE // 2] + items[-SAMPLE:]


def filter_choices(cl) -> dict[str, list[str]]:
    """Each filter's title -> the query strings of its choices (not "All")."""
    out = {}
    for spec in cl.filter_specs:
        queries = [c["query_string"] for c in spec.choices(cl) if not c.get("selected")]
        out[str(spec.title)] = [q for q in queries if q not in ("?", "")]
    return out


def changelist_urls(timer: Timer, base: str, model_admin) -> Iterator[str]:
    from django.contrib.admin.templatetags.admin_list import result_headers

    try:
        _ms, response = timer.get(base)
    except OperationalError:  # the statement timeout: timed again, and reported, in main()
        yield base
        return
    if response.status_code != 200:
        return
    cl = response.context_data["cl"]
    yield base
    top = filter_choices(cl)
    for title, queries in top.items():
        for query in sample(queries):
            yield base + query
            # Filters that appear once this one is chosen (villages of a block).
            try:
                _ms, chosen = timer.get(base + query)
            except OperationalError:
                continue
            if chosen.status_code != 200:
                continue
            for inner_title, inner in filter_choices(chosen.context_data["cl"]).items():
                if inner_title != title and not top.get(inner_title):
                    yield from (base + q for q in sample(inner)[:3])
    for header in result_headers(cl):
        if header["sortable"]:
            yield base + header["url_primary"]
            yield base + header["url_toggle"]
    # The far page, or the last one a capped count offers.
    yield f"{base}?{urlencode({'p': min(FAR_PAGE, cl.paginator.num_pages)})}"
    if model_admin.search_fields:
        yield from (f"{base}?{urlencode({'q': term})}" for term in SEARCHES)


def extra_urls(model_admin, rows: dict) -> Iterator[str]:
    """The model admin's own pages (not the stock ones), with real ids."""
    from django.urls import reverse

    for pattern in model_admin.get_urls():
        name = pattern.name or ""
        if not name or name.endswith(STOCK):
            continue
        names = set(pattern.pattern.regex.groupindex)
        if names - set(rows):
            continue
        yield reverse(f"admin:{name}", kwargs={n: rows[n] for n in names})


def real_rows(model) -> dict:
    """Ids of rows worth opening: the session with the most people on its
    day list, a registration with appointments."""
    from slots.models import Appointment, Session

    busiest = Session.objects.order_by("-booked", "-date").values_list("pk", flat=True)[:1]
    session_id = busiest[0]
    obj = model._default_manager.order_by("-pk").first()
    reg_id = Appointment.objects.filter(session_id=session_id).values_list(
        "registration_id", flat=True
    )[:1][0]
    object_id = reg_id if model._meta.label_lower == "registrations.registration" else obj
    object_id = getattr(object_id, "pk", object_id)
    return {"object_id": object_id, "session_id": session_id, "id": session_id}


def pages(timer: Timer, only: str = "") -> Iterator[tuple[str, str]]:
    """(section, url) of every page to time; `only` keeps the model admins
    whose label (app.model) contains it, and the dashboard's pages."""
    from django.contrib import admin
    from django.urls import reverse

    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if only not in opts.label_lower:
            continue
        base = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        listed = list(changelist_urls(timer, base, model_admin))
        yield from ((opts.label_lower, url) for url in listed)
        if not listed or not model._default_manager.exists():
            continue
        rows = real_rows(model)
        change = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows["object_id"]]
        )
        yield opts.label_lower, change
        yield from ((opts.label_lower, url) for url in extra_urls(model_admin, rows))
    yield "dashboard", reverse("dashboard:dashboard")
    yield "dashboard", reverse("dashboard:dashboard") + "?district=387"


def users():
    from django.contrib.auth.models import Group, User

    from districts import roles
    from districts.models import District, OfficialProfile

    made = []
    for username, role in (
        ("bench-state", roles.STATE_ADMIN),
        ("bench-raipur", roles.DISTRICT_OFFICIAL),
    ):
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created:
            OfficialProfile.objects.create(user=user).districts.add(District.objects.get(pk=387))
            user.groups.add(Group.objects.get(name=role))
        made.append((role, user))
    return made


def time_pages(timer: Timer, role: str, args) -> list[tuple[float, str, str, object]]:
    timings, seen = [], set()
    counted: dict[str, list[float]] = {}
    clock = time.perf_counter()
    for section, url in pages(timer, args.only):
        if url in seen:
            continue
        seen.add(url)
        try:
            ms, response = timer.get(url)
        except OperationalError:  # the statement timeout
            timings.append((args.timeout * 1000, role, url, "timeout"))
            print(f"  timed out: {role} {url}", flush=True)
            continue
        finally:
            now = time.perf_counter()
            counted.setdefault(section, []).append(now - clock)
            clock = now
        if response.status_code >= 400:
            continue
        timings.append((ms, role, url, response.status_code))
        if ms > 1000:
            print(f"  over a second: {ms:.0f} ms {role} {url}", flush=True)
    for section, seconds in counted.items():
        print(f"  {role}: {section}: {len(seconds)} pages, {sum(seconds):.0f} s", flush=True)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--show", type=int, default=15, help="print the N slowest pages")
    parser.add_argument("--timeout", type=int, default=30, help="seconds a query may take")
    parser.add_argument("--only", default="", help="only the model admins whose label has this")
    parser.add_argument(
        "--database",
        help="read this copy of the seed (made by seed.clone; migrated first) instead",
    )
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = seed.database_url(args.database)
        seed.migrate(os.environ["DATABASE_URL"])
    else:
        os.environ["DATABASE_URL"] = seed.ensure(args.registrations)
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    # A page stuck on one query is reported as taking the timeout, not waited for.
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options["options"] = f"-c statement_timeout={args.timeout * 1000}"
    # Refusals (403) are expected here; a server error still raises.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    timings = []
    load = os.getloadavg()[0]
    started = time.perf_counter()
    # One transaction, rolled back at the end: the two users, their sessions
    # and last logins are never written to the shared seed.
    with transaction.atomic():
        for role, user in users():
            client = Client()
            client.force_login(user)
            timings += time_pages(Timer(client), role, args)
        transaction.set_rollback(True)
    minutes = (time.perf_counter() - started) / 60
    timings.sort(reverse=True)
    for ms, role, url, status in timings[: args.show]:
        print(f"{ms:8.0f} ms  {status}  {role:20}  {url}")
    after = os.getloadavg()[0]
    print(
        f"{len(timings)} pages timed in {minutes:.0f} min; "
        f"load average {load:.1f} before, {after:.1f} after"
    )
    ms, _role, url, _status = timings[0]
    print(f"RESULT registrations={args.registrations} slowest_page={url} slowest_ms={ms:.0f}")


if __name__ == "__main__":
    main()
