"""The role groups hold exactly their permissions, on a fresh database (the
test database is migrated from nothing) and after `manage.py sync_roles`."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from districts import roles
from districts.role_permissions import MANAGED_APPS, role_codenames

pytestmark = pytest.mark.django_db

TICKET_WORK = {
    ("helpdesk", "view_ticket"),
    ("helpdesk", "change_ticket"),
    ("helpdesk", "view_ticketevent"),
    ("helpdesk", "move_registration"),
}


def _held(role: str, apps=MANAGED_APPS) -> set[tuple[str, str]]:
    permissions = Group.objects.get(name=role).permissions.all()
    if apps is not None:
        permissions = permissions.filter(content_type__app_label__in=apps)
    return set(permissions.values_list("content_type__app_label", "codename"))


def _sync_roles() -> str:
    out = io.StringIO()
    call_command("sync_roles", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "role", [roles.DISTRICT_OFFICIAL, roles.HELP_DESK, roles.HEALTH_DEPARTMENT, roles.VACCINATOR]
)
def test_each_role_group_holds_exactly_its_permissions(role):
    assert _held(role) == role_codenames(role)


def test_the_help_desk_may_answer_tickets_and_move_registrations():
    assert TICKET_WORK <= role_codenames(roles.HELP_DESK)
    assert _held(roles.HELP_DESK, ["helpdesk"]) == TICKET_WORK


def test_the_state_administrator_holds_every_permission():
    held = Group.objects.get(name=roles.STATE_ADMIN).permissions.all()
    assert not Permission.objects.exclude(pk__in=held).exists()


def test_sync_roles_keeps_the_help_desks_ticket_permissions():
    _sync_roles()
    assert _held(roles.HELP_DESK, ["helpdesk"]) == TICKET_WORK
    assert TICKET_WORK <= _held(roles.STATE_ADMIN, ["helpdesk"])


def test_sync_roles_restores_what_was_taken_and_removes_what_was_added():
    desk = Group.objects.get(name=roles.HELP_DESK)
    desk.permissions.remove(Permission.objects.get(codename="move_registration"))
    desk.permissions.add(Permission.objects.get(codename="delete_ticket"))
    # Outside the managed apps a group's permissions are its own business.
    log_entries = Permission.objects.get(codename="view_logentry")
    desk.permissions.add(log_entries)

    _sync_roles()

    assert _held(roles.HELP_DESK) == role_codenames(roles.HELP_DESK)
    assert desk.permissions.filter(pk=log_entries.pk).exists()


def test_sync_roles_twice_changes_nothing():
    _sync_roles()
    before = {role: _held(role, None) for role in roles.STATEWIDE | {roles.HELP_DESK}}
    _sync_roles()
    assert before == {role: _held(role, None) for role in before}
