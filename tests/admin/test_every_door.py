"""Walks every door: each URL the admin exposes (admin.site.get_urls() and
every ModelAdmin.get_urls()), the check-in's and the dashboard's, for one
user of each role, by GET and by POST, and compares each answer with the
role matrix (districts.access).

A page the matrix does not name fails here, so a new view cannot ship
without someone deciding who may use it. "Refused" means 403 (the check-in
sends a phone to its own sign-in); "let in" means anything but that (a row
out of the user's districts is still a 404, and an empty POST a form with
errors or a redirect), and never a server error.
"""

from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.urls import URLPattern, get_resolver, resolve, reverse
from django.utils import timezone

from districts import access, roles
from districts.access import Subject
from districts.models import OfficialProfile
from quotas.models import Policy
from registrations.models import ImportJob
from slots.models import StandbyCall
from teeka.models import OutboundSms

from .. import factories
from ..helpdesk.conftest import make_ticket
from .conftest import rows_in, staff_user

pytestmark = pytest.mark.django_db

NO_ROLE = "no role"
WALKERS = [*access.MATRIX, NO_ROLE]


AUTOCOMPLETE = "admin:autocomplete"
AUTOCOMPLETE_QUERY = "app_label=registrations&model_name=registration&field_name=area&term=a"
AUTOCOMPLETE_NEED = ((Subject.PLACES, access.VIEW),)


@dataclass(frozen=True)
class Door:
    view_name: str
    url: str


def _model_objects(rows, raipur, desk_user) -> dict[str, object]:
    """One row of each registered model, in Raipur where it has a district."""
    ticket = make_ticket(district=raipur, registration=rows.registration)
    return {
        "districts.district": raipur,
        "districts.area": rows.registration.area,
        "districts.locality": rows.registration.locality,
        "districts.officialprofile": OfficialProfile.objects.get(user=desk_user),
        "auth.user": desk_user,
        "auth.group": Group.objects.get(name=roles.HELP_DESK),
        "registrations.registration": rows.registration,
        "registrations.account": rows.registration.account,
        "slots.centre": rows.centre,
        "slots.session": rows.session,
        "slots.appointment": rows.appointment,
        "helpdesk.ticket": ticket,
        "teeka.outboundsms": OutboundSms.objects.create(to="+919812345678", text="x", kind="test"),
        "axes.accessattempt": AccessAttempt.objects.create(
            username="someone", ip_address="10.0.0.1", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(username="someone", ip_address="10.0.0.1"),
        "axes.accessfailurelog": AccessFailureLog.objects.create(
            username="someone", ip_address="10.0.0.1"
        ),
        "quotas.policy": Policy.objects.create(
            name_en="Test",
            name_hi="परीक्षण",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
        ),
    }


def _arguments(pattern: URLPattern, obj, session, appointment) -> dict:
    names = set(pattern.pattern.regex.groupindex)
    values = {
        "object_id": getattr(obj, "pk", None),
        "id": getattr(obj, "pk", None),
        "version_id": obj.history.first().history_id if hasattr(obj, "history") else None,
        "action": "assign",
        "content_type_id": 1,
        "app_label": "registrations",
        "session_id": session.pk,
        "appointment_id": appointment.pk,
        "call_id": StandbyCall.objects.get_or_create(
            session=session,
            registration=appointment.registration,
            defaults={"come_by": timezone.now()},
        )[0].pk,
        "job_id": ImportJob.objects.values_list("pk", flat=True).first() or 1,
        "table": "places",
        "fmt": "csv",
    }
    if not names and pattern.pattern.regex.groups == 2:  # simple_history: (object, version)
        return {"args": [values["object_id"], values["version_id"]]}
    return {"kwargs": {name: values[name] for name in names}}


def _doors(objects: dict, rows) -> list[Door]:
    """Every admin URL (the site's own, then each model admin's), then the
    check-in's and the dashboard's."""
    # The unnamed ones: the admin's catch-all, a bare object id's redirect.
    urls = ["/admin/no-such-page/", f"/admin/slots/session/{rows.session.pk}/"]
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name:
            arguments = _arguments(pattern, rows.registration, rows.session, rows.appointment)
            urls.append(reverse(f"admin:{pattern.name}", **arguments))
    for model, model_admin in admin.site._registry.items():
        obj = objects[model._meta.label_lower]
        for pattern in model_admin.get_urls():
            if pattern.name:
                arguments = _arguments(pattern, obj, rows.session, rows.appointment)
                urls.append(reverse(f"admin:{pattern.name}", **arguments))
    doors = [Door(resolve(url).view_name, url) for url in urls]
    # The autocomplete asks the admin of the field's target (here a block or
    # town) for its view permission, so it opens with PLACES.
    doors.append(Door(AUTOCOMPLETE, f"{reverse(AUTOCOMPLETE)}?{AUTOCOMPLETE_QUERY}"))
    for namespace in ("checkin", "dashboard"):
        _prefix, resolver = get_resolver().namespace_dict[namespace]
        for pattern in resolver.url_patterns:
            arguments = _arguments(pattern, None, rows.session, rows.appointment)
            name = f"{namespace}:{pattern.name}"
            doors.append(Door(name, reverse(name, **arguments)))
    return doors


def _walker(role: str, raipur, rows) -> User:
    if role != NO_ROLE:
        user = staff_user(f"walker-{role}", role, raipur)
        if role == roles.VACCINATOR:
            rows.centre.staff.add(user)
        return user
    # A staff user with a district and every permission a district official
    # holds, given one by one, but in no role group: the matrix gives nothing.
    user = staff_user("walker-no-role", roles.DISTRICT_OFFICIAL, raipur)
    user.user_permissions.set(Permission.objects.filter(group__name=roles.DISTRICT_OFFICIAL))
    user.groups.clear()
    return user


def _words(cache_control: str) -> set[str]:
    return {word.strip() for word in cache_control.split(",")}


def _refused(response) -> bool:
    if response.status_code == 403:
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and location.startswith(f"{reverse('checkin:login')}?next=")


@pytest.fixture
def world(raipur, raipur_village, role_groups):
    rows = rows_in(raipur_village, account=factories.make_account())
    rows.session.date = timezone.localdate()
    rows.session.save()
    desk_user = staff_user("desk-someone", roles.HELP_DESK, raipur)
    # A paper list of Raipur's, checked, for the import pages to show.
    ImportJob.objects.create(
        created_by=desk_user,
        district=raipur,
        file_name="list.csv",
        language="en",
        status=ImportJob.Status.CHECKED,
        report={"new": 1, "invalid": [], "skipped": []},
        rows={"headers": ["name"], "rows": [["Someone"]], "lines": [2]},
    )
    return rows, _model_objects(rows, raipur, desk_user)


def test_every_page_is_in_the_role_matrix(world):
    rows, objects = world
    unknown = {
        door.view_name
        for door in _doors(objects, rows)
        for method in ("GET", "POST")
        if access.page_need(door.view_name, method) is None
        and door.view_name not in access.PUBLIC_PAGES
    }
    assert unknown == set()


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("role", WALKERS)
def test_each_role_gets_through_exactly_the_doors_the_matrix_opens(
    client, raipur, world, role, method
):
    rows, objects = world
    user = _walker(role, raipur, rows)
    held = access.MATRIX.get(role, {})
    wrong, uncached = [], []
    doors = _doors(objects, rows)
    for door in doors:
        client.force_login(user)
        response = client.generic(method, door.url, secure=False)
        assert response.status_code < 500, (door, response.status_code)
        cache_control = response.get("Cache-Control", "")
        if response.status_code == 200 and not {"private", "no-store"} <= _words(cache_control):
            uncached.append((door.url, cache_control))
        if door.view_name in access.PUBLIC_PAGES:
            continue
        need = access.page_need(door.view_name, method)
        if door.view_name == AUTOCOMPLETE:
            if "?" not in door.url or method == "POST":
                continue  # without a field to complete, refused to everybody; GET only
            need = AUTOCOMPLETE_NEED
        opened = need is not None and all(
            action in held.get(subject, ()) for subject, action in need
        )
        if opened == _refused(response):
            wrong.append((door.view_name, door.url, response.status_code, opened))
    assert wrong == [], "\n".join(map(str, wrong))
    # Whatever a page shows (a person, a count), no shared cache keeps it.
    assert uncached == []
    assert len(doors) > 80  # the walk really went through the admin


def test_the_health_department_opens_no_page_that_names_a_person(client, raipur, world):
    rows, objects = world
    health = _walker(roles.HEALTH_DEPARTMENT, raipur, rows)
    client.force_login(health)
    name = rows.registration.name
    shown = []
    for door in _doors(objects, rows):
        if door.view_name.endswith(("logout", "password_change")):
            continue
        response = client.get(door.url)
        if response.status_code == 200 and name in response.content.decode(errors="ignore"):
            shown.append(door.url)
    assert shown == []
