"""The staff roles as groups with exactly the permissions they need."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from districts.role_permissions import sync_role_groups


def create_role_groups(apps, schema_editor):
    # Permissions are normally made after migrate finishes; make them now so
    # the groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("districts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registrations", "0002_composite_keys"),
        ("slots", "0002_composite_keys"),
        ("teeka", "0001_initial"),
        # The help desk role holds ticket permissions (role_permissions.py).
        ("helpdesk", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
