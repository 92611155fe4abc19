"""Officials search people by name (any part of it, any case): a trigram index
on UPPER(name), the expression Django's `icontains` compares on PostgreSQL.
The name never changes when a person is allotted, so allotting stays a HOT
update. PostgreSQL only (pg_trgm); the embedded SQLite scans its few rows."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS reg_name_trgm ON registrations_registration"
            " USING gin (UPPER(name::text) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS reg_name_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0011_repair_stored_numbers"),
        ("districts", "0004_trigram_extension"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
