"""Small builders for test rows: pass only what the test is about."""

import datetime
import itertools

from django.utils import timezone

from districts.models import Area, Locality
from registrations.models import Account, PriorityGroup, Registration
from slots.models import Centre, Session, Vaccine

_serial = itertools.count(1)


def make_account(mobile: str | None = None, **overrides) -> Account:
    mobile = mobile or f"+9198{next(_serial):08d}"
    return Account.objects.create(mobile=mobile, **overrides)


def make_registration(
    *, locality: Locality, account: Account | None = None, **overrides
) -> Registration:
    n = next(_serial)
    fields = {
        "name": f"Person {n}",
        "gender": "F",
        "birth_year": 1980,
        "priority": PriorityGroup.EVERYONE,
        "district_id": locality.area.district_id,
        "area": locality.area,
        "locality": locality,
        "account": account,
        "seat": 1 if account else None,
    }
    id_number = overrides.pop("id_number", f"ID{n:010d}")
    id_type = overrides.pop("id_type", "VOTER")
    fields.update(overrides)
    registration = Registration(**fields)
    registration.set_id_number(id_type, id_number)
    registration.save()
    return registration


def make_centre(*, locality: Locality, **overrides) -> Centre:
    fields = {
        "district_id": locality.area.district_id,
        "area": locality.area,
        "locality": locality,
        "name": f"PHC {locality.name}",
        "address": f"Main road, {locality.name}",
    }
    fields.update(overrides)
    return Centre.objects.create(**fields)


def make_session(*, centre: Centre, days_ahead: int = 3, **overrides) -> Session:
    fields = {
        "district_id": centre.district_id,
        "date": timezone.localdate() + datetime.timedelta(days=days_ahead),
        "vaccine": Vaccine.COVISHIELD,
        "dose": 1,
        "min_age": 18,
        "capacity": 10,
        "published": True,
    }
    fields.update(overrides)
    return Session.objects.create(centre=centre, **fields)


def first_locality(area: Area) -> Locality:
    return area.localities.order_by("pk").first()
