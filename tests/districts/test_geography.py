import pytest

from districts.geography import load_geography
from districts.models import Area, District, Locality

pytestmark = pytest.mark.django_db


def test_all_33_districts_and_146_blocks_are_loaded(geography):
    assert District.objects.count() == 33
    assert Area.objects.filter(kind=Area.Kind.BLOCK).count() == 146


def test_all_169_urban_local_bodies_are_towns(geography):
    assert Area.objects.filter(kind=Area.Kind.TOWN).count() == 169


def test_every_district_has_hindi_name_and_blocks(geography):
    for district in District.objects.prefetch_related("areas"):
        assert district.name_hi, district
        assert any(a.kind == Area.Kind.BLOCK for a in district.areas.all()), district


def test_blocks_have_hindi_names(geography):
    assert not Area.objects.filter(kind=Area.Kind.BLOCK, name_hi="").exists()


def test_villages_belong_to_blocks_and_wards_to_towns(geography):
    assert Locality.objects.count() == 21847 + 3
    assert not Locality.objects.filter(kind="village", area__kind="town").exists()
    assert not Locality.objects.filter(kind="ward", area__kind="block").exists()
    assert Locality.objects.filter(kind="ward").count() == 2938 + 3


def test_a_town_whose_wards_the_source_lacks_can_still_be_picked(geography):
    # Samoda, Chandkhuri and Mandir Hasoud (Raipur): no wards in the source.
    assert not Area.objects.filter(kind=Area.Kind.TOWN, localities__isnull=True).exists()
    samoda = Area.objects.get(kind=Area.Kind.TOWN, name_en="Samoda")
    assert [str(loc) for loc in samoda.localities.all()] == ["समोदा (सभी वार्ड)"]


def test_a_known_block_sits_in_its_district(geography):
    # Tilda (LGD 3707) lies in Raipur district.
    tilda = Area.objects.get(kind=Area.Kind.BLOCK, lgd_code=3707)
    assert tilda.district.name_en == "RAIPUR"
    assert tilda.name_hi == "तिल्दा"
    assert tilda.localities.filter(kind="village").count() > 50


def test_raipur_town_has_its_wards(raipur_town):
    assert raipur_town.localities.filter(kind="ward").count() >= 70


def test_hindi_name_is_shown_in_hindi():
    from django.utils import translation

    district = District(lgd_code=1, name_en="RAIPUR", name_hi="रायपुर")
    with translation.override("hi"):
        assert str(district) == "रायपुर"
    with translation.override("en"):
        assert str(district) == "Raipur"


def test_a_second_load_changes_nothing(geography):
    before = {
        "districts": list(District.objects.values_list("pk", "name_en", "name_hi")),
        "areas": list(Area.objects.order_by("pk").values_list("pk", "district_id", "lgd_code")),
        "localities": list(
            Locality.objects.order_by("pk").values_list("pk", "area_id", "name", "pincode")
        ),
    }
    load_geography()
    after = {
        "districts": list(District.objects.values_list("pk", "name_en", "name_hi")),
        "areas": list(Area.objects.order_by("pk").values_list("pk", "district_id", "lgd_code")),
        "localities": list(
            Locality.objects.order_by("pk").values_list("pk", "area_id", "name", "pincode")
        ),
    }
    assert before == after
