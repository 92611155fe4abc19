"""A paper list typed the way a block office types it, imported through a
real Celery worker on PostgreSQL, as an official does it: upload, then never
look at the page again (the tab closed) until the work is done.

- every bad row is reported once, with its spreadsheet row number and why;
- villages with brackets are found as written, misspellings get suggestions;
- a confirmation that meets a row changed since the preview writes nothing;
- a good one writes exactly the rows it says (counted here with plain SQL);
- no whole ID number reaches the database, the broker, the cache or the log.

The oracles: python-stdnum makes the good Aadhaar numbers and says which are
bad, the shared data file names the villages, plain SQL counts."""

import base64
import csv
import io
import json
import time
from pathlib import Path

import openpyxl
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from stdnum import verhoeff
from stdnum.in_ import aadhaar as stdnum_aadhaar

from districts import roles
from districts.models import Area
from registrations.models import ImportJob
from tests import factories
from tests.workers import start_worker, stop_worker, wait_for

from . import imports
from .conftest import staff_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

DATA = Path(__file__).resolve().parents[2] / "districts" / "data" / "localities.csv"
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
HEADER = [
    "Name / नाम",
    "GENDER",
    "birth_year",
    "id_type",
    "ID Number",
    "mobile",
    "priority",
    "district",
    "block_or_town",
    "village_or_ward",
    "registered_on",
]


def aadhaar(n: int) -> str:
    body = f"{62340000000 + n:011d}"
    number = body + verhoeff.calc_check_digit(body)
    assert stdnum_aadhaar.is_valid(number)
    return number


def _bracketed_villages(block_lgd: str) -> list[str]:
    with open(DATA, encoding="utf-8", newline="") as f:
        names = [
            row["locality_name"]
            for row in csv.DictReader(f)
            if row["block_lgd_code"] == block_lgd and "(" in row["locality_name"]
        ]
    # Names whose part before the brackets is the block's only one, so the
    # short spelling names one village too.
    bases = [n.split(" (")[0].casefold() for n in names]
    return sorted(n for n in names if bases.count(n.split(" (")[0].casefold()) == 1)


@pytest.fixture
def official(raipur, role_groups):
    return staff_user("list-official", roles.DISTRICT_OFFICIAL, raipur)


@pytest.fixture
def place(raipur):
    block = raipur.areas.get(name_en__iexact="Abhanpur", kind=Area.Kind.BLOCK)
    villages = _bracketed_villages(str(block.lgd_code))
    return block, villages


@pytest.fixture
def worker():
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL")
    redis.Redis.from_url(settings.REDIS_URL).delete("celery")  # stale tasks of earlier runs
    process = None

    def start():
        nonlocal process
        process = start_worker(settings.REDIS_URL)
        return process

    yield start
    if process is not None:
        stop_worker(process)


def _row(block, village, n, **changes) -> list:
    row = {
        "name": f"Listed {n}",
        "gender": "f",
        "birth_year": 1960 + n % 40,
        "id_type": "aadhaar",
        "id_number": aadhaar(n),
        "mobile": f"98765{n:05d}",
        "priority": 5,
        "district": "raipur",
        "block": block.name_en.upper(),
        "village": village,
        "registered_on": f"{1 + n % 28:02d}/05/2021",
    }
    row.update(changes)
    return list(row.values())


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _job_status(job_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM registrations_importjob WHERE id = %s", [job_id])
        return cursor.fetchone()[0]


def _registrations(name_like: str = "%") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registrations_registration WHERE name LIKE %s", [name_like]
        )
        return cursor.fetchone()[0]


def _uploaded(client, content: bytes) -> int:
    response = imports.upload(client, content, imports.XLSX, check=False)
    assert response.status_code == 302, response.content.decode()[-3000:]
    return imports.job_id_of(response.url)


def _await(job_id: int, status: str, process) -> None:
    done = wait_for(lambda: _job_status(job_id) in (status, "failed"), seconds=120)
    if not done or _job_status(job_id) != status:
        log = process.stderr.read1().decode() if process.poll() is not None else ""
        pytest.fail(f"job {job_id} is {_job_status(job_id)}, not {status} {log}")


def _unwrapped(message: bytes) -> bytes:
    """A broker message with its base64 body decoded beside it."""
    try:
        body = json.loads(message).get("body", "")
        return message + base64.b64decode(body)
    except (ValueError, AttributeError):
        return message


def _redis_text() -> str:
    """Everything the test's Redis holds: broker queues and the cache."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for key in client.scan_iter("*"):
        kind = client.type(key)
        if kind == b"string":
            found.append(client.get(key))
        elif kind == b"list":
            found += [_unwrapped(item) for item in client.lrange(key, 0, -1)]
        elif kind == b"hash":
            found += list(client.hgetall(key).values())
        elif kind == b"zset":
            found += client.zrange(key, 0, -1)
        elif kind == b"set":
            found += list(client.smembers(key))
    return "\n".join(repr(value) for value in found)


def test_a_messy_list_is_checked_by_the_worker_each_fault_once_by_its_row(
    client, settings, official, place, worker, raipur_village
):
    # Read by the web process's thread after the request, as a big list is.
    settings.TEEKA_IMPORT_READ_IN_REQUEST_BYTES = 0
    block, villages = place
    good_village = villages[0]
    # One letter dropped: no such village, but the nearest are named.
    misspelt = good_village.replace(good_village[1], "", 1)
    existing = factories.make_registration(
        locality=raipur_village, id_type="AADHAAR", id_number=aadhaar(90)
    )
    rows = [
        # Row 2 on: good rows, typed every which way.
        _row(block, good_village, 1),
        _row(block, good_village.upper(), 2, name="कमला बाई"),
        _row(block, good_village.split(" (")[0], 3, id_number=aadhaar(3).translate(DEVANAGARI)),
        _row(block, villages[1], 4, mobile="", gender="महिला"),
        # Row 6: a blank row, left out; the rows after it keep their numbers.
        [None] * len(HEADER),
        _row(block, good_village, 5, id_number=aadhaar(5)[:-1] + "0"),  # 7: bad check digit
        _row(block, good_village, 6, birth_year="19"),  # 8: bad year
        _row(block, good_village, 7, registered_on="31/13/2021"),  # 9: no such day
        _row(block, misspelt, 8),  # 10: misspelt village
        _row(block, good_village, 9, mobile="0771-2234567"),  # 11: a landline
        _row(block, good_village, 10, name=""),  # 12: a blank name
        _row(block, good_village, 11, id_type="library card"),  # 13: unknown ID type
        _row(block, good_village, 12, id_number=aadhaar(1)),  # 14: same ID as row 2
        _row(block, good_village, 13, id_number=aadhaar(90)),  # 15: already registered
        _row(block, good_village, 14, gender="x"),  # 16: bad gender
    ]
    bad = {
        7: "id_number",
        8: "birth_year",
        9: "registered_on",
        10: "village_or_ward",
        11: "mobile",
        12: "name",
        13: "id_type",
        16: "gender",
    }
    assert not stdnum_aadhaar.is_valid(aadhaar(5)[:-1] + "0")
    client.force_login(official)
    job_id = _uploaded(client, _xlsx(rows))
    assert wait_for(lambda: _job_status(job_id) == "queued", seconds=90), _job_status(job_id)

    # Before any worker runs, the task waits in the broker: it names the job,
    # not the list, and no whole ID number is anywhere but the official's file.
    numbers = [aadhaar(n) for n in range(1, 15)]
    held = _redis_text()
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM registrations_importjob t")
        held += cursor.fetchone()[0]
    assert "check_import" in held
    assert [n for n in numbers if n in held or n.translate(DEVANAGARI) in held] == []

    # The official closes the tab: nobody polls the page from here on.
    process = worker()
    _await(job_id, "checked", process)

    page = client.get(reverse("admin:registrations_registration_import_job", args=[job_id]))
    invalid = imports.invalid(page)
    assert {row: list(columns) for row, columns in invalid.items()} == {
        row: [column] for row, column in bad.items()
    }
    suggestion = " ".join(invalid[10]["village_or_ward"])
    assert "Nearest:" in suggestion and good_village in suggestion
    assert "day/month/year" in " ".join(invalid[9]["registered_on"])
    skipped = page.context["report"]["skipped"]
    assert len(skipped) == 2
    assert any(s.startswith("Row 14: the same ID is on row 2") for s in skipped), skipped
    assert any(s.startswith("Row 15:") and existing.display_reference in s for s in skipped)
    assert page.context["report"]["new"] == 4  # rows 2 to 5, bracketed villages found
    assert not page.context["can_confirm"]
    assert _registrations("Listed %") == 0 and _registrations("कमला%") == 0
    page_text = page.content.decode()
    assert [n for n in numbers if n in page_text] == []
    process.terminate()
    process.wait(timeout=20)
    assert [n for n in numbers if n in process.stderr.read().decode()] == []


def test_a_confirmation_writes_all_or_nothing_and_counts_what_it_wrote(
    client, official, place, worker, raipur_village
):
    block, villages = place
    rows = [_row(block, villages[n % 3], n) for n in range(20, 60)]
    rows.append(_row(block, villages[0], 61, id_number=aadhaar(20)))  # skipped: row 2's ID
    content = _xlsx(rows)
    client.force_login(official)
    before = _registrations()
    process = worker()

    job_id = _uploaded(client, content)
    _await(job_id, "checked", process)
    page = client.get(reverse("admin:registrations_registration_import_job", args=[job_id]))
    assert page.context["can_confirm"] and page.context["report"]["new"] == 40
    # Meanwhile four people register on row 12's mobile: its account is full.
    account = factories.make_account(mobile=f"+9198765{30:05d}")
    for seat in range(1, 5):
        factories.make_registration(locality=raipur_village, account=account, seat=seat)
    before = _registrations()
    confirmed = client.post(
        reverse("admin:registrations_registration_import_confirm", args=[job_id])
    )
    assert confirmed.status_code == 302
    _await(job_id, "refused", process)
    assert _registrations() == before
    page = client.get(confirmed.url)
    refused = page.context["report"]["refused"]
    assert len(refused) == 1 and refused[0].startswith("Row 12:"), refused
    assert "Nothing was written" in page.content.decode()

    # The same list again, once that mobile's row is corrected.
    rows[10] = _row(block, villages[1], 30, mobile="9876512345")
    job_id = _uploaded(client, _xlsx(rows))
    _await(job_id, "checked", process)
    client.post(reverse("admin:registrations_registration_import_confirm", args=[job_id]))
    started = time.monotonic()
    _await(job_id, "done", process)
    assert time.monotonic() - started < 120
    assert _registrations() == before + 40
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registrations_registration r"
            " JOIN districts_locality l ON l.id = r.locality_id"
            " WHERE r.name LIKE 'Listed %%' AND l.name = ANY(%s) AND r.created_by_id = %s",
            [villages[:3], official.pk],
        )
        assert cursor.fetchone()[0] == 40
    page = client.get(reverse("admin:registrations_registration_import_job", args=[job_id]))
    said = page.content.decode()
    assert "40 people registered from the list; 1 row skipped as already registered." in said
    assert ImportJob.objects.get(pk=job_id).rows is None


def test_a_big_file_that_is_no_spreadsheet_says_so_on_its_page(client, settings, official):
    # Read after the request has answered (a big file): the job says what went wrong.
    settings.TEEKA_IMPORT_READ_IN_REQUEST_BYTES = 0
    client.force_login(official)
    job_id = _uploaded(client, b"this is not a spreadsheet" * 100)
    assert wait_for(lambda: _job_status(job_id) == "failed", seconds=60), _job_status(job_id)
    page = client.get(reverse("admin:registrations_registration_import_job", args=[job_id]))
    assert "The file could not be read as a spreadsheet." in page.content.decode()
    assert not page.context["running"] and not page.context["can_confirm"]
