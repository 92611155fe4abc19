"""Villages and wards are found the way a block office writes them: with or
without the bracketed part, in any case and spacing; a misspelling gets the
nearest names of that block. The oracle is the shared data file itself, read
here with the csv module."""

import csv
import random
from pathlib import Path

import pytest
from stdnum import verhoeff
from stdnum.in_ import aadhaar

from districts.lookup import LocalityIndex, closest_localities, place_key
from districts.models import Area

from . import imports

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "districts" / "data" / "localities.csv"


def _village_rows() -> list[dict]:
    with open(DATA, encoding="utf-8", newline="") as f:
        return [row for row in csv.DictReader(f) if row["locality_type"] == "village"]


def _bracketed() -> list[dict]:
    return [row for row in _village_rows() if "(" in row["locality_name"]]


def _same_name_in_block(rows: list[dict]) -> set[tuple[str, str]]:
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["block_lgd_code"], row["locality_name"].casefold())
        seen[key] = seen.get(key, 0) + 1
    return {key for key, n in seen.items() if n > 1}


def _typings(name: str) -> list[str]:
    """How a clerk writes a name the admin shows as `name`."""
    return [
        name,
        name.upper(),
        name.lower(),
        "  " + name.replace(" (", "(").replace(")", " ) ") + " ",
        name.replace("-", " "),
    ]


def test_every_bracketed_village_of_the_state_is_found_as_written(geography):
    rows = _bracketed()
    assert len(rows) > 300  # 372 in the shared data
    twins = _same_name_in_block(_village_rows())
    indexes: dict[str, LocalityIndex] = {}
    for row in rows:
        code = row["block_lgd_code"]
        if code not in indexes:
            indexes[code] = LocalityIndex(Area.objects.get(kind="block", lgd_code=code))
        index = indexes[code]
        name, panchayat = row["locality_name"], row["gram_panchayat_or_ulb"]
        with_panchayat = f"{name} ({panchayat})"
        # Name and gram panchayat together are unique in a block.
        for typed in _typings(with_panchayat):
            found = index.find(typed).locality
            assert found is not None, typed
            assert (found.name, found.gram_panchayat) == (name, panchayat), typed
        # The name alone is enough unless another village of the block shares it.
        for typed in _typings(name):
            found = index.find(typed)
            if (code, name.casefold()) in twins:
                assert {(loc.name, loc.gram_panchayat) for loc in found.several} >= {
                    (name, panchayat)
                }
            else:
                assert found.locality is not None, typed
                assert found.locality.name == name, typed


def test_devanagari_and_ascii_digits_are_one_ward_number():
    assert place_key("वार्ड क्रमांक ०५") == place_key("वार्ड  क्रमांक 05")
    assert place_key("Baktara-2 (Baktara)") == place_key("BAKTARA 2 baktara")


def _aadhaar(n: int) -> str:
    body = f"{23410000000 + n:011d}"
    number = body + verhoeff.calc_check_digit(body)
    assert aadhaar.is_valid(number)
    return number


def _preview(client, lines: list[str]):
    header = (
        "name,gender,birth_year,id_type,id_number,mobile,priority,district,"
        "block_or_town,village_or_ward,registered_on\n"
    )
    return imports.upload(client, header + "".join(lines))


def _raipur_bracketed_village() -> dict:
    rows = [row for row in _bracketed() if row["district_current_lgd_code"] == "387"]
    twins = _same_name_in_block(_village_rows())
    return next(
        r for r in rows if (r["block_lgd_code"], r["locality_name"].casefold()) not in twins
    )


def test_a_paper_list_finds_bracketed_villages_and_suggests_for_misspellings(
    client, raipur_official
):
    row = _raipur_bracketed_village()
    block = row["block_en"]
    typed = [
        row["locality_name"],
        f"{row['locality_name']} ({row['gram_panchayat_or_ulb']})".upper(),
        row["locality_name"].split(" (")[0] + "  (" + row["locality_name"].split(" (")[1],
    ]
    lines = [
        f'Person {n},F,1980,AADHAAR,{_aadhaar(n)},98765000{n:02d},5,Raipur,{block},"{village}",'
        "01/05/2021\n"
        for n, village in enumerate(typed)
    ]
    # One letter dropped from the name: no such village, but the nearest are named.
    misspelt = row["locality_name"].replace(row["locality_name"][1], "", 1)
    lines.append(
        f'Misspelt,F,1980,AADHAAR,{_aadhaar(9)},9876500099,5,Raipur,{block},"{misspelt}",'
        "01/05/2021\n"
    )
    client.force_login(raipur_official)
    invalid = imports.invalid(_preview(client, lines))
    # The header is row 1: only the misspelt fourth person (row 5) fails.
    assert list(invalid) == [5], invalid
    message = " ".join(invalid[5]["village_or_ward"])
    assert "Nearest:" in message and row["locality_name"] in message, message


def test_suggestions_come_from_the_same_block_only(raipur):
    block = raipur.areas.filter(kind="block").order_by("lgd_code").first()
    village = random.Random(1).choice(list(block.localities.all()))
    nearest = closest_localities([block], village.name[:-1] + "x")
    assert village in nearest
    assert all(loc.area_id == block.pk for loc in nearest)
