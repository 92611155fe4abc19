"""The role groups again, now that the quota models exist (see
districts/migrations/0003_sync_roles_after_every_app.py)."""

from django.db import migrations

from districts.role_permissions import sync_role_groups_in_migration


class Migration(migrations.Migration):
    dependencies = [
        ("quotas", "0002_may_2021_policy"),
        ("districts", "0004_trigram_extension"),
        ("slots", "0013_appointment_share_of"),
        ("registrations", "0013_ration_card"),
    ]

    operations = [migrations.RunPython(sync_role_groups_in_migration, migrations.RunPython.noop)]
