"""The role groups' permissions, derived from the role matrix
(districts.access), and a function that makes the groups match exactly. The
roles migration and `manage.py sync_roles` (after a new model lands) both call
sync_role_groups(), so running it twice changes nothing.

Which *districts* a person sees is not a permission: OfficialProfile says that,
and districts.scoping applies it.
"""

from collections.abc import Iterable

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions

from . import roles
from .access import CUSTOM_PERMISSIONS as MATRIX_PERMISSIONS
from .access import role_codenames

# Permission codenames Django does not create by itself: (app, model, codename,
# name); those whose name is None are declared in a model's Meta.permissions.
CUSTOM_PERMISSIONS = [
    (app, model, codename, name)
    for app, model, codename, name, _subject, _action in MATRIX_PERMISSIONS
    if name is not None
]

# The apps whose permissions these roles are defined over: on these a group
# holds exactly what the role matrix (districts.access) gives it. Permissions
# of other apps (the dashboard's, third-party apps') are left alone.
MANAGED_APPS = ("districts", "registrations", "slots", "teeka", "helpdesk")

ALL_ROLES = [
    roles.STATE_ADMIN,
    roles.DISTRICT_OFFICIAL,
    roles.VACCINATOR,
    roles.HEALTH_DEPARTMENT,
    roles.HELP_DESK,
]

__all__ = ["ALL_ROLES", "MANAGED_APPS", "role_codenames", "sync_role_groups"]


def _ensure_custom_permissions(apps: Apps) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")  # noqa: N806
    Permission = apps.get_model("auth", "Permission")  # noqa: N806
    for app_label, model, codename, name in CUSTOM_PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )


def _permissions(apps: Apps, pairs: Iterable[tuple[str, str]]) -> list:
    Permission = apps.get_model("auth", "Permission")  # noqa: N806
    wanted = set(pairs)
    found = [
        p
        for p in Permission.objects.select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"permissions not found: {sorted(missing)}")
    return found


def sync_role_groups(apps: Apps) -> None:
    """Creates the role groups and sets each one's permissions on MANAGED_APPS exactly."""
    Group = apps.get_model("auth", "Group")  # noqa: N806
    Permission = apps.get_model("auth", "Permission")  # noqa: N806
    _ensure_custom_permissions(apps)
    for role in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        if role == roles.STATE_ADMIN:
            group.permissions.add(*Permission.objects.all())
            continue
        wanted = _permissions(apps, role_codenames(role))
        unwanted = group.permissions.filter(content_type__app_label__in=MANAGED_APPS).exclude(
            pk__in=[p.pk for p in wanted]
        )
        group.permissions.remove(*unwanted)
        group.permissions.add(*wanted)


def sync_role_groups_in_migration(apps: Apps, schema_editor) -> None:
    """A RunPython body: Django makes permissions only after the last
    migration, so make those of every model that exists so far, then sync."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps)
