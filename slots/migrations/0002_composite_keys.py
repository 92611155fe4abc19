from django.db import migrations

from teeka.db import CompositeForeignKey


class Migration(migrations.Migration):
    dependencies = [
        ("slots", "0001_initial"),
        ("districts", "0001_initial"),
    ]

    operations = [
        CompositeForeignKey(
            model_name="centre",
            fields=["area", "district"],
            to="districts.Area",
            to_fields=["id", "district"],
            name="centre_area_in_district",
        ),
        CompositeForeignKey(
            model_name="centre",
            fields=["locality", "area"],
            to="districts.Locality",
            to_fields=["id", "area"],
            name="centre_locality_in_area",
        ),
        CompositeForeignKey(
            model_name="session",
            fields=["centre", "district"],
            to="slots.Centre",
            to_fields=["id", "district"],
            name="session_centre_in_district",
        ),
    ]
