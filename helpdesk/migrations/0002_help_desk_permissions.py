"""Grants the help desk and the state administrators what the ticket queue needs.

The groups may already exist (the districts role migration makes them too), so
they are fetched or created; permissions are created here because Django only
makes them after the last migration of a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

HELP_DESK = "Help desk"  # districts.roles.HELP_DESK, frozen as of this migration
STATE_ADMIN = "State administrator"  # districts.roles.STATE_ADMIN

GRANTS = {
    HELP_DESK: ["view_ticket", "change_ticket", "move_registration", "view_ticketevent"],
    STATE_ADMIN: ["view_ticket", "change_ticket", "move_registration", "view_ticketevent"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("helpdesk")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label="helpdesk", codename__in=codenames
        )
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        perms = Permission.objects.filter(
            content_type__app_label="helpdesk", codename__in=codenames
        )
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
