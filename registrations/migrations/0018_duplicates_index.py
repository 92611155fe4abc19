"""Possible duplicates are found by walking this index in order (district,
village or ward, name, year of birth) instead of grouping every
registration. Built concurrently on PostgreSQL, like reg_registered."""

import django.db.models.functions.text
from django.db import migrations, models

INDEX = (
    "reg_district_person ON registrations_registration "
    "(district_id, locality_id, (LOWER(name)), birth_year)"
)


def forward(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {INDEX}")


def backward(apps, schema_editor) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS reg_district_person")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("registrations", "0017_registered_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="registration",
                    index=models.Index(
                        models.F("district"),
                        models.F("locality"),
                        django.db.models.functions.text.Lower("name"),
                        models.F("birth_year"),
                        name="reg_district_person",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
