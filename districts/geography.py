"""Loads the Chhattisgarh reference data shipped in districts/data/.

Idempotent: every row is upserted on its natural key, so a second load changes
nothing, and a corrected CSV updates names in place without moving ids.
"""

import csv
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from . import fragments
from .models import Area, District, Locality

DATA_DIR = Path(__file__).resolve().parent / "data"

# Ward-list ULB names (S2, Devanagari) whose spelling differs from LGD's ULB
# list (S1), matched by hand within the district: (district LGD, S2 name) -> ULB LGD code.
ULB_CROSSWALK = {
    ("374", "बस्तर"): 248143,
    ("375", "बोदरी"): 250621,
    ("376", "किरंदुल"): 250671,
    ("376", "बड़ी बचेली"): 250670,
    ("377", "कुरूद"): 248061,
    ("377", "धमतरी"): 248062,
    ("377", "भखारा"): 253107,
    ("379", "चांपा"): 250605,
    ("379", "जांजगीरनैला"): 250602,
    ("379", "नवागढ़ (जांजगीर चांपा)"): 253283,
    ("380", "पत्थलगांव"): 250591,
    ("380", "बगीचा"): 253200,
    ("381", "चारामा"): 253144,
    ("382", "पांडातराई"): 273467,
    ("382", "सहसपुरलोहारा"): 273468,
    ("383", "छुरीकला"): 253111,
    ("384", "बैकुण्ठपुर"): 250579,
    ("384", "शिवपुरचरचा"): 259685,
    ("385", "बागबाहारा"): 250662,
    ("385", "महासंमुद"): 250661,
    ("385", "सरायपाली"): 250659,
    ("386", "धर्मजयगढ़"): 250592,
    ("386", "पुसौर"): 253278,
    ("387", "कुरां"): 250646,
    ("387", "गोबरानवापारा"): 250649,
    ("636", "भैरमगढ्"): 253245,
    ("636", "भोपालपट्नम"): 253246,
    ("642", "कोण्टा"): 253217,
    ("643", "केशकाल"): 248063,
    ("643", "कोण्डागांव"): 250664,
    ("644", "टुण्डरा"): 250654,
    ("645", "फिगेंश्वर"): 253180,
    ("646", "गुण्डरदेही"): 253154,
    ("646", "डौण्डी"): 253156,
    ("646", "डौण्डीलोहारा"): 253159,
    ("646", "दल्लीराजहरा"): 250643,
    ("647", "मुंगेली"): 250614,
    ("648", "जरही"): 253115,
    ("648", "भटगांव (सूरजपुर)"): 253183,
    ("650", "नवागढ़ (बेमेतरा)"): 253148,
    ("650", "परपोड़ी"): 253150,
    ("650", "मारो"): 253160,
    ("734", "गौरेला"): 250610,
    ("734", "पेण्ड्रा"): 250609,
    ("759", "खैरागढ्"): 262094,
    ("759", "गण्डई"): 250625,
    ("760", "नईलेदरी"): 253220,
    ("760", "मनेन्द्रगढ़"): 250580,
    ("761", "अंबागढ़चौकी"): 250631,
    ("762", "अड़भार"): 253289,
    ("762", "चन्द्रपुर"): 253285,
    ("762", "नयाबाराद्धार"): 250607,
    ("762", "सक्ती"): 250606,
    ("763", "भटगांव (सारंगढ़-बिलाईगढ़)"): 253114,
    ("763", "सारंगढ़"): 250596,
}


def _nfc(text: str) -> str:
    # The sources write nukta letters both precomposed and decomposed.
    return unicodedata.normalize("NFC", text)


_CROSSWALK_NFC = {(district, _nfc(name)): code for (district, name), code in ULB_CROSSWALK.items()}


@dataclass
class LoadResult:
    districts: int
    areas: int
    localities: int


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _int_or_none(value: str) -> int | None:
    return int(value) if value else None


def _upsert(model, objs: list, unique_fields: list[str], update_fields: list[str]) -> None:
    model.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=unique_fields,
        update_fields=update_fields,
    )


def _districts() -> list[District]:
    return [
        District(
            lgd_code=int(r["lgd_code"]),
            name_en=r["name_en"],
            name_hi=r["name_hi"],
            cowin_district_id=_int_or_none(r["cowin_district_id"]),
            population_2011=_int_or_none(r["population_2011"]),
        )
        for r in _rows("districts.csv")
    ]


def _blocks() -> list[Area]:
    # A block lies in the district S2 places it in today (33-district map).
    return [
        Area(
            district_id=int(r["district_current_lgd_code"]),
            kind=Area.Kind.BLOCK,
            lgd_code=int(r["block_lgd_code"]),
            name_en=r["name_en"],
            name_hi=r["name_hi"],
        )
        for r in _rows("blocks.csv")
    ]


def _ward_ulb_code(row: dict[str, str]) -> int:
    if row["ulb_lgd_code"]:
        return int(row["ulb_lgd_code"])
    return _CROSSWALK_NFC[(row["district_current_lgd_code"], _nfc(row["gram_panchayat_or_ulb"]))]


def _towns(localities: list[dict[str, str]]) -> list[Area]:
    # The ward list gives each town's current district; towns with no wards
    # listed keep the district of LGD's ULB list (Mar 2022).
    district_of = {
        _ward_ulb_code(r): int(r["district_current_lgd_code"])
        for r in localities
        if r["locality_type"] == "urban_ward"
    }
    return [
        Area(
            district_id=district_of.get(
                int(r["ulb_lgd_code"]), int(r["district_lgd_code_2022_03"])
            ),
            kind=Area.Kind.TOWN,
            lgd_code=int(r["ulb_lgd_code"]),
            name_en=r["name_en"],
            name_hi=r["name_hi"],
        )
        for r in _rows("ulbs.csv")
    ]


def _localities(rows: list[dict[str, str]], area_ids: dict[tuple[str, int], int]) -> list[Locality]:
    objs = []
    for r in rows:
        if r["locality_type"] == "village":
            area_id = area_ids[(Area.Kind.BLOCK, int(r["block_lgd_code"]))]
            kind, panchayat = Locality.Kind.VILLAGE, r["gram_panchayat_or_ulb"]
        else:
            area_id = area_ids[(Area.Kind.TOWN, _ward_ulb_code(r))]
            kind, panchayat = Locality.Kind.WARD, ""
        objs.append(
            Locality(
                area_id=area_id,
                kind=kind,
                name=r["locality_name"],
                gram_panchayat=panchayat,
                pincode=r["pincode"],
            )
        )
    return objs


# The name of the one locality a town gets when the source lists none of its
# wards (Devanagari, like the source's ward names).
WHOLE_TOWN = "{town} (सभी वार्ड)"


def _whole_towns() -> list[Locality]:
    """For each town without wards in the source, one locality standing for
    the whole town, so that its people can register at all."""
    bare = Area.objects.filter(kind=Area.Kind.TOWN, localities__isnull=True)
    return [
        Locality(area=town, kind=Locality.Kind.WARD, name=WHOLE_TOWN.format(town=town.name_hi))
        for town in bare
    ]


@transaction.atomic
def load_geography() -> LoadResult:
    _upsert(
        District,
        _districts(),
        ["lgd_code"],
        ["name_en", "name_hi", "cowin_district_id", "population_2011"],
    )
    locality_rows = _rows("localities.csv")
    areas = _blocks() + _towns(locality_rows)
    _upsert(Area, areas, ["kind", "lgd_code"], ["district", "name_en", "name_hi"])
    area_ids = {
        (kind, code): pk for pk, kind, code in Area.objects.values_list("pk", "kind", "lgd_code")
    }
    _upsert(
        Locality,
        _localities(locality_rows, area_ids),
        ["area", "gram_panchayat", "name"],
        ["kind", "pincode"],
    )
    Locality.objects.bulk_create(_whole_towns())
    fragments.forget()  # bulk writes send no signals
    return LoadResult(District.objects.count(), Area.objects.count(), Locality.objects.count())
