"""The per-year cube answers exactly what a scan of the facts answers, and follows refreshes."""

import gc
from datetime import date
from decimal import Decimal
from random import Random

import duckdb
import pytest
from analytics_world import make_unit, record, twin_of
from django.core.cache import caches

from citesmart.analytics import connection, cube, cubeanswer, queries, refresh, scan
from citesmart.analytics.filters import known_codes
from citesmart.analytics.queries import MEASURES, Filters
from citesmart.geo.models import Department
from citesmart.lib.identity import random_ruc
from citesmart.records.actions import cancel_report, validate_reports
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import get_or_create_unit, merge_units
from citesmart.units.models import ClientType, SizeClass

SHAPES = [
    (Filters(), ()),
    (Filters(), ("year",)),
    (Filters(), ("center", "year")),
    (Filters(), ("year", "department")),
    (Filters(), ("chain",)),
    (Filters(years=(2024,)), ()),
    (Filters(years=(2024,)), ("center",)),
    (Filters(years=(2024,)), ("month",)),
    (Filters(years=(2022,)), ("month",)),  # units first served in 2022 and again later that year
    (Filters(years=(2022, 2023)), ("month",)),
    (Filters(years=(2024,)), ("client_type",)),
    (Filters(years=(2024,)), ("free",)),
    (Filters(years=(2023, 2024, 2025)), ("category",)),
    (Filters(years=(2023, 2025)), ("programme", "year")),
    (Filters(years=(2022, 2023)), ("cite",)),
    (Filters(years=(2021, 2024)), ("size_class",)),
    (Filters(years=(1995,)), ("center",)),
]
# Distinct units under filters on the unit's attributes: answered by intersecting bitmaps.
INTERSECTED = [
    (Filters(departments=("18",)), ()),
    (Filters(departments=("13", "23"), years=(2023, 2024, 2025)), ("category",)),
    (Filters(departments=("04",), years=(2024,)), ("center",)),
    (Filters(departments=("18", "04")), ("year",)),
    (Filters(departments=("13",), years=(2022, 2024)), ("chain", "year")),
    (Filters(departments=("13",)), ("department",)),
    (Filters(client_types=(ClientType.OTHER,), years=(2024, 2025)), ("month",)),
    (Filters(size_classes=(SizeClass.MICRO,), departments=("18", "13")), ("client_type",)),
    (Filters(departments=("23",), years=(1995,)), ("center",)),
    (Filters(departments=("18", "13", "23", "04")), ("month",)),
]


def both_ways(filters: Filters, by: tuple[str, ...], measures=MEASURES) -> tuple[list, list]:
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        known = known_codes(cursor, "test-" + reader.generation)
        ids = known["_ids"]
        from_cube = cubeanswer.answer(cursor, filters, by, measures, known["_cube"], ids)
        scanned = scan.run(cursor, filters, by, measures, known)
    assert from_cube is not None, (filters, by)
    return sorted(from_cube, key=repr), sorted(scanned, key=repr)


def one_code_questions() -> list[tuple[Filters, tuple[str, ...]]]:
    """Years and one code of a dimension the cube keeps, by the year, by that dimension or
    not at all (a filtered dashboard's yearly series and totals)."""
    with refresh.ensure_fresh().cursor() as cursor:
        chain, category, department = cursor.execute(
            "SELECT any_value(chain_code), any_value(category_code), "
            "any_value(unit_department_code) FROM facts "
            "WHERE chain_code IS NOT NULL AND unit_department_code IS NOT NULL"
        ).fetchone()
        found = cursor.execute(  # a CITE with a technical unit, and that unit
            "SELECT cite_code, center_code FROM facts WHERE center_code <> cite_code LIMIT 1"
        ).fetchone()
    assert found, "the world needs a technical unit with services"
    cite, unit = found
    questions = []
    for one, dim in [
        ({"chains": (chain,)}, "chain"),
        ({"categories": (category,)}, "category"),
        ({"departments": (department,)}, "department"),
        ({"free": True}, "free"),
        ({"free": False}, "free"),
        ({"centers": (cite,)}, "cite"),  # the CITE and its technical units
        ({"centers": (cite,), "with_technical_units": False}, "center"),
        ({"centers": (unit,)}, "center"),
    ]:
        for years in [(), (2024,), (2022, 2024), (1995,)]:
            for by in [(), ("year",), (dim,), ("year", dim)]:
                questions.append((Filters(years=years, **one), by))
    return questions


def assert_cube_equals_scan() -> None:
    for filters, by in [*SHAPES, *one_code_questions()]:
        # New units by month are left to a scan (see the next test).
        measures = tuple(m for m in MEASURES if not ("month" in by and m == "new_units"))
        cubed, scanned = both_ways(filters, by, measures)
        # The scan's last value is a lower bound of the units where they were not asked
        # for; with every measure asked for, both are exact and must agree on every value.
        assert cubed == scanned, (filters, by)
    reader = refresh.ensure_fresh()
    for filters, by in INTERSECTED:
        for measures in [("units", "new_units"), ("units",), ("new_units",)]:
            if "month" in by and "new_units" in measures:
                continue
            # Natural persons: counted as units here, as services by a scan; the flags agree.
            cubed, scanned = (
                queries._shape(records, by, measures, None, True, None, reader)
                for records in both_ways(filters, by, measures)
            )
            assert (cubed.rows, cubed.totals) == (scanned.rows, scanned.totals), (filters, by)


@pytest.fixture
def built(world):
    refresh.rebuild()
    queries.clear_cache()
    return world


def test_cube_answers_equal_a_scan_of_the_facts(built):
    assert_cube_equals_scan()


def test_measures_subsets_and_flags_come_out_the_same(built):
    for measures in [("services",), ("units",), ("new_units", "amount"), ("reports", "services")]:
        for filters, by in SHAPES[:8]:
            via_cube = queries.figures(filters, by=by, measures=measures)
            queries.clear_cache()
            reader = refresh.ensure_fresh()
            with reader.cursor() as cursor:
                known = known_codes(cursor, "scan-" + reader.generation)
                records = scan.run(cursor, filters, by, measures, known)
            scanned = queries._shape(records, by, measures, None, True, None, reader)
            assert via_cube.rows == scanned.rows and via_cube.totals == scanned.totals
            queries.clear_cache()


def test_questions_the_cube_cannot_answer_go_to_the_facts(built):
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        known = known_codes(cursor, reader.generation)
        for filters, by in [
            (Filters(chains=("cuero-calzado", "textil-camelidos")), ("year",)),  # two codes
            (Filters(chains=("cuero-calzado",)), ("center",)),  # another dimension
            (Filters(include_registered=True), ()),
            (Filters(months=(3,)), ()),
            (Filters(), ("center", "chain")),
            (Filters(), ("province",)),
            # A unit is new in the month of its first service, not in every month of that
            # year: the cube keeps first-served units per year only.
            (Filters(years=(2022,)), ("month",)),
            (Filters(departments=("18",)), ("month",)),
            (Filters(departments=("18", "13")), ("year",)),  # services: a sum, not a bitmap
            (Filters(departments=("18",), chains=("cuero-calzado",)), ()),
            (Filters(date_from=date(2024, 1, 1)), ()),
        ]:
            ids = known["_ids"]
            assert cubeanswer.answer(cursor, filters, by, MEASURES, known["_cube"], ids) is None


def test_refreshes_keep_the_cube_exact(built, national_admin):
    record(built.centers[0], "CUBO-1", built.units[:3], end=date(2024, 5, 1))
    record(built.centers[1], "CUBO-2", [built.units[-1]], end=date(2019, 1, 15))  # earlier first
    assert refresh.refresh().kind == "refresh"
    queries.clear_cache()
    assert_cube_equals_scan()
    merge_units(survivor=built.units[0], duplicate=built.units[2], actor=national_admin, reason="x")
    assert refresh.refresh().kind == "refresh"
    queries.clear_cache()
    assert_cube_equals_scan()


def test_a_changed_unit_moves_its_services_in_every_year_of_the_cube(built):
    unit = built.units[3]
    unit.size_class, unit.district = SizeClass.LARGE, None
    unit.save()
    assert refresh.refresh().kind == "refresh"
    queries.clear_cache()
    assert_cube_equals_scan()


def cube_snapshot() -> tuple[list, list]:
    """The cube's cells, and each bitmap as the set of unit ids it holds, in a stable order."""
    reader = connection.reader(refresh.conf.directory())
    with reader.cursor() as cursor:
        cells = cursor.execute("SELECT * FROM cube ORDER BY ALL").fetchall()
        (low,) = cursor.execute("SELECT low FROM cube_range").fetchone()
        bitmaps = []
        for dim in cube.CODES:
            for year, code, units, new_units in cursor.execute(
                f"SELECT year, code, units::VARCHAR, new_units::VARCHAR FROM cube_bits_{dim}"  # noqa: S608
            ).fetchall():
                ids = [
                    sorted(low + i for i, bit in enumerate(bits or "") if bit == "1")
                    for bits in (units, new_units)
                ]
                bitmaps.append((dim, year, code or "", *ids))
    return cells, sorted(bitmaps)


def assert_refreshed_cube_is_rebuilt_cube() -> None:
    assert refresh.refresh().kind == "refresh"
    refreshed = cube_snapshot()
    refresh.rebuild()
    assert cube_snapshot() == refreshed


def test_a_refreshed_cube_holds_what_a_rebuild_computes(built, national_admin):
    # New reports in an existing and an earlier year (a unit's first service moves back),
    # a cancelled one, an edited one (other units, year and price), a merge, and a unit
    # that changes size and department.
    record(built.centers[0], "DELTA-1", built.units[:3], end=date(2024, 5, 1))
    record(built.centers[1], "DELTA-2", [built.units[-1]], end=date(2019, 1, 15))
    assert_refreshed_cube_is_rebuilt_cube()
    cancel_report(report=built.reports[1], reason="error", actor=national_admin)
    record(
        built.centers[2], "DELTA-3", [built.units[4]], end=date(2023, 3, 3), amounts=[Decimal(7)]
    )
    edited = built.reports[0]
    record(edited.center, edited.code, built.units[5:7], end=date(2022, 8, 8), is_free=True)
    assert_refreshed_cube_is_rebuilt_cube()
    merge_units(survivor=built.units[0], duplicate=built.units[2], actor=national_admin, reason="x")
    assert_refreshed_cube_is_rebuilt_cube()
    unit = built.units[3]
    unit.size_class, unit.district = SizeClass.LARGE, None
    unit.save()
    assert_refreshed_cube_is_rebuilt_cube()


def test_a_refresh_rewrites_only_the_bitmaps_a_unit_joined_or_left(
    built, national_admin, monkeypatch
):
    # A validated report moves the sums of the cells it falls in; a cell's bitmap of units
    # only when a unit joins or leaves it. Reading and writing every bitmap of the year
    # again (at 10M services some 200 of 60 KB) made each validation's refresh take 0.6 s
    # more. In every case the cube is still the one a rebuild computes.
    moved = []
    store = cube._store_changed_cells

    def spy(con, dim, *args):
        cells = con.execute("SELECT year, code FROM temp.moved").fetchall()
        moved.extend((dim, year, code) for year, code in cells)
        store(con, dim, *args)

    def bitmaps_written(dim: str) -> set:
        return {(year, code) for d, year, code in moved if d == dim}

    monkeypatch.setattr(cube, "_store_changed_cells", spy)
    first, second = built.centers[0], built.centers[1]
    unit = make_unit(900)
    record(first, "UNA-CELDA-1", [unit], end=date(2024, 5, 1))  # a new unit: first served
    assert_refreshed_cube_is_rebuilt_cube()
    assert bitmaps_written("center") == {(2024, first.code)}
    assert bitmaps_written("none") == {(2024, None)}
    moved.clear()
    record(first, "UNA-CELDA-2", [unit], end=date(2024, 5, 20))  # the same unit and cells
    assert_refreshed_cube_is_rebuilt_cube()
    assert moved == []
    third = record(second, "UNA-CELDA-3", [unit], end=date(2024, 7, 1))  # a new center
    assert_refreshed_cube_is_rebuilt_cube()
    assert bitmaps_written("center") == {(2024, second.code)}
    assert bitmaps_written("none") == set()
    moved.clear()
    cancel_report(report=third, reason="error", actor=national_admin)  # it leaves that center
    assert_refreshed_cube_is_rebuilt_cube()
    assert bitmaps_written("center") == {(2024, second.code)}
    assert bitmaps_written("month") == {(2024, "2024-07")}
    assert bitmaps_written("none") == set()


def test_a_unit_no_more_a_natural_person_leaves_the_natural_persons_of_its_cells(built):
    # Its rows stay in the same cells (no bitmap of units moves there), but each of those
    # cells has one natural person less: a refresh counts them again, as a rebuild does.
    unit = make_unit(901)
    record(built.centers[0], "NATURAL-1", [unit], end=date(2024, 5, 1))
    assert_refreshed_cube_is_rebuilt_cube()
    unit.document_type, unit.document_number = "ruc", random_ruc(Random(5))
    unit.person_dni = ""
    unit.save()
    assert_refreshed_cube_is_rebuilt_cube()


def test_registered_reports_leave_the_cube_alone_until_they_are_validated(
    built, national_admin, monkeypatch
):
    # The cube holds validated rows only. Operators import registered reports all day: a
    # refresh that loads them must not rework the cube (under load, the longest step of a
    # refresh); validating them later brings them in as a rebuild would.
    reworked = []
    monkeypatch.setattr(cube, "_update", lambda *args: reworked.append(args[1]))
    report = record(
        built.centers[0],
        "REGISTRADO-1",
        built.units[:2],
        end=date(2024, 5, 1),
        status=ReportStatus.REGISTERED,
    )
    assert refresh.refresh().kind == "refresh"
    assert reworked == []
    monkeypatch.undo()
    validate_reports(reports=[report], actor=national_admin)
    assert_refreshed_cube_is_rebuilt_cube()


def natural_bits(year: int) -> int:
    """The natural bits of the whole network's cell of `year` (0 when it has no cell)."""
    with connection.reader(refresh.conf.directory()).cursor() as cursor:
        found = cursor.execute(
            "SELECT natural_bits FROM cube WHERE dim = 'none' AND year = ?", [year]
        ).fetchone()
    return int(found[0]) if found else 0


def test_a_refreshed_cube_keeps_the_natural_bits_a_rebuild_computes(built, national_admin):
    # A cell's natural bits are an OR (cellkey.signature_sql's lower bound): a bit a
    # cancelled report's person set stays while another person sharing it (an id equal
    # modulo 64) is still in the cell, and goes when none is.
    person, other = built.units[0], built.units[5]
    twin = twin_of(person)
    bit = 1 << (person.pk % 64)
    assert (1 << (other.pk % 64)) != bit
    center = built.centers[0]
    first = record(center, "BITS-1", [person], end=date(2020, 3, 1))
    second = record(center, "BITS-2", [twin], end=date(2020, 4, 1))
    record(center, "BITS-3", [other], end=date(2020, 5, 1))
    assert_refreshed_cube_is_rebuilt_cube()
    assert natural_bits(2020) & bit
    cancel_report(report=first, reason="error", actor=national_admin)
    assert_refreshed_cube_is_rebuilt_cube()
    assert natural_bits(2020) & bit  # the twin still holds it
    cancel_report(report=second, reason="error", actor=national_admin)
    assert_refreshed_cube_is_rebuilt_cube()
    assert natural_bits(2020) == 1 << (other.pk % 64)


@pytest.mark.parametrize(
    "older",
    [
        ["DROP VIEW cube_bits_person", "UPDATE cube SET reports = NULL WHERE dim = 'department'"],
        ["ALTER TABLE cube DROP COLUMN natural_units"],  # schema 8: no secrecy sums
        ["ALTER TABLE cube DROP COLUMN natural_bits"],  # schema 11: no natural bits
    ],
)
def test_a_generation_built_before_this_cube_answers_from_the_facts(built, older):
    # Schema 6 had neither the `person` bitmaps nor report counts by the unit's attributes:
    # until the next refresh rebuilds it, its questions must go to the facts, not fail.
    expected = [
        queries.figures(Filters(departments=("18",)), by=("category",), measures=("units",)),
        queries.figures(Filters(years=(2024,)), by=("department",)),
    ]
    path = connection.current_path(refresh.conf.directory())
    connection.forget_readers()  # closes this process's handle on the file
    gc.collect()
    with duckdb.connect(str(path)) as con:
        for statement in older:
            con.execute(statement)
    queries.clear_cache()
    caches["analytics"].clear()  # no answer computed before
    with connection.reader(refresh.conf.directory()).cursor() as cursor:
        assert not cube.present(cursor)
    answers = [
        queries.figures(Filters(departments=("18",)), by=("category",), measures=("units",)),
        queries.figures(Filters(years=(2024,)), by=("department",)),
    ]
    assert [(a.rows, a.totals) for a in answers] == [(e.rows, e.totals) for e in expected]


def test_intersections_flag_small_cells_only_when_they_hold_a_natural_person(built):
    # Cusco (08): two companies (RUC 20) alone in one category, and with a person in another.
    cusco = Department.objects.get(code="08")
    companies = [
        get_or_create_unit(
            document_type="ruc",
            document_number=number,
            name=f"Empresa {number}",
            client_type=ClientType.FORMAL_ENTERPRISE,
            department=cusco,
        )[0]
        for number in ("20600000013", "20600000021")
    ]
    person = make_unit(90, department=cusco)
    first, second = built.categories[:2]
    center = built.centers[0]
    record(center, "CUSCO-1", companies, end=date(2024, 4, 2), category=first)
    record(center, "CUSCO-2", [companies[0], person], end=date(2024, 5, 2), category=second)
    assert refresh.refresh().kind == "refresh"
    queries.clear_cache()
    filters = Filters(departments=("08",), years=(2024,))
    reader = refresh.ensure_fresh()
    for measures in [("units",), ("units", "new_units"), ("new_units",)]:
        cubed, scanned = (
            queries._shape(records, ("category",), measures, None, True, None, reader)
            for records in both_ways(filters, ("category",), measures)
        )
        assert (cubed.rows, cubed.totals) == (scanned.rows, scanned.totals), measures
        flags = {row["category"]: row["flagged"] for row in cubed.rows}
        assert flags == {first.code: False, second.code: True}, "companies are not persons"
