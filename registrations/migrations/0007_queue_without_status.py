"""No index on registrations names the status, so allotting a person is a HOT
update (see the queue indexes in models.py); a withdrawn person gives up the
seat on the account instead of the seat constraint looking at the status."""

from django.db import migrations, models

# Room left on each page of the table for the new row version that allotting
# a person writes: an update that finds room on its own page is HOT. At 50,
# every person on a page can be allotted before it needs pruning, which the
# allocator's long batches hold back (at 90 only a quarter of the updates were
# HOT). The price is a table twice the size (about 390 MB a million rows).
FILLFACTOR = 50


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE registrations_registration SET (fillfactor = {FILLFACTOR})"
        )


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE registrations_registration RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0006_history_without_place_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="registration", name="account_seat_unique"),
        migrations.RemoveConstraint(
            model_name="registration", name="account_registration_has_seat"
        ),
        migrations.RunSQL(
            "UPDATE registrations_registration SET seat = NULL WHERE status = 'withdrawn'",
            # Going back, the old constraints ignore withdrawn people anyway.
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.UniqueConstraint(
                fields=("account", "seat"), name="account_seat_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("account__isnull", True),
                    ("seat__isnull", False),
                    ("status", "withdrawn"),
                    _connector="OR",
                ),
                name="account_registration_has_seat",
            ),
        ),
        migrations.RemoveIndex(model_name="registration", name="reg_district_queue"),
        migrations.RemoveIndex(model_name="registration", name="reg_area_queue"),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(("doses_received__lt", 2)),
                fields=["district", "priority", "queue_at", "reference"],
                name="reg_district_queue",
            ),
        ),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(("doses_received__lt", 2)),
                fields=["area", "priority", "queue_at", "reference"],
                name="reg_area_queue",
            ),
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
