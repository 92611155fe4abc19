"""Importing a district's paper list: a dry-run preview first, every bad row
reported with its line and reason, duplicates skipped, nothing written until
the official confirms, and nothing at all if the confirmed import fails."""

import pytest
from stdnum import verhoeff

from registrations.models import Registration

from .. import factories
from . import imports

pytestmark = pytest.mark.django_db

HEADER = (
    "name,gender,birth_year,id_type,id_number,mobile,priority,district,"
    "block_or_town,village_or_ward,registered_on\n"
)


def aadhaar(n: int) -> str:
    # Made by python-stdnum, the oracle; the body ends in 1: never a palindrome.
    body = f"{2341000000 + n:010d}1"
    return body + verhoeff.calc_check_digit(body)


def _line(
    locality, *, name="Asha Bai", year=1970, id_type="AADHAAR", number=None, mobile="9876500001"
):
    area = locality.area
    place = f"{area.district.name_en},{area.name_en},{locality.name}"
    return f"{name},F,{year},{id_type},{number or aadhaar(1)},{mobile},5,{place},2021-05-01\n"


def _upload(client, text: str):
    return imports.upload(client, text)


def _confirm(client, preview):
    return imports.confirm(client, preview)


def test_a_clean_file_is_previewed_then_written_only_on_confirmation(
    client, raipur_official, raipur_village
):
    client.force_login(raipur_official)
    text = (
        HEADER
        + _line(raipur_village)
        + _line(raipur_village, name="Ramesh", number=aadhaar(2), mobile="")
    )
    preview = _upload(client, text)
    assert preview.context["can_confirm"]
    assert not Registration.objects.filter(name__in=["Asha Bai", "Ramesh"]).exists()
    assert _confirm(client, preview).context["job"].status == "done"
    asha = Registration.objects.get(name="Asha Bai")
    assert (
        asha.created_by == raipur_official and asha.registered_at.date().isoformat() == "2021-05-01"
    )
    assert Registration.objects.get(name="Ramesh").no_mobile_reason


def test_bad_rows_are_reported_with_line_and_reason_and_block_the_import(
    client, raipur_official, raipur_village
):
    client.force_login(raipur_official)
    text = (
        HEADER
        + _line(raipur_village)
        + _line(raipur_village, name="Bad Year", year=20, number=aadhaar(3))
        + _line(raipur_village, name="Bad Id", number="123412341234")
    )
    preview = _upload(client, text)
    invalid = imports.invalid(preview)
    # Spreadsheet rows: the header is row 1.
    assert set(invalid) == {3, 4}
    assert "birth_year" in invalid[3] and "id_number" in invalid[4]
    assert not preview.context["can_confirm"]
    assert not Registration.objects.filter(name__in=["Asha Bai", "Bad Year", "Bad Id"]).exists()


def test_duplicates_of_existing_people_and_within_the_file_are_skipped(
    client, raipur_official, raipur_village
):
    existing = factories.make_registration(
        locality=raipur_village, id_type="AADHAAR", id_number=aadhaar(4)
    )
    client.force_login(raipur_official)
    text = (
        HEADER
        + _line(raipur_village, name="Already Here", number=aadhaar(4))
        + _line(raipur_village, name="New One", number=aadhaar(5))
        + _line(raipur_village, name="New One Again", number=aadhaar(5), mobile="9876500002")
    )
    preview = _upload(client, text)
    content = preview.content.decode()
    assert existing.display_reference in content
    assert "Row 4: the same ID is on row 3" in content
    _confirm(client, preview)
    assert Registration.objects.filter(name="New One").count() == 1
    assert not Registration.objects.filter(name__in=["Already Here", "New One Again"]).exists()


def test_an_import_that_fails_on_confirmation_writes_nothing(
    client, raipur_official, raipur_village
):
    client.force_login(raipur_official)
    text = (
        HEADER
        + _line(raipur_village, name="First", number=aadhaar(6))
        + _line(raipur_village, name="Second", number=aadhaar(7), mobile="9876500003")
    )
    preview = _upload(client, text)
    # Between the preview and the confirmation, the second row's mobile fills up.
    account = factories.make_account("+919876500003")
    for seat in range(1, 5):
        factories.make_registration(locality=raipur_village, account=account, seat=seat)
    _confirm(client, preview)
    assert not Registration.objects.filter(name__in=["First", "Second"]).exists()


def test_an_official_cannot_import_into_another_district(client, raipur_official, bastar_village):
    client.force_login(raipur_official)
    preview = _upload(client, HEADER + _line(bastar_village, name="Elsewhere", number=aadhaar(8)))
    assert list(imports.invalid(preview)) == [2]
    assert not Registration.objects.filter(name="Elsewhere").exists()
