"""Demo data: centres, a week of published sessions, and registrations.

Deterministic for a seed: the same seed on an empty database gives the same
rows. Registrations are written in chunks (COPY on PostgreSQL, bulk_create
elsewhere) so a million of them take a minute or two, not an hour.
"""

import csv
import datetime
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from districts.models import Area, District, Locality
from registrations import ids
from registrations.models import Account, PriorityGroup, Registration
from slots.models import Centre, Session, Vaccine

FIRST_NAMES_F = "Sunita Anita Kavita Rekha Geeta Savitri Lata Meena Pushpa Radha Sarita Usha Kiran Jyoti Pooja Priya Neha Shanti Kamla Durga".split()  # noqa: E501
FIRST_NAMES_M = "Ramesh Suresh Mahesh Rajesh Dinesh Santosh Manoj Anil Sunil Vijay Rakesh Ashok Mukesh Lalit Devendra Bhupesh Ajay Raju Shankar Hemant".split()  # noqa: E501
SURNAMES = "Sahu Verma Patel Yadav Sinha Netam Markam Kashyap Dhruw Nishad Sharma Tiwari Mishra Chandrakar Kurre Tandon Banjare Kanwar Painkra Sori".split()  # noqa: E501
# People per locality, to weigh districts that Census 2011 did not yet have.
PEOPLE_PER_LOCALITY = 1200
CHUNK = 20_000


@dataclass
class SeedResult:
    centres: int
    sessions: int
    accounts: int
    registrations: int


def _district_weights(rng: random.Random) -> list[tuple[int, list[int], int]]:
    """(district, its locality ids, weight). Census 2011 population where known
    (at 2011 boundaries, so parents of newer districts weigh a little heavy:
    inexact, and fine for demo data); otherwise localities x a typical size."""
    weights = []
    for district in District.objects.order_by("pk"):
        locality_ids = list(
            Locality.objects.filter(area__district=district)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        weight = district.population_2011 or len(locality_ids) * PEOPLE_PER_LOCALITY
        weights.append((district.pk, locality_ids, weight))
    return weights


def _spread(total: int, weights: list[int]) -> list[int]:
    """Splits total in proportion to weights, exactly (largest remainders)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def seed_centres(rng: random.Random, *, days: int, capacity: int) -> tuple[int, int]:
    """A centre in every block and town that has localities, and a published
    dose-1 session there on each of the coming `days` days."""
    centres = []
    for area in Area.objects.order_by("pk").prefetch_related("localities"):
        localities = sorted(area.localities.all(), key=lambda loc: loc.pk)
        if not localities:
            continue
        locality = rng.choice(localities)
        prefix = "PHC" if area.kind == Area.Kind.BLOCK else "UPHC"
        centres.append(
            Centre(
                district_id=area.district_id,
                area=area,
                locality=locality,
                name=f"{prefix} {locality.name}",
                address=f"{locality.name}, {area.name_en.title()}",
                pincode=locality.pincode,
            )
        )
    Centre.objects.bulk_create(centres, batch_size=1000)
    today = timezone.localdate()
    sessions = [
        Session(
            centre=centre,
            district_id=centre.district_id,
            date=today + datetime.timedelta(days=day),
            vaccine=Vaccine.COVISHIELD if i % 3 else Vaccine.COVAXIN,
            dose=1,
            min_age=18,
            capacity=capacity,
            published=True,
        )
        for i, centre in enumerate(Centre.objects.order_by("pk"))
        for day in range(1, days + 1)
    ]
    Session.objects.bulk_create(sessions, batch_size=2000)
    return len(centres), len(sessions)


def _person(rng: random.Random, today: datetime.date) -> dict:
    gender = rng.choices("FMO", weights=[495, 500, 5])[0]
    first = rng.choice(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M)
    age = int(rng.triangular(18, 90, 30))
    if rng.random() < 0.03:
        priority = PriorityGroup.HEALTH_WORKER
    elif rng.random() < 0.04:
        priority = PriorityGroup.FRONTLINE_WORKER
    elif age >= 60:
        priority = PriorityGroup.AGED_60_PLUS
    elif age >= 45 and rng.random() < 0.2:
        priority = PriorityGroup.AGED_45_COMORBID
    else:
        priority = PriorityGroup.EVERYONE
    return {
        "name": f"{first} {rng.choice(SURNAMES)}",
        "gender": gender,
        "birth_year": today.year - age,
        "priority": int(priority),
    }


def _registration_rows(
    rng: random.Random, total: int, start_serial: int
) -> Iterator[tuple[dict, int]]:
    """(fields, account serial) for each person; accounts hold one to four."""
    today = timezone.localdate()
    now = timezone.now()
    weights = _district_weights(rng)
    counts = _spread(total, [w for _, _, w in weights])
    serial = start_serial
    account, seat, seats = start_serial, 0, 0
    locality_area = dict(Locality.objects.values_list("pk", "area_id"))
    previous: dict | None = None
    on_account: set[tuple[str, int]] = set()
    for (district_id, locality_ids, _), count in zip(weights, counts, strict=True):
        for _ in range(count):
            if seat >= seats:
                account, seat, seats = account + 1, 0, rng.choice([1, 1, 2, 2, 3, 4])
                on_account = set()
            seat += 1
            serial += 1
            person = _person(rng, today)
            while (person["name"].lower(), person["birth_year"]) in on_account:
                person = _person(rng, today)
            locality_id = rng.choice(locality_ids)
            near_duplicate = previous and previous["district_id"] == district_id
            if near_duplicate and seat == 1 and rng.random() < 0.005:
                # A deliberate near-duplicate on another mobile: same name, year
                # and place, another ID (what the officials' duplicate view finds).
                person.update(name=previous["name"], birth_year=previous["birth_year"])
                locality_id = previous["locality_id"]
            on_account.add((person["name"].lower(), person["birth_year"]))
            at = now - datetime.timedelta(seconds=rng.randrange(14 * 24 * 3600))
            voter_id = f"CG{chr(65 + serial % 26)}{serial:07d}"
            previous = {
                **person,
                "locality_id": locality_id,
                "district_id": district_id,
                "area_id": locality_area[locality_id],
                "seat": seat,
                "reference": ids.reference_for_serial(serial),
                "id_type": "VOTER",
                "id_hash": ids.hash_id_number("VOTER", voter_id),
                "id_last4": ids.id_last4(voter_id),
                "registered_at": at,
                "queue_at": at,
            }
            yield previous, account


def _mobile(serial: int) -> str:
    return f"+9170{serial:08d}"


def _copy_rows(model, columns: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buffer.seek(0)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )


def _write_accounts(serials: list[int]) -> dict[int, int]:
    Account.objects.bulk_create(
        [Account(mobile=_mobile(s), language="hi" if s % 3 else "en") for s in serials],
        batch_size=5000,
    )
    mobiles = {_mobile(s): s for s in serials}
    found = Account.objects.filter(mobile__in=list(mobiles)).values_list("mobile", "pk")
    return {mobiles[str(m)]: pk for m, pk in found}


def _write_registrations(chunk: list[tuple[dict, int]]) -> None:
    account_ids = _write_accounts(sorted({a for _, a in chunk}))
    rows = [{**fields, "account_id": account_ids[a]} for fields, a in chunk]
    defaults = {"status": "waiting", "doses_received": 0, "no_show_count": 0, "address_line": "",
                "pincode": "", "last_vaccine": "", "no_mobile_reason": ""}  # fmt: skip
    if connection.vendor == "postgresql":
        columns = list(rows[0]) + list(defaults)
        table = [tuple(r[c] for c in rows[0]) + tuple(defaults.values()) for r in rows]
        _copy_rows(Registration, [Registration._meta.get_field(c).column for c in columns], table)
    else:
        Registration.objects.bulk_create(
            [Registration(**r, **defaults) for r in rows], batch_size=2000
        )


def seed_registrations(rng: random.Random, total: int) -> int:
    start = Account.objects.count()
    chunk: list[tuple[dict, int]] = []
    for row in _registration_rows(rng, total, start):
        chunk.append(row)
        if len(chunk) >= CHUNK and row[0]["seat"] == 1:
            # Cut between accounts, so an account's people land together.
            *done, last = chunk
            _write_registrations(done)
            chunk = [last]
    if chunk:
        _write_registrations(chunk)
    return total


def seed_demo(
    *, registrations: int, seed: int, days: int = 7, capacity: int | None = None
) -> SeedResult:
    rng = random.Random(seed)
    with transaction.atomic():
        centre_count = Area.objects.filter(localities__isnull=False).distinct().count()
        capacity = capacity or max(1, registrations // (2 * centre_count * days))
        centres, sessions = seed_centres(rng, days=days, capacity=capacity)
        seed_registrations(rng, registrations)
    return SeedResult(centres, sessions, Account.objects.count(), Registration.objects.count())
