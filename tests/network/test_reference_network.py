import csv

from citesmart.network.models import Center, Chain, ServiceCategory
from citesmart.network.reference import DATA_DIR, center_code, load_network


def test_the_real_network_has_50_centers_26_public_19_private_5_units(db):
    # 48 in cites.csv, and the technical units of Ayacucho and Lambayeque of the 2025 note.
    kinds = {kind: Center.objects.filter(kind=kind).count() for kind in Center.Kind}
    assert kinds == {Center.Kind.PUBLIC: 26, Center.Kind.PRIVATE: 19, Center.Kind.TECHNICAL_UNIT: 5}


def test_every_center_of_the_source_is_loaded_with_its_chains_and_department(db):
    with (DATA_DIR / "cites.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            center = Center.objects.get(code=center_code(row["name"]))
            assert center.name == row["name"]
            chains = {c.strip() for c in row["chains"].split(";") if c.strip()}
            assert {c.name.lower() for c in center.chains.all()} == {c.lower() for c in chains}
            if row["department"]:
                assert center.department is not None, row["name"]
                assert center.department in center.territory.all()
            else:
                assert center.department is None  # unknown stays unknown


def test_every_seat_district_lies_in_the_seat_department(db):
    for center in Center.objects.exclude(district=None):
        assert center.district.department_id == center.department_id, center.name


def test_every_named_city_resolves_to_a_district_except_unconfirmed_seats(db):
    unresolved = Center.objects.exclude(locality="").filter(district=None)
    assert [c.name for c in unresolved] == ["CITEagroindustrial VRAEM"]


def test_technical_units_have_their_parent_or_are_reported_missing_it(db):
    report = load_network()
    for unit in Center.objects.filter(kind=Center.Kind.TECHNICAL_UNIT):
        if unit.parent is None:
            assert any(unit.name in warning for warning in report.warnings)
        else:
            assert unit.parent.kind != Center.Kind.TECHNICAL_UNIT
    tacna = Center.objects.get(name__startswith="Unidad Técnica Tacna")
    assert tacna.parent.name == "CITEagroindustrial Moquegua"


def test_loading_twice_changes_nothing(db):
    before = (Center.objects.count(), Chain.objects.count(), ServiceCategory.objects.count())
    load_network()
    assert (
        Center.objects.count(),
        Chain.objects.count(),
        ServiceCategory.objects.count(),
    ) == before


def test_the_eight_itp_categories_are_there_in_order(db):
    names = list(ServiceCategory.objects.values_list("name", flat=True))
    assert len(names) == 8
    assert names[0] == "Asistencia técnica" and names[4] == "Ensayos de laboratorio"


def test_names_keep_their_accents(db):
    assert Center.objects.filter(name="CITEtextil camélidos Cusco").exists()
    assert Chain.objects.filter(name="Textil camélidos").exists()
