from django.db import migrations

from teeka.db import CompositeForeignKey


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0001_initial"),
        ("districts", "0001_initial"),
    ]

    operations = [
        CompositeForeignKey(
            model_name="registration",
            fields=["area", "district"],
            to="districts.Area",
            to_fields=["id", "district"],
            name="registration_area_in_district",
        ),
        CompositeForeignKey(
            model_name="registration",
            fields=["locality", "area"],
            to="districts.Locality",
            to_fields=["id", "area"],
            name="registration_locality_in_area",
        ),
    ]
