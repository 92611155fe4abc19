"""The shares Chhattisgarh allotted by in May 2021, after the High Court asked
for a reasonable ratio instead of an order by financial status alone: an
example for a state administrator to copy or turn on. Not active."""

import datetime
from decimal import Decimal

from django.db import migrations

# (English, Hindi, share %, ration card, occupation, document English, document Hindi),
# in the policy's order: a person in several categories is in the first.
MAY_2021 = [
    (
        "Frontline workers",
        "अग्रिम पंक्ति के कार्यकर्ता",
        Decimal("20"),
        "",
        2,  # registrations.models.PriorityGroup.FRONTLINE_WORKER
        "Office identity card or letter from the employer",
        "कार्यालय का पहचान पत्र या नियोक्ता का पत्र",
    ),
    (
        "Antyodaya ration card holders",
        "अंत्योदय राशन कार्ड धारक",
        Decimal("12"),
        "antyodaya",
        None,
        "Antyodaya ration card",
        "अंत्योदय राशन कार्ड",
    ),
    (
        "BPL ration card holders",
        "बीपीएल (गरीबी रेखा से नीचे) राशन कार्ड धारक",
        Decimal("52"),
        "bpl",
        None,
        "BPL ration card",
        "बीपीएल राशन कार्ड",
    ),
    (
        "APL ration card holders",
        "एपीएल (गरीबी रेखा से ऊपर) राशन कार्ड धारक",
        Decimal("16"),
        "apl",
        None,
        "APL ration card",
        "एपीएल राशन कार्ड",
    ),
]


def add_example(apps, schema_editor):
    Policy = apps.get_model("quotas", "Policy")
    Category = apps.get_model("quotas", "Category")
    policy = Policy.objects.create(
        name_en="18-44, May 2021 (example)",
        name_hi="18-44, मई 2021 (उदाहरण)",
        min_age=18,
        max_age=44,
        starts_on=datetime.date(2021, 5, 1),
        ends_on=datetime.date(2021, 5, 31),
        active=False,
    )
    for position, row in enumerate(MAY_2021, start=1):
        name_en, name_hi, share, card, occupation, doc_en, doc_hi = row
        Category.objects.create(
            policy=policy,
            position=position,
            name_en=name_en,
            name_hi=name_hi,
            share=share,
            ration_card=card,
            occupation=occupation,
            document_en=doc_en,
            document_hi=doc_hi,
        )


def remove_example(apps, schema_editor):
    apps.get_model("quotas", "Policy").objects.filter(name_en="18-44, May 2021 (example)").delete()


class Migration(migrations.Migration):
    dependencies = [("quotas", "0001_initial")]

    operations = [migrations.RunPython(add_example, remove_example)]
