"""What statistical secrecy needs per cell (its natural persons, its cell key) comes from the
cube for the questions the cube answers (no scan of the facts), and equals what a scan of
the facts gives, after refreshes and merges too: an official table's exact natural persons,
and a crossing's signature (cell key and lower bound of its natural persons) to the bit, so
the same cell is published the same whichever path answers it."""

from datetime import date

import pytest
import secrecy_world
from analytics_world import record, twin_of
from django.core.cache import caches
from test_cube import SHAPES

from citesmart.analytics import cellkey, cubecells, public, queries, refresh
from citesmart.analytics.filters import Filters, known_codes
from citesmart.analytics.recordkey import NATURAL_BIT, record_key_sql
from citesmart.geo.models import District
from citesmart.records.actions import validate_reports
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import merge_units

# The year of the twins' report (see `built`): five natural persons, four natural bits.
TWINS_YEAR = 2020
TWIN_SHAPES = [
    (Filters(years=(TWINS_YEAR,)), ()),
    (Filters(years=(TWINS_YEAR,)), ("center",)),
    (Filters(years=(TWINS_YEAR, 2021)), ("free",)),
    (Filters(years=(TWINS_YEAR, 2024)), ("year", "category")),
]


def counted_both_ways(monkeypatch) -> tuple[list[tuple], list[tuple[int, int]]]:
    """(filters, by, from the cube, from the facts) of every shape the cube answers, and
    (exact natural persons, lower bound) of every cell compared where the two differ."""
    reader = refresh.ensure_fresh()
    found, differing = [], []
    with reader.cursor() as cursor:
        known = known_codes(cursor, "test-" + reader.generation)
        assert known["_cube"]
        for filters, by in [*SHAPES, *TWIN_SHAPES, *one_code_shapes(cursor)]:
            counted = cellkey.natural_persons(cursor, filters, [by], known["_ids"])[by]
            signed = cellkey.cell_keys(cursor, filters, [by], known["_ids"])[by]
            with monkeypatch.context() as patched:  # the cube's answers scan no fact
                patched.setattr(cellkey, "natural_persons", _no_scan)
                patched.setattr(cellkey, "cell_keys", _no_scan)
                cubed = cubecells.per_cell(cursor, filters, [by], known, keys=False)[by]
                keyed = cubecells.per_cell(cursor, filters, [by], known, keys=True)[by]
            differing += _same_keys(filters, by, keyed, signed, cubed)
            found.append((filters, by, cubed, counted))
    return found, differing


def one_code_shapes(cursor) -> list[tuple[Filters, tuple[str, ...]]]:
    """Questions of one code of a dimension the cube keeps (the filtered dashboard's): by
    the year, or none, over one year or several (the codes of the earliest year's services
    first: the twins' report)."""
    found = cursor.execute(
        "SELECT chain_code, category_code, unit_department_code FROM facts "
        "WHERE chain_code IS NOT NULL AND unit_department_code IS NOT NULL "
        "ORDER BY year, service_id LIMIT 1"
    ).fetchone()
    assert found, "no service with a chain and a department: the shapes would ask nothing"
    chain, category, department = found
    found = cursor.execute(  # a CITE with a technical unit, and that unit
        "SELECT cite_code, center_code FROM facts WHERE center_code <> cite_code LIMIT 1"
    ).fetchone()
    assert found, "no service of a technical unit: the CITE and unit shapes would ask nothing"
    cite, unit = found
    shapes = []
    for one in [
        {"chains": (chain,)},
        {"categories": (category,)},
        {"departments": (department,)},
        {"free": True},
        {"free": False},
        {"centers": (cite,)},  # the CITE and its technical units
        {"centers": (cite,), "with_technical_units": False},
        {"centers": (unit,)},
    ]:
        for years in [(), (2024,), (TWINS_YEAR,), (TWINS_YEAR, 2022, 2024)]:
            for by in [(), ("year",)]:
                shapes.append((Filters(years=years, **one), by))
    return shapes


def assert_stored_keys_are_computed_ones() -> None:
    """Every fact row's stored record key and natural bit are the keyed hash of its service
    id and the bit of its unit (analytics.recordkey), however the row was written."""
    with refresh.ensure_fresh().cursor() as cursor:
        rows, wrong = cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE record_key <> {record_key_sql()} "  # noqa: S608
            f"OR natural_bit <> {NATURAL_BIT}) FROM facts"
        ).fetchone()
    assert rows > 0 and wrong == 0


def _same_keys(filters, by, keyed, signed, exact) -> list[tuple[int, int]]:
    """The cube's signatures are the scan's, cell by cell and the total: the same cell key
    and the same lower bound of the natural persons (never above the exact count). Returns
    (exact, lower bound) of the cells where those two differ."""
    differing = []
    cells = set(keyed[0]) | set(signed[0])
    for key in [*cells, None]:
        ours = keyed[0].get(key, 0) if key is not None else keyed[1]
        theirs = signed[0].get(key, 0) if key is not None else signed[1]
        natural = exact[0].get(key, 0) if key is not None else exact[1]
        assert cellkey.split(ours) == cellkey.split(theirs), (filters, by, key)
        bound = cellkey.split(theirs)[1]
        assert natural >= bound, (filters, by, key)
        if natural != bound:
            differing.append((natural, bound))
    return differing


def counted_units(filters: Filters, by: tuple[str, ...]) -> int:
    return queries.figures(filters, by=by, measures=["units"]).totals["units"]


def _no_scan(*args, **kwargs):
    raise AssertionError("scanned the facts")


def assert_cube_counts_the_natural_persons(monkeypatch, *, twins: int = 5) -> None:
    """The cube's exact natural persons are the facts'; its signatures, the scan's, also
    where the lower bound is below the exact count (`twins`: the exact count of the twins'
    year, whose bound is one less)."""
    persons = legal = 0
    found, differing = counted_both_ways(monkeypatch)
    assert (twins, twins - 1) in differing  # compared where the bound is not exact
    for filters, by, (cells, total), (counted_cells, counted_total) in found:
        assert total == counted_total, (filters, by)
        # The facts' grouping lists cells without a natural person (0): the same as absent.
        assert {c: n for c, n in cells.items() if n} == {
            c: n for c, n in counted_cells.items() if n
        }, (filters, by)
        persons += total
        legal += counted_units(filters, by) - total
    assert persons > 0 and legal > 0  # natural persons to count, beside companies


@pytest.fixture
def built(world):
    """The analytics world (natural persons only) with companies served beside them, and
    alone in TWINS_YEAR, a report of five natural persons two of whom share a natural bit
    (ids equal modulo 64): its cells' lower bound (4) is below their natural persons (5)."""
    district = District.objects.filter(department_id="13").first()
    for n in range(8):
        company = secrecy_world._company(n, district)
        end = date(2021 + n % 4, 1 + n, 10)  # the world's today is 2025-06-30
        record(world.centers[n % 2], f"LEGAL-{n}", [company, *world.units[n : n + 1]], end=end)
    twins = [*world.units[:4], twin_of(world.units[0])]
    record(world.centers[0], "TWINS", twins, end=date(TWINS_YEAR, 3, 3), chain=world.chains[0])
    refresh.rebuild()
    queries.clear_cache()
    return world


def test_the_cube_counts_each_cells_natural_persons_as_the_facts_do(built, monkeypatch):
    assert_cube_counts_the_natural_persons(monkeypatch)
    assert_stored_keys_are_computed_ones()


def test_after_refreshes_and_a_merge_too(built, national_admin, monkeypatch):
    record(built.centers[0], "NAT-1", built.units[:3], end=date(2024, 5, 1))
    assert refresh.refresh().kind == "refresh"
    assert_cube_counts_the_natural_persons(monkeypatch)
    merge_units(survivor=built.units[0], duplicate=built.units[2], actor=national_admin, reason="x")
    assert refresh.refresh().kind == "refresh"
    assert_cube_counts_the_natural_persons(monkeypatch, twins=4)  # units 0 and 2 are one
    assert_stored_keys_are_computed_ones()


def test_a_cell_is_published_the_same_from_the_cube_and_from_the_facts(built, monkeypatch):
    """The twins' year: five natural persons but four natural bits. Its crossing is
    suppressed (natural part 1 to 4, by the lower bound) whether the cube answers it
    (years only: no scan) or a scan of the facts (the same year as a period)."""
    measures = ["services", "units"]
    period = Filters(date_from=date(TWINS_YEAR, 1, 1), date_to=date(TWINS_YEAR, 12, 31))
    scanned = public.public_figures(period, by=("free",), measures=measures)
    for clear in (public.clear_cache, queries.clear_cache, caches["analytics"].clear):
        clear()
    with monkeypatch.context() as patched:
        patched.setattr(cellkey, "cell_keys", _no_scan)
        cubed = public.public_figures(Filters(years=(TWINS_YEAR,)), by=("free",), measures=measures)
    assert (cubed.rows, cubed.totals) == (scanned.rows, scanned.totals)
    assert cubed.totals["suppressed"] and all(row["suppressed"] for row in cubed.rows)
    # Not for its units (five: not a small cell) but for its natural part.
    assert counted_units(Filters(years=(TWINS_YEAR,)), ()) == 5


def test_other_questions_are_counted_from_the_facts(built, monkeypatch):
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        known = known_codes(cursor, "test-" + reader.generation)
        monkeypatch.setattr(cellkey, "natural_persons", _no_scan)
        for filters, by in [
            (Filters(chains=("cuero-calzado", "textil-camelidos")), ("year",)),  # two codes
            (Filters(chains=("cuero-calzado",)), ("department",)),  # another dimension
            (Filters(chains=("cuero-calzado",), months=(3,)), ()),  # a month of every year
            (Filters(date_from=date(2024, 1, 1)), ()),  # a period the cube lacks
            (Filters(years=(2024,)), ("center", "chain")),  # two dimensions
            (Filters(include_registered=True), ()),  # registered reports
        ]:
            with pytest.raises(AssertionError, match="scanned the facts"):
                cubecells.per_cell(cursor, filters, [by], known, keys=False)
        with pytest.raises(AssertionError, match="scanned the facts"):  # an older generation
            cubecells.per_cell(cursor, Filters(), [("year",)], known | {"_cube": False}, keys=False)


def test_a_crossing_by_the_year_within_one_year_is_its_total(built, monkeypatch):
    """Within one year, the crossing by the year is the total the page's prefetch already
    scanned: the same published cells as a scan of its own gives, and no scan."""
    filters = Filters(date_from=date(2024, 1, 1), date_to=date(2024, 11, 30))
    scanned = public.public_figures(filters, by=("year",), measures=["services"])
    assert scanned.perturbed and scanned.rows
    for clear in (public.clear_cache, queries.clear_cache, caches["analytics"].clear):
        clear()
    asks = [{"by": (by,), "measures": ("services",)} for by in ("center", "chain")]
    public.prefetch(filters, asks)
    monkeypatch.setattr(cellkey, "cell_keys", _no_scan)
    assert public.public_figures(filters, by=("year",), measures=["services"]) == scanned


def test_cells_outlive_generations_that_leave_their_years_alone(built, national_admin, monkeypatch):
    """Cells depend on the validated rows, like the figures: under imports of registered
    reports (a generation a second on a busy server) a question's cells are counted once,
    not once per generation; validating a report of their year counts them again, as a new
    process would."""
    crossing = (Filters(years=(2024,)), ("center", "chain"))  # perturbed: its cell keys
    official = (Filters(years=(2024,)), ("center",))  # exact: its natural persons

    def both():
        return [
            public.public_figures(f, by=by, measures=["services"]) for f, by in (crossing, official)
        ]

    asked = both()
    report = record(
        built.centers[0], "REG-1", built.units[:2], end=date(2024, 7, 1),
        status=ReportStatus.REGISTERED,
    )  # fmt: skip
    assert refresh.refresh().kind == "refresh"
    with monkeypatch.context() as patched:
        for kind in (public.KEYS, public.NATURAL):
            patched.setitem(public._COMPUTE, kind, _no_scan)
        again = both()
    assert [(a.rows, a.totals) for a in again] == [(a.rows, a.totals) for a in asked]
    validate_reports(reports=[report], actor=national_admin)
    assert refresh.refresh().kind == "refresh"
    validated = both()
    for clear in (public.clear_cache, queries.clear_cache, caches["analytics"].clear):
        clear()
    fresh = both()
    assert [(a.rows, a.totals) for a in validated] == [(a.rows, a.totals) for a in fresh]
    assert validated[1].totals["services"] == asked[1].totals["services"] + 2


def test_keys_of_another_secret_are_never_mixed_with_the_old(built, settings):
    """After the secret changes, the next refresh rebuilds: every stored key is the new
    secret's (a refresh would have left the old keys on every row it did not reload)."""
    settings.ANALYTICS_CELL_KEY_SECRET = "otro secreto"
    record(built.centers[0], "NAT-2", built.units[:1], end=date(2024, 6, 1))
    assert refresh.refresh().kind == "rebuild"
    assert_stored_keys_are_computed_ones()
