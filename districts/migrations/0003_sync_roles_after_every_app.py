"""Syncs the role groups again once every app's models exist.

0002 runs early (other apps' migrations depend on it), so on a fresh database
the state administrator's "everything" missed the permissions of the models
made after it (allocation runs, the dashboard's summaries, sign-in codes).
When a later migration adds a model, run `manage.py sync_roles`, or add a
migration like this one that depends on it.
"""

from django.db import migrations

from districts.role_permissions import sync_role_groups_in_migration


class Migration(migrations.Migration):
    dependencies = [
        ("districts", "0002_role_groups"),
        ("dashboard", "0001_initial"),
        ("helpdesk", "0002_help_desk_permissions"),
        ("registrations", "0003_signincode"),
        ("slots", "0003_allocationrun"),
        ("teeka", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_role_groups_in_migration, migrations.RunPython.noop)]
