"""The officials' doors use the same normal form and the same checks as the
citizen's: the paper-list import, assisted registration and the admin search;
numbers stored before in other spellings are found, put right where they can
be, and shown in the possible duplicates with the reason."""

import hashlib
import hmac
import importlib
import random

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from stdnum import luhn, verhoeff
from stdnum.in_ import aadhaar

from registrations import ids
from registrations.models import Account, NormalFormFlag, Registration, SignInCode
from registrations.services import register_person
from tests.registrations.helpers import details

from .. import factories
from . import imports
from .test_import import HEADER, _confirm, _upload

pytestmark = pytest.mark.django_db

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def stdnum_aadhaar_numbers(count: int, seed: int) -> list[str]:
    rng, numbers = random.Random(seed), []
    while len(numbers) < count:
        body = str(rng.randrange(2 * 10**10, 10**11))
        if aadhaar.is_valid(number := body + verhoeff.calc_check_digit(body)):
            numbers.append(number)
    return numbers


def _row(locality, *, name, number, mobile="", id_type="AADHAAR", address="") -> str:
    area = locality.area
    place = f"{area.district.name_en},{area.name_en},{locality.name}"
    return f"{name},F,1970,{id_type},{number},{mobile},5,{place},2021-05-01\n"


def _count_sql(name_like: str = "%") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM registrations_registration WHERE name LIKE %s", [name_like]
        )
        return cursor.fetchone()[0]


# The paper-list import ---------------------------------------------------------


def test_a_paper_list_of_twenty_real_aadhaar_numbers_goes_in_whole(
    client, raipur_official, raipur_village
):
    numbers = stdnum_aadhaar_numbers(20, seed=7)
    rows = [
        _row(
            raipur_village, name=f"Paper Person {i}", number=n.translate(DEVANAGARI) if i % 2 else n
        )
        for i, n in enumerate(numbers)
    ]
    client.force_login(raipur_official)
    preview = _upload(client, HEADER + "".join(rows))
    assert imports.invalid(preview) == {}
    _confirm(client, preview)
    assert _count_sql("Paper Person %") == 20
    last4 = set(Registration.objects.values_list("id_last4", flat=True))
    assert last4 == {n[-4:] for n in numbers}


def test_the_import_dedupes_across_spellings_and_refuses_a_landline(
    client, raipur_official, raipur_village
):
    number, other = stdnum_aadhaar_numbers(2, seed=8)
    register_person(
        account=factories.make_account(), details=details(raipur_village, id_number=number)
    )
    spaced = f"{other[:4]} {other[4:8]} {other[8:]}"
    text = (
        HEADER
        + _row(raipur_village, name="Devanagari Again", number=number.translate(DEVANAGARI))
        + _row(raipur_village, name="Twice In File", number=other)
        + _row(raipur_village, name="Twice Spelt", number=spaced.translate(DEVANAGARI))
    )
    client.force_login(raipur_official)
    content = _upload(client, text).content.decode()
    assert "Row 2: this ID is already registered" in content
    assert "Row 4: the same ID is on row 3" in content
    landline = _row(
        raipur_village,
        name="Landline",
        number=stdnum_aadhaar_numbers(3, 9)[2],
        mobile="0771-2234567",
    )
    preview = _upload(client, HEADER + landline)
    invalid = imports.invalid(preview)
    assert "landline" in " ".join(invalid[2]["mobile"])
    assert _count_sql() == 1


def test_the_preview_of_a_refused_row_never_shows_the_whole_id_number(
    client, raipur_official, raipur_village
):
    good, other = stdnum_aadhaar_numbers(2, seed=12)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    text = (
        HEADER
        + _row(raipur_village, name="Bad Year", number=good).replace(",1970,", ",19,")
        + _row(raipur_village, name="Bad Number", number=wrong)
        + _row(raipur_village, name="Spelt", number=other.translate(DEVANAGARI), mobile="123")
    )
    client.force_login(raipur_official)
    preview = _upload(client, text)
    assert len(imports.invalid(preview)) == 3
    page = preview.content.decode()
    for number in (good, wrong, other, other.translate(DEVANAGARI)):
        assert number not in page
    assert f"••••{good[-4:]}" in page and f"••••{other[-4:]}" in page


# Assisted registration ---------------------------------------------------------


def _assisted(locality, **overrides) -> dict:
    data = {
        **{k: v for k, v in details(locality).__dict__.items() if not k.endswith("_id")},
        "district": locality.area.district_id,
        "area": locality.area_id,
        "locality": locality.pk,
        "occupation": "5",
        "ration_card": "none",
        "mobile": "",
        "no_mobile_reason": "No phone at home",
    }
    data.update(overrides)
    return data


def test_assisted_registration_takes_any_spelling_and_refuses_the_same_id_again(
    client, raipur_official, raipur_village
):
    serial = "730215"
    epic = "CGX" + serial + luhn.calc_check_digit(serial)
    client.force_login(raipur_official)
    url = reverse("admin:registrations_registration_register")
    mobile = "९८७६५ ४३२१०"
    first = client.post(
        url, _assisted(raipur_village, id_type="VOTER", id_number=epic, mobile=mobile)
    )
    assert first.status_code == 302
    assert str(Account.objects.get().mobile) == "+919876543210"
    again = client.post(
        url,
        _assisted(
            raipur_village,
            name="Other Name",
            id_type="VOTER",
            id_number=epic.lower().translate(DEVANAGARI),
        ),
    )
    page = again.content.decode()
    assert "already registered" in page
    assert epic not in page and epic.lower().translate(DEVANAGARI) not in page
    assert _count_sql() == 1
    landline = client.post(url, _assisted(raipur_village, name="Third", mobile="0788 2234567"))
    assert "landline" in landline.content.decode()
    assert _count_sql() == 1


def test_assisted_registration_refuses_a_mistyped_aadhaar_number(
    client, raipur_official, raipur_village
):
    number = stdnum_aadhaar_numbers(1, seed=10)[0]
    wrong = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert not aadhaar.is_valid(wrong)
    client.force_login(raipur_official)
    page = client.post(
        reverse("admin:registrations_registration_register"),
        _assisted(raipur_village, id_number=wrong),
    ).content.decode()
    assert "not valid" in page and wrong not in page
    assert _count_sql() == 0


# Search --------------------------------------------------------------------------


def test_the_admin_search_finds_an_id_number_and_a_mobile_in_any_digits(
    client, raipur_official, raipur_village
):
    number = stdnum_aadhaar_numbers(1, seed=11)[0]
    person = register_person(
        account=factories.make_account("+919876512345"),
        details=details(raipur_village, id_number=number),
    )
    client.force_login(raipur_official)
    url = reverse("admin:registrations_registration_changelist")
    for term in [
        number.translate(DEVANAGARI),
        f"{number[:4]} {number[4:8]} {number[8:]}",
        "९८७६५१२३४५",
        "२३४५",
        "09876512345",
    ]:
        found = client.get(url, {"q": term}).context["cl"].result_list
        assert [r.pk for r in found] == [person.pk], term


# Stored in other spellings ---------------------------------------------------------


def _store_raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def old_rows(raipur_village):
    """Rows as the old code stored them: a Devanagari mobile on an account and
    a sign-in row, a registration hashed from a Devanagari voter ID."""
    clash = factories.make_account("+919876500011")
    odd_clash = factories.make_account("+919876500012")
    alone = factories.make_account("+919876500013")
    landline = factories.make_account("+919876500014")
    _store_raw(
        "UPDATE registrations_account SET mobile = %s WHERE id = %s",
        ["+91" + "9876500011".translate(DEVANAGARI), odd_clash.pk],
    )
    _store_raw(
        "UPDATE registrations_account SET mobile = %s WHERE id = %s",
        ["+91" + "9876500013".translate(DEVANAGARI), alone.pk],
    )
    _store_raw(
        "UPDATE registrations_account SET mobile = %s WHERE id = %s", ["+917712234567", landline.pk]
    )
    SignInCode.objects.create(mobile="+919876500011", sends_in_window=1)
    SignInCode.objects.create(mobile="+91" + "9876500011".translate(DEVANAGARI), sends_in_window=3)
    serial = "112233"
    epic = "CGX" + serial + luhn.calc_check_digit(serial)
    old = factories.make_registration(locality=raipur_village, account=clash, birth_year=1961)
    # The old code hashed the spelling as typed (upper case, no spaces).
    typed = f"VOTER:{epic[:3]}{epic[3:].translate(DEVANAGARI)}".encode()
    old_hash = hmac.new(settings.ID_HASH_KEY.encode(), typed, hashlib.sha256).hexdigest()
    assert old_hash != ids.hash_id_number("VOTER", epic)
    Registration.objects.filter(pk=old.pk).update(
        id_type="VOTER", id_hash=old_hash, id_last4=epic[-4:].translate(DEVANAGARI)
    )
    factories.make_registration(locality=raipur_village, account=odd_clash, seat=1)
    return {
        "clash": clash,
        "odd_clash": odd_clash,
        "alone": alone,
        "landline": landline,
        "old": old,
        "epic": epic,
    }


def test_the_repair_puts_right_what_it_can_and_flags_the_rest(old_rows, raipur_village):
    call_command("repair_stored_numbers")
    alone = Account.objects.get(pk=old_rows["alone"].pk)
    assert str(alone.mobile) == "+919876500013" and alone.mobile_last4 == "0013"
    # Never merged silently: the clashing account keeps its odd spelling, flagged.
    flags = {(f.kind, f.account_id or f.registration_id) for f in NormalFormFlag.objects.all()}
    assert flags == {
        ("mobile_clash", old_rows["odd_clash"].pk),
        ("not_mobile", old_rows["landline"].pk),
        ("id_spelling", old_rows["old"].pk),
    }
    assert Account.objects.count() == 4
    assert list(SignInCode.objects.values_list("mobile", "sends_in_window")) == [
        ("+919876500011", 3)
    ]
    assert Registration.objects.get(pk=old_rows["old"].pk).id_last4 == old_rows["epic"][-4:]
    # Running it again changes nothing.
    call_command("repair_stored_numbers")
    assert NormalFormFlag.objects.count() == 3


def test_the_data_migration_runs_the_same_repair(old_rows):
    name = "0011_repair_stored_numbers"
    state = MigrationLoader(connection).project_state(("registrations", name))
    migration = importlib.import_module(f"registrations.migrations.{name}")
    migration.repair(state.apps, None)
    assert NormalFormFlag.objects.filter(registration=old_rows["old"]).exists()
    assert str(Account.objects.get(pk=old_rows["alone"].pk).mobile) == "+919876500013"


def test_a_dry_run_changes_nothing(old_rows, capsys):
    call_command("repair_stored_numbers", "--dry-run")
    assert "registrations flagged, ID hashed from other digits: 1" in capsys.readouterr().out
    assert not NormalFormFlag.objects.exists()


def test_the_flagged_rows_show_in_the_duplicates_view_with_the_reason(
    client, raipur_official, old_rows, raipur_village
):
    call_command("repair_stored_numbers")
    # The same ID, typed again in ASCII after the change: a second row.
    again = register_person(
        account=factories.make_account(),
        details=details(
            raipur_village, id_type="VOTER", id_number=old_rows["epic"], birth_year=1961
        ),
    )
    client.force_login(raipur_official)
    url = reverse("admin:registrations_registration_duplicates")
    page = client.get(url, {"kind": "spelling"})
    groups = page.context["groups"]
    by_flag = {g.flag.kind: g for g in groups}
    spelt = by_flag["id_spelling"]
    assert {r.pk for r in spelt.registrations} == {old_rows["old"].pk, again.pk}
    assert "Devanagari" in spelt.why
    assert "not merged" in by_flag["mobile_clash"].why
    html = page.content.decode()
    assert old_rows["epic"] not in html
    # An official marks it duplicate: the later row leaves the queue.
    client.post(
        url + "?kind=spelling",
        {"duplicate": again.pk, "original": old_rows["old"].pk, "reason": "Same card"},
    )
    assert Registration.objects.get(pk=again.pk).status == Registration.Status.DUPLICATE
    flag = NormalFormFlag.objects.get(kind="mobile_clash")
    client.post(url + "?kind=spelling", {"checked_flag": flag.pk})
    assert NormalFormFlag.objects.get(pk=flag.pk).checked_by == raipur_official


def test_an_official_of_another_district_sees_no_flags_of_raipur(client, bastar_official, old_rows):
    call_command("repair_stored_numbers")
    client.force_login(bastar_official)
    url = reverse("admin:registrations_registration_duplicates")
    assert client.get(url, {"kind": "spelling"}).context["groups"] == []
    flag = NormalFormFlag.objects.get(kind="id_spelling")
    client.post(url, {"checked_flag": flag.pk})
    assert NormalFormFlag.objects.get(pk=flag.pk).checked_at is None


def test_the_account_search_reads_the_last_digits_in_any_script(
    client, raipur_official, raipur_village
):
    account = factories.make_account("+919876512345")
    factories.make_registration(locality=raipur_village, account=account)
    client.force_login(raipur_official)
    url = reverse("admin:registrations_account_changelist")
    for term in ["२३४५", "९८७६५ १२३४५", "098765-12345"]:
        found = client.get(url, {"q": term}).context["cl"].result_list
        assert [a.pk for a in found] == [account.pk], term
