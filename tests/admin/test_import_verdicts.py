"""The preview of a paper list says what its confirmation will do: the rows
it refuses (an account that would hold more than TEEKA_MAX_PEOPLE_PER_ACCOUNT
people, the same person twice on a mobile) are the rows the confirmation
refuses, the rows it would write are the rows written, and the preview
itself writes nothing. Counted here with plain SQL."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from registrations import import_jobs, import_plan
from registrations.models import ImportJob, Registration
from tests import factories

from . import imports
from .test_import import HEADER, _line, aadhaar

pytestmark = pytest.mark.django_db

FULL = "An account can hold up to 4 people. Use another mobile number for more."
SAME = "A person with this name and year of birth is already on your account."


def _count(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _registrations() -> int:
    return _count("SELECT count(*) FROM registrations_registration")


def _accounts() -> int:
    return _count("SELECT count(*) FROM registrations_account")


def _seats(mobile: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.seat FROM registrations_registration r"
            " JOIN registrations_account a ON a.id = r.account_id"
            " WHERE a.mobile = %s AND r.seat IS NOT NULL ORDER BY r.seat",
            [mobile],
        )
        return [seat for (seat,) in cursor.fetchall()]


def _confirm_anyway(job_id: int) -> dict:
    """Runs the confirmation of a preview that found faults (the official
    cannot press the button; this asks what the confirmation would say)."""
    assert ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.WRITING) == 1
    import_jobs.write_rows(job_id)
    return ImportJob.objects.get(pk=job_id).report


def _refused_rows(report: dict) -> dict[int, str]:
    said = {}
    for line in report["refused"]:
        row, _sep, why = line.partition(": ")
        said[int(row.removeprefix("Row "))] = why
    return said


def test_an_account_that_would_go_over_its_seats_is_refused_alike_by_preview_and_confirmation(
    client, raipur_official, raipur_village
):
    assert settings.TEEKA_MAX_PEOPLE_PER_ACCOUNT == 4
    mobile = "9876500040"
    account = factories.make_account(mobile=f"+91{mobile}")
    for seat in (1, 2):
        factories.make_registration(locality=raipur_village, account=account, seat=seat)
    # Withdrawn: holds no seat.
    factories.make_registration(
        locality=raipur_village, account=account, seat=None, status="withdrawn"
    )
    text = HEADER + "".join(
        _line(raipur_village, name=f"Family {n}", number=aadhaar(40 + n), mobile=mobile)
        for n in range(3)
    )
    client.force_login(raipur_official)
    before = (_registrations(), _accounts())
    preview = imports.upload(client, text)
    # Seats 3 and 4 are free: rows 2 and 3 fit, row 4 is one too many.
    assert {row: errors[""] for row, errors in imports.invalid(preview).items()} == {4: [FULL]}
    assert preview.context["report"]["new"] == 2
    assert (_registrations(), _accounts()) == before

    report = _confirm_anyway(preview.context["job"].pk)
    assert _refused_rows(report) == {4: FULL}
    assert _registrations() == before[0] and _seats(f"+91{mobile}") == [1, 2]


def test_the_same_person_twice_on_a_mobile_is_refused_alike_by_preview_and_confirmation(
    client, raipur_official, raipur_village
):
    withdrawn_mobile, new_mobile = "9876500051", "9876500052"
    account = factories.make_account(mobile=f"+91{withdrawn_mobile}")
    # A withdrawn person gives up their seat, not their place on the account.
    factories.make_registration(
        locality=raipur_village,
        account=account,
        seat=None,
        status="withdrawn",
        name="Sita Bai",
        birth_year=1970,
    )
    text = (
        HEADER
        + _line(raipur_village, name="Sita Bai", number=aadhaar(51), mobile=withdrawn_mobile)
        + _line(raipur_village, name="Gita Sahu", number=aadhaar(52), mobile=new_mobile)
        + _line(raipur_village, name="GITA  sahu", number=aadhaar(53), mobile=new_mobile)
        + _line(raipur_village, name="Gita Sahu", year=1971, number=aadhaar(54), mobile=new_mobile)
    )
    client.force_login(raipur_official)
    before = (_registrations(), _accounts())
    preview = imports.upload(client, text)
    refused = {row: errors[""] for row, errors in imports.invalid(preview).items()}
    assert refused == {2: [SAME], 4: [SAME]}
    assert preview.context["report"]["new"] == 2
    assert (_registrations(), _accounts()) == before

    report = _confirm_anyway(preview.context["job"].pk)
    assert _refused_rows(report) == {2: SAME, 4: SAME}
    assert (_registrations(), _accounts()) == before


def test_what_the_preview_would_write_is_what_the_confirmation_writes(
    client, raipur_official, raipur_village
):
    mobile = "9876500060"
    account = factories.make_account(mobile=f"+91{mobile}")
    factories.make_registration(locality=raipur_village, account=account, seat=2)
    lines = [
        _line(raipur_village, name=f"Listed {n}", number=aadhaar(60 + n), mobile=mobile)
        for n in range(3)
    ]
    lines.append(_line(raipur_village, name="No Mobile", number=aadhaar(64), mobile=""))
    # The same ID as row 2: skipped, not refused.
    lines.append(_line(raipur_village, name="Again", number=aadhaar(60), mobile="9876500069"))
    client.force_login(raipur_official)
    preview = imports.upload(client, HEADER + "".join(lines))
    assert preview.context["can_confirm"] and preview.context["report"]["new"] == 4
    before = _registrations()

    page = imports.confirm(client, preview)
    assert page.context["job"].status == "done"
    assert _registrations() == before + 4
    # The account's free seats, 1, 3 and 4, taken in the list's order.
    assert _seats(f"+91{mobile}") == [1, 2, 3, 4]
    assert (
        _count(
            "SELECT count(*) FROM registrations_historicalregistration h"
            " WHERE h.history_type = '+' AND h.history_change_reason = 'Imported from a paper list'"
            " AND h.name LIKE 'Listed %%' AND h.created_by_id = %s",
            [raipur_official.pk],
        )
        == 3
    )
    # Registered on the day the list gives, in the queue from then.
    assert (
        _count(
            "SELECT count(*) FROM registrations_registration WHERE name LIKE 'Listed %%'"
            " AND registered_at = queue_at AND registered_at::date = '2021-05-01'"
        )
        == 3
    )
    assert _count("SELECT count(*) FROM registrations_account WHERE mobile = '+919876500069'") == 0
    said = page.context["report"]["message"]
    assert said == "4 people registered from the list; 1 row skipped as already registered."


def test_an_id_a_citizen_registers_after_the_preview_is_skipped_by_the_confirmation(
    client, raipur_official, raipur_village
):
    text = (
        HEADER
        + _line(raipur_village, name="Asha", number=aadhaar(71), mobile="9876500071")
        + _line(raipur_village, name="Ramesh", number=aadhaar(72), mobile="9876500072")
    )
    client.force_login(raipur_official)
    preview = imports.upload(client, text)
    assert preview.context["report"]["new"] == 2
    factories.make_registration(locality=raipur_village, id_type="AADHAAR", id_number=aadhaar(72))
    before = _registrations()
    page = imports.confirm(client, preview)
    assert _registrations() == before + 1
    assert _count("SELECT count(*) FROM registrations_registration WHERE name = 'Ramesh'") == 0
    said = page.context["report"]["message"]
    assert said == "1 person registered from the list; 1 row skipped as already registered."


def test_a_row_the_database_refuses_after_the_check_is_named_and_nothing_is_written(
    client, raipur_official, raipur_village, monkeypatch
):
    mobile = "9876500080"
    text = (
        HEADER
        + _line(raipur_village, name="First", number=aadhaar(81), mobile="9876500081")
        + _line(raipur_village, name="Second", number=aadhaar(82), mobile=mobile)
    )
    client.force_login(raipur_official)
    preview = imports.upload(client, text)
    assert preview.context["can_confirm"]
    account = factories.make_account(mobile=f"+91{mobile}")
    for seat in range(1, 5):
        factories.make_registration(locality=raipur_village, account=account, seat=seat)
    # The confirmation's check does not see those four (as if they came in
    # between its check and its write): the database refuses the page.
    monkeypatch.setattr(import_plan, "_people_on", lambda account_ids: iter(()))
    before = (_registrations(), _accounts())
    page = imports.confirm(client, preview)
    assert page.context["job"].status == "refused"
    assert page.context["report"]["refused"] == [f"Row 3: {FULL}"]
    assert (_registrations(), _accounts()) == before


def test_a_big_upload_whose_web_process_died_while_reading_is_told_as_given_up(
    client, settings, raipur_official, raipur_village
):
    # A big file is read by a thread that starts once the request has
    # committed; in this test's transaction it never does: as if the web
    # process died before the thread could store the rows.
    settings.TEEKA_IMPORT_READ_IN_REQUEST_BYTES = 0
    client.force_login(raipur_official)
    before = _registrations()
    response = imports.upload(client, HEADER + _line(raipur_village), check=False)
    assert response.status_code == 302
    job_id = imports.job_id_of(response.url)
    page = client.get(response.url)
    assert page.status_code == 200 and page.context["running"]

    # Later than READING_GIVEN_UP_SECONDS: the page says the import stopped.
    long_ago = timezone.now() - datetime.timedelta(seconds=import_jobs.READING_GIVEN_UP_SECONDS + 1)
    ImportJob.objects.filter(pk=job_id).update(created_at=long_ago)
    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["given_up"] and not page.context["running"]
    assert not page.context["can_confirm"]
    assert "The import stopped with an error and wrote nothing." in page.content.decode()
    assert client.get(reverse("admin:registrations_registration_import_jobs")).status_code == 200
    pressed = client.post(reverse("admin:registrations_registration_import_confirm", args=[job_id]))
    assert pressed.status_code == 302
    assert _registrations() == before
    assert _count("SELECT rows IS NULL FROM registrations_importjob WHERE id = %s", [job_id])


def test_a_name_longer_than_its_column_is_refused_by_the_preview_as_by_the_confirmation(
    client, raipur_official, raipur_village
):
    long_name = "Kamla " + "Bai" * 35  # 111 letters; the column takes 100
    text = (
        HEADER
        + _line(raipur_village, name="Asha", number=aadhaar(91), mobile="9876500091")
        + _line(raipur_village, name=long_name, number=aadhaar(92), mobile="9876500092")
    )
    client.force_login(raipur_official)
    before = (_registrations(), _accounts())
    preview = imports.upload(client, text)
    refused = imports.invalid(preview)
    assert list(refused) == [3] and list(refused[3]) == ["name"], refused
    assert "at most 100 characters (it has 111)" in refused[3]["name"][0]
    assert preview.context["report"]["new"] == 1

    report = _confirm_anyway(preview.context["job"].pk)
    assert list(_refused_rows(report)) == [3]
    assert (_registrations(), _accounts()) == before


def test_a_nul_typed_in_a_cell_is_left_out_rather_than_failing_the_confirmation(
    client, raipur_official, raipur_village
):
    text = HEADER + _line(raipur_village, name="Asha\x00 Bai", number=aadhaar(95))
    client.force_login(raipur_official)
    preview = imports.upload(client, text)
    assert preview.context["can_confirm"]
    assert imports.confirm(client, preview).context["job"].status == "done"
    assert _count("SELECT count(*) FROM registrations_registration WHERE name = 'Asha Bai'") == 1


def test_references_already_taken_are_drawn_again_by_the_confirmation(
    client, raipur_official, raipur_village, monkeypatch
):
    taken = factories.make_registration(locality=raipur_village)
    text = HEADER + "".join(
        _line(raipur_village, name=f"Drawn {n}", number=aadhaar(100 + n), mobile=f"98765001{n:02d}")
        for n in range(3)
    )
    client.force_login(raipur_official)
    preview = imports.upload(client, text)
    # Every new registration draws the reference someone holds already.
    field = Registration._meta.get_field("reference")
    monkeypatch.setattr(field, "_get_default", lambda: taken.reference)
    before = _registrations()
    page = imports.confirm(client, preview)
    assert page.context["job"].status == "done", page.context["report"]
    assert _registrations() == before + 3
    assert _count("SELECT count(DISTINCT reference) FROM registrations_registration") == before + 3


def test_the_page_counts_rows_checked_written_and_refused_as_the_worker_goes(
    client, raipur_official, raipur_village, monkeypatch
):
    text = HEADER + "".join(
        _line(raipur_village, name=f"Counted {n}", number=aadhaar(120 + n), mobile="")
        for n in range(5)
    )
    bad = HEADER + _line(raipur_village, name="Bad", year=20, number=aadhaar(130))
    told: list[dict] = []
    real_set = import_jobs.cache.set

    def remember(key, value, *args, **kwargs):
        if key.startswith("teeka:import-progress:"):
            told.append(dict(value))
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(import_jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(import_jobs.cache, "set", remember)
    client.force_login(raipur_official)
    preview = imports.upload(client, text + bad.removeprefix(HEADER))
    assert preview.context["progress"] == {"checked": 6, "written": 0, "errors": 1}
    # On the way: every second row checked, then the last.
    assert [t["checked"] for t in told] == [2, 4, 6, 6]
    assert told[-1]["errors"] == 1

    preview = imports.upload(client, text)
    told.clear()
    page = imports.confirm(client, preview)
    assert page.context["progress"] == {"checked": 5, "written": 5, "errors": 0}
    assert told[-1] == {"checked": 5, "written": 5, "errors": 0}
    assert max(t["written"] for t in told[:-1]) == 5


# Every rule the database keeps on a registration or an account, by name,
# and how the import's plan (registrations.import_plan) knows it before
# writing. The preview no longer writes, so a rule the plan does not know
# would pass the preview and refuse the confirmation: a constraint added to
# these tables fails this test until the plan (and this list) say how.
KNOWN_TO_THE_PLAN = {
    "registrations_registration": {
        "account_has_four_seats": "seats worked out per account",
        "account_registration_has_seat": "a full account refused",
        "account_seat_unique": "seats worked out per account",
        "at_most_two_doses": "a new person has no dose",
        "birth_year_plausible": "the year of birth read by the resource",
        "fully_vaccinated_had_two_doses": "a new person is waiting",
        "one_person_once_per_account": "the same person twice refused",
        "one_registration_per_id": "an ID registered or earlier in the file skipped",
        "registration_area_in_district": "places found within the district",
        "registration_locality_in_area": "places found within the block",
        "registration_reference_unique": "references taken drawn again",
        "registrations_registration_birth_year_check": "the year of birth read",
        "registrations_registration_doses_received_check": "a new person has no dose",
        "registrations_registration_no_show_count_check": "a new person has none",
        "registrations_registration_pkey": "the database numbers rows",
        "registrations_registration_priority_check": "the group read by the resource",
        "registrations_registration_seat_check": "seats worked out per account",
    },
    "registrations_account": {},
}


@pytest.mark.parametrize("table", sorted(KNOWN_TO_THE_PLAN))
def test_every_rule_of_the_database_is_known_to_the_plan(table):
    with connection.cursor() as cursor:
        # Checks, unique and primary keys, foreign keys of more than one
        # column (the places: the village in the block, the block in the
        # district; a single-column key only names a row that exists), and
        # unique indexes that are not constraints.
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass"
            " AND (contype <> 'f' OR cardinality(conkey) > 1)"
            " UNION SELECT indexname FROM pg_indexes WHERE tablename = %s"
            " AND indexdef LIKE 'CREATE UNIQUE%%'",
            [table, table],
        )
        rules = {name for (name,) in cursor.fetchall()}
    known = set(KNOWN_TO_THE_PLAN[table])
    if table == "registrations_account":
        # An account is found or made by its mobile (INSERT ... ON CONFLICT).
        known |= {n for n in rules if "pkey" in n or "mobile" in n}
    assert rules - known == set(), "rules the import's preview does not check"
