# pg_trgm lets an import suggest the villages nearest to a misspelt name
# (districts/lookup.py). Creating an extension needs a role that may: on a
# managed database, ask for it once (CREATE EXTENSION pg_trgm) before migrating.
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("districts", "0003_sync_roles_after_every_app"),
    ]

    operations = [TrigramExtension()]
