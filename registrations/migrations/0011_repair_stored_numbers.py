"""Runs the repair of numbers stored in other spellings once (see
registrations/stored_numbers.py; `manage.py repair_stored_numbers` runs it
again at any time)."""

from django.db import migrations

from registrations.stored_numbers import repair_stored_numbers


def repair(apps, schema_editor) -> None:
    names = ("Account", "Registration", "SignInCode", "NormalFormFlag")
    repair_stored_numbers(models={name: apps.get_model("registrations", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("registrations", "0010_normal_form_flag")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
