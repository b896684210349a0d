from citesmart.geo.models import Department, District, Province
from citesmart.geo.queries import find_department, find_districts_by_name, find_place


def test_ubigeo_2025_has_25_departments_196_provinces_1891_districts(db):
    assert Department.objects.count() == 25
    assert Province.objects.count() == 196
    assert District.objects.count() == 1891


def test_names_keep_their_accents(db):
    assert Department.objects.get(code="02").name == "Áncash"
    assert Department.objects.get(code="22").name == "San Martín"
    assert District.objects.get(code="150142").name == "Villa El Salvador"


def test_every_department_and_province_has_a_boundary_and_a_centroid(db):
    for place in [*Department.objects.all(), *Province.objects.all()]:
        assert place.boundary["type"] in {"Polygon", "MultiPolygon"}, place.code
        assert -19 < place.centroid_lat < 0 and -82 < place.centroid_lon < -68, place.code


def test_every_district_belongs_to_its_province_and_department_by_code(db):
    for district in District.objects.all():
        assert district.code.startswith(district.province_id)
        assert district.code[:2] == district.department_id


def test_lookup_by_name_ignores_accents_and_case(db):
    assert find_department("ANCASH").code == "02"
    assert find_department("apurimac").code == "03"
    assert find_department("PE-CUS").code == "08"
    assert find_department("7").code == "07"
    assert find_department("Atlantis") is None


def test_district_lookup_accepts_the_capitals_name(db):
    huanuco = find_department("Huánuco")
    [district] = find_districts_by_name("tingo maria", department=huanuco)
    assert district.name == "Rupa-Rupa"


def test_find_place_by_code_length(db):
    assert isinstance(find_place("15"), Department)
    assert isinstance(find_place("1501"), Province)
    assert find_place("150142").name == "Villa El Salvador"
    assert find_place("999999") is None
