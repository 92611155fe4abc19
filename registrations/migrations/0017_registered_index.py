"""The State administrator's registrations list sorts by registered_at over
every district. Built concurrently on PostgreSQL: on a live table of
millions of people a plain CREATE INDEX would stop registrations for as long
as it takes."""

from django.db import migrations, models

INDEX = "reg_registered ON registrations_registration (registered_at)"


def forward(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {INDEX}")


def backward(apps, schema_editor) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS reg_registered")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("registrations", "0016_queue_hours"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="registration",
                    index=models.Index(fields=["registered_at"], name="reg_registered"),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
