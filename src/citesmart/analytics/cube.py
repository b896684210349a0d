"""Per-year answers kept in each generation: the breakdowns a dashboard asks for most.

For every year and every value of one dimension (or none), the `cube` table holds the sums
(services, reports, amount, services to natural persons), what statistical secrecy needs
(the sum of the records' keys, the exact natural persons and the OR of the records' natural
bits, analytics.cubecells) and two bitmaps of unit ids: the units served in the cell, and
those among them served by the network for the first time that year. Sums add up across
years; bitmaps (and natural bits) OR together, so distinct units over any set of years stay
exact. analytics.cubeanswer serves figures() from it when the question fits:
validated reports, no filter but years, and a breakdown by at most one dimension (plus the
year). Any other question scans the facts (analytics.scan). This module keeps the tables.

Kept in step with the facts by the writer: built whole by a rebuild, and updated by a
refresh from the rows it changed (see build._reload_reports and build(changes=...)): only
the cells those rows and their units are in are computed and written again. So it is always
exactly as fresh as the generation it sits in, and the same as a rebuild would make it
(tests/analytics/test_cube.py compares the two). A cell's
natural bits cannot be moved by a delta (an OR cannot be undone): the bits only its old
rows held are looked up again in the facts (_restore_lost_bits).
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

from dataclasses import dataclass
from typing import Any

import duckdb

from citesmart.analytics import cubebits
from citesmart.analytics.vocabulary import DIMENSIONS

# Dimension -> the fact column (as text) its cells are keyed by (vocabulary's `cube`); `none`
# first: the cells of every other dimension take their new units from its bitmaps.
CODES = {
    "none": "NULL",
    **{name: d.cube for name, d in DIMENSIONS.items() if d.cube},
    # Not a dimension of figures(): whether the unit is a natural person, whose bitmap gives
    # the flags of the cells answered by intersecting bitmaps (see cubeanswer._intersected).
    "person": "CAST(is_natural AS VARCHAR)",
}


# Dimensions that are attributes of the productive unit: one report can fall in several cells,
# so their report counts are distinct counts of (report, cell) pairs; not kept for `person`.
UNIT_LEVEL = {"department", "client_type", "size_class", "person"}
NO_REPORTS = {"person"}


HEADROOM = 1.25  # room in the bitmaps for units created after the build


# Counts per cell in `cube`; the bitmaps apart, one table per dimension and year
# (`cube_bits_<dim>_<year>`) under one view per dimension (`cube_bits_<dim>`): DuckDB reads a
# column of a row group whole, and a bitmap is (units / 8) bytes, so a question about one
# dimension must not read the bitmaps of all the others; and a checkpoint rewrites a changed
# row group whole, so a refresh that changed one year must not rewrite the bitmaps of all
# the others (at 10M services: 115 MB, 1.6 s, against 16 MB for one year).
CUBE_DDL = """
CREATE TABLE IF NOT EXISTS cube (
    dim VARCHAR NOT NULL, year INTEGER NOT NULL, code VARCHAR,
    services BIGINT NOT NULL, reports BIGINT, amount DECIMAL(18, 2) NOT NULL,
    natural_services BIGINT NOT NULL, units BIGINT NOT NULL, new_units BIGINT NOT NULL,
    key_sum BIGINT NOT NULL, natural_units BIGINT NOT NULL, natural_bits UBIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cube_range (low BIGINT NOT NULL, high BIGINT NOT NULL);
"""


@dataclass(frozen=True)
class Changes:
    """What a refresh changed in the facts, as tables of the writer's connection.

    `before` and `after`: the old and new fact rows of the reloaded reports (facts columns);
    `units`: a `unit_id` column with every unit that had or has a row among them. No other
    unit's rows or first dates changed (see build._reload_reports). `all_cells`: whether
    every cell of a changed row or unit gets new bitmaps (True when unknown), as it must when
    a unit's first validated service moved (its cells count new units differently) or a unit
    itself changed (a natural person no more: its cells' natural persons), not only the
    cells a unit joined or left.
    """

    before: str
    after: str
    units: str
    all_cells: bool = True


def build(
    con: duckdb.DuckDBPyConnection,
    years: set[int] | None = None,
    *,
    changes: Changes | None = None,
) -> None:
    """(Re)compute the cube for `years` (all of them when None, or when units outgrew it).

    With `changes`, the cells that hold a changed row are updated from what changed rather
    than recomputed from all their rows: sums move by the new rows minus the old ones; the
    bitmaps of a cell a changed unit joined or left keep their bits of the unchanged units
    and take those of the changed units from their rows now (a scan of the changed units'
    rows only). No other cell, and no other bitmap, is read or written: DuckDB reads a
    table's bitmaps whole (60 KB each at 10M services), and reading and writing every one
    of the year made a validation's refresh there 1.5 s instead of 1.0 s (median, this
    machine). The result is the same cube.
    """
    con.execute(CUBE_DDL)
    low, high = con.execute("SELECT min(unit_id), max(unit_id) FROM facts").fetchone()
    stored = con.execute("SELECT low, high FROM cube_range").fetchone()
    if years is not None and (
        stored is None
        or (high is not None and high > stored[1])
        or (low is not None and low < stored[0])
    ):
        years = None  # the bitmaps must all share one range: recompute every year
    if years and changes is not None and stored is not None and low is not None:
        _update(con, years, changes, (int(stored[0]), int(stored[1])))
        return
    if years is None:
        where = "TRUE"
        con.execute("DELETE FROM cube_range")
        if low is not None:
            stored = (int(low), int(low + (high - low + 1) * HEADROOM + 1000))
            con.execute("INSERT INTO cube_range VALUES (?, ?)", list(stored))
    elif not years:
        return
    else:
        where = f"year IN ({', '.join(str(int(y)) for y in sorted(years))})"
    con.execute(f"DELETE FROM cube WHERE {where}")
    if low is None or stored is None:
        for dim in CODES:
            cubebits.replace_bits(con, dim, years, cells=False)
        return
    _compute_cells(con, years, f"FROM facts WHERE is_validated AND {where}", stored)


def _compute_cells(
    con: duckdb.DuckDBPyConnection,
    years: set[int] | None,
    rows: str,
    stored: tuple[int, int],
) -> None:
    """Every dimension's cells of `years` (None: all) from the fact `rows` they select."""
    bits = f"bitstring_agg(unit_id, {stored[0]}, {stored[1]})"
    # Reports counted once each: a report has one center, chain, category, programme, date
    # and price, so for those dimensions its cell is a plain count over this small table.
    report_level = [d for d in CODES if d not in UNIT_LEVEL]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE reports AS SELECT DISTINCT report_id, year, "
        f"{', '.join(f'{CODES[d]} AS {d}' for d in report_level)} {rows}"
    )
    for dim, code in CODES.items():
        reports = "NULL::BIGINT"  # counted below
        # Only the whole network's cells need the bitmap of new units: a cell's new units
        # are its units AND those first served that year (the `none` bitmap of its year).
        new = (
            f"{bits} FILTER (WHERE first_ym_validated // 100 = year)"
            if dim == "none"
            else "NULL::BIT"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE cell AS SELECT year, {code} AS code, "
            f"count(*) AS services, {reports} AS reports, "
            "COALESCE(sum(CASE WHEN is_free THEN 0 ELSE amount END), 0) AS amount, "
            f"count(*) FILTER (WHERE is_natural) AS natural_services, {bits} AS units, "
            f"{new} AS new_units, sum(record_key) AS key_sum, "
            f"COALESCE(bit_or(natural_bit), 0) AS natural_bits {rows} GROUP BY year, {code}"
        )
        # A report's cells: one per report-level dimension; by a unit's attribute, one per
        # distinct value among its units.
        pairs = (
            f"(SELECT DISTINCT report_id, year, {code} AS {dim} {rows})"
            if dim in UNIT_LEVEL
            else "temp.reports"
        )
        if dim not in NO_REPORTS:
            con.execute(
                f"UPDATE temp.cell c SET reports = r.n FROM (SELECT year, {dim} AS code, "
                f"count(*) AS n FROM {pairs} GROUP BY year, {dim}) r "
                "WHERE c.year = r.year AND c.code IS NOT DISTINCT FROM r.code"
            )
        _store_cells(con, dim, years)
    con.execute("DROP TABLE temp.cell")
    con.execute("DROP TABLE temp.reports")
    cubebits.natural_units(con, CODES, years)


def _store_cells(con: duckdb.DuckDBPyConnection, dim: str, years: set[int] | None) -> None:
    """The cells of `temp.cell` (one dimension, `years` or all) into `cube` and its bitmaps."""
    cubebits.replace_bits(con, dim, years)
    firsts = "c.new_units" if dim == "none" else "c.units & f.new_units"
    con.execute(
        f"INSERT INTO cube SELECT '{dim}', c.year, c.code, c.services, c.reports, c.amount, "
        f"c.natural_services, bit_count(c.units), COALESCE(bit_count({firsts}), 0), "
        "COALESCE(c.key_sum, 0), 0, c.natural_bits FROM temp.cell c "
        "LEFT JOIN cube_bits_none f ON f.year = c.year"
    )


def _update(
    con: duckdb.DuckDBPyConnection, years: set[int], changes: Changes, bounds: tuple[int, int]
) -> None:
    """The cells of `years` from their stored values and what changed (see build)."""
    where = f"year IN ({', '.join(str(int(y)) for y in sorted(years))})"
    bits = f"bitstring_agg(unit_id, {bounds[0]}, {bounds[1]})"
    # The changed units' validated rows in those years as they are now (first dates
    # included): their bits in every cell are recomputed from these alone.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE changed_rows AS SELECT year, unit_id, report_id, "
        "first_ym_validated, "
        f"{', '.join(f'CAST({code} AS VARCHAR) AS {dim}' for dim, code in CODES.items())} "
        "FROM facts "
        f"WHERE is_validated AND {where} AND unit_id IN (SELECT unit_id FROM {changes.units})"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE changed_mask AS "
        f"SELECT ~COALESCE({bits}, bitstring('0', {bounds[1] - bounds[0] + 1})) AS keep "
        f"FROM {changes.units}"
    )
    # Old rows count -1, new rows +1; a reloaded report is wholly in `before` and `after`.
    signed = (
        f"SELECT -1 AS sign, * FROM {changes.before} WHERE is_validated AND {where} "
        f"UNION ALL SELECT 1, * FROM {changes.after} WHERE is_validated AND {where}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE changed_signed AS {signed}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lost_bits "
        "(dim VARCHAR, year INTEGER, code VARCHAR, lost UBIGINT)"
    )
    # Only rows taken out can take a natural bit out of a cell.
    removed = con.execute("SELECT count(*) FROM temp.changed_signed WHERE sign = -1").fetchone()
    con.execute("CREATE OR REPLACE TEMP TABLE affected (dim VARCHAR, year INTEGER, code VARCHAR)")
    tables = cubebits.year_tables(con)
    for dim, code in CODES.items():
        con.execute(_moved_cells(dim, code, changes))
        moved_years = {y for (y,) in con.execute("SELECT DISTINCT year FROM temp.moved").fetchall()}
        existing = tables.setdefault(dim, set())  # kept up to date by _store_changed_cells
        old_bits = cubebits.bits_of(dim, moved_years & existing)
        con.execute(_updated_cells(dim, code, where, bits, old_bits))
        if removed and removed[0]:
            con.execute(
                f"INSERT INTO temp.lost_bits SELECT '{dim}', year, code, lost FROM temp.cell "
                "WHERE lost <> 0 AND services > 0"
            )
        con.execute(f"INSERT INTO temp.affected SELECT '{dim}', year, code FROM temp.moved")
        _store_changed_cells(con, dim, existing, moved_years)
    _restore_lost_bits(con)
    for name in ("cell", "moved", "changed_rows", "changed_mask", "changed_signed", "lost_bits"):
        con.execute(f"DROP TABLE temp.{name}")
    cubebits.natural_units(con, CODES, years, only="temp.affected", tables=tables)
    con.execute("DROP TABLE temp.affected")


def _moved_cells(dim: str, code: str, changes: Changes) -> str:
    """The SQL of `temp.moved`: the cells of one dimension whose bitmaps change, those a
    changed unit joined or left (its rows there now against before: its rows outside the
    reloaded reports and its old rows); or every cell of a changed row or unit (see
    Changes.all_cells). The other changed cells only
    move their sums: their bitmaps (60 KB each at 10M services) are not read or written."""
    if changes.all_cells:
        return (
            f"CREATE OR REPLACE TEMP TABLE moved AS SELECT year, CAST({code} AS VARCHAR) AS code "
            f"FROM temp.changed_signed UNION SELECT year, {dim} FROM temp.changed_rows"
        )
    return (
        "CREATE OR REPLACE TEMP TABLE moved AS SELECT DISTINCT year, code FROM ("
        "SELECT year, code, unit_id, bool_or(is_now) AS is_now, bool_or(was) AS was FROM ("
        f"SELECT year, {dim} AS code, unit_id, true AS is_now, report_id NOT IN "
        f"(SELECT report_id FROM {changes.after}) AS was FROM temp.changed_rows UNION ALL "
        f"SELECT year, CAST({code} AS VARCHAR), unit_id, false, true FROM temp.changed_signed "
        "WHERE sign = -1) GROUP BY ALL) WHERE is_now <> was"
    )


def _store_changed_cells(
    con: duckdb.DuckDBPyConnection, dim: str, existing: set[int], moved_years: set[int]
) -> None:
    """Replace the cells of `temp.cell` (one dimension: the cells a refresh changed, those
    left with no service included) in `cube`, and the bitmaps of the moved ones in the
    tables of their years; every other cell stays as it is, bitmap and all. `existing`: the
    years with a bitmap table (kept up to date); `moved_years`: those of `temp.moved`."""
    con.execute(
        f"DELETE FROM cube USING temp.cell c WHERE cube.dim = '{dim}' AND cube.year = c.year "
        "AND cube.code IS NOT DISTINCT FROM c.code"
    )
    before = set(existing)
    for year in sorted(moved_years):
        table, kept = f"cube_bits_{dim}_{int(year)}", f"year = {int(year)} AND services > 0"
        moved = f"moved AND year = {int(year)}"
        if year in existing:
            con.execute(
                f"DELETE FROM {table} USING temp.moved m WHERE m.year = {table}.year "
                f"AND m.code IS NOT DISTINCT FROM {table}.code"
            )
            con.execute(
                f"INSERT INTO {table} SELECT year, code, units, new_units FROM temp.cell "
                f"WHERE moved AND {kept}"
            )
            if not cubebits.count_of(con, f"SELECT count(*) FROM {table}"):
                con.execute(f"DROP TABLE {table}")
                existing.discard(year)
        elif cubebits.count_of(con, f"SELECT count(*) FROM temp.cell WHERE {moved} AND {kept}"):
            con.execute(
                f"CREATE TABLE {table} AS {cubebits.BITS_COLUMNS} "
                f"FROM temp.cell WHERE {moved} AND {kept}"
            )
            existing.add(year)
    if existing != before:
        cubebits.bits_view(con, dim, existing)
    firsts = "c.new_units" if dim == "none" else "c.units & f.new_units"
    con.execute(
        f"INSERT INTO cube SELECT '{dim}', c.year, c.code, c.services, c.reports, c.amount, "
        "c.natural_services, CASE WHEN c.moved THEN bit_count(c.units) ELSE c.kept_units END, "
        f"CASE WHEN c.moved THEN COALESCE(bit_count({firsts}), 0) ELSE c.kept_new END, "
        "COALESCE(c.key_sum, 0), CASE WHEN c.moved THEN 0 ELSE c.kept_natural END, "
        "c.natural_bits FROM temp.cell c LEFT JOIN cube_bits_none f ON f.year = c.year "
        "WHERE c.services > 0"
    )


def _updated_cells(dim: str, code: str, where: str, bits: str, old_bits: str) -> str:
    """The SQL of `temp.cell` for one dimension: the cells of the years in `where` that what
    changed moves (see _update), from their stored values; those left with no service
    included. Only a cell with a changed row (`delta`) can move, and only one that a changed
    unit joined or left (`temp.moved`) has new bitmaps, from theirs (`old_bits`): the others
    keep their counts of units (`kept_*`). Natural bits: the stored ones ORed with those of
    the new rows, and `lost`, those only the old rows had (see _restore_lost_bits)."""
    new = (
        f"{bits} FILTER (WHERE first_ym_validated // 100 = year)" if dim == "none" else "NULL::BIT"
    )
    old = (
        "SELECT c.year, c.code, c.services, c.reports, c.amount, c.natural_services, "
        "c.units, c.new_units, c.natural_units, c.key_sum, c.natural_bits FROM cube c "
        f"WHERE c.dim = '{dim}' AND c.{where} AND EXISTS (SELECT 1 FROM k "
        "WHERE k.year = c.year AND k.code IS NOT DISTINCT FROM c.code)"
    )
    now = (
        f"SELECT year, {dim} AS code, {bits} AS units, {new} AS new_units "
        f"FROM temp.changed_rows GROUP BY year, {dim}"
    )
    key = "k.year = {t}.year AND k.code IS NOT DISTINCT FROM {t}.code"
    kept = "CASE WHEN {o} IS NULL THEN n.{c} WHEN n.{c} IS NULL THEN {o} ELSE {o} | n.{c} END"
    units = kept.format(o="(b.units & m.keep)", c="units")
    new_units = kept.format(o="(b.new_units & m.keep)", c="new_units")
    summed = (
        "NULL::BIGINT" if dim in NO_REPORTS else "COALESCE(o.reports, 0) + COALESCE(d.reports, 0)"
    )
    moved = "v.year IS NOT NULL"
    return (
        "CREATE OR REPLACE TEMP TABLE cell AS "
        f"WITH delta AS ({_delta(dim, code)}), "
        "k AS (SELECT year, code FROM delta UNION SELECT year, code FROM temp.moved), "
        f"old AS ({old}), now AS ({now}) "
        f"SELECT k.year, k.code, {moved} AS moved, "
        "COALESCE(o.services, 0) + COALESCE(d.services, 0) AS services, "
        f"{summed} AS reports, "
        "COALESCE(o.amount, 0) + COALESCE(d.amount, 0) AS amount, "
        "COALESCE(o.natural_services, 0) + COALESCE(d.natural_services, 0) "
        "AS natural_services, "
        f"CASE WHEN {moved} THEN {units} END AS units, "
        f"CASE WHEN {moved} THEN {new_units if dim == 'none' else 'NULL::BIT'} END AS new_units, "
        "o.units AS kept_units, o.new_units AS kept_new, o.natural_units AS kept_natural, "
        "COALESCE(o.key_sum, 0) + COALESCE(d.key_sum, 0) AS key_sum, "
        "COALESCE(o.natural_bits, 0) | COALESCE(d.added_bits, 0) AS natural_bits, "
        "COALESCE(d.removed_bits & ~d.added_bits, 0) AS lost "
        f"FROM k LEFT JOIN temp.moved v ON {key.format(t='v')} "
        f"LEFT JOIN old o ON {key.format(t='o')} LEFT JOIN ({old_bits}) b ON {key.format(t='b')} "
        f"LEFT JOIN delta d ON {key.format(t='d')} LEFT JOIN now n ON {key.format(t='n')} "
        "CROSS JOIN temp.changed_mask m"
    )


def _delta(dim: str, code: str) -> str:
    """The SQL of what changed in one dimension's cells: sums of the new rows minus the old
    ones, and the natural bits of each (see _updated_cells)."""
    # A reloaded report is wholly in `before` and `after`, so in each of its cells (its
    # value of a report-level dimension, or each distinct attribute of its units) the
    # count moves by the reports added minus those removed.
    reports = (
        "NULL::BIGINT"
        if dim in NO_REPORTS
        else "count(DISTINCT report_id) FILTER (WHERE sign = 1) "
        "- count(DISTINCT report_id) FILTER (WHERE sign = -1)"
    )
    return (
        f"SELECT year, CAST({code} AS VARCHAR) AS code, sum(sign) AS services, "
        f"{reports} AS reports, "
        "sum(sign * CASE WHEN is_free THEN 0 ELSE amount END) AS amount, "
        "sum(sign) FILTER (WHERE is_natural) AS natural_services, "
        "sum(sign * record_key) AS key_sum, "
        "COALESCE(bit_or(natural_bit) FILTER (WHERE sign = 1), 0) AS added_bits, "
        "COALESCE(bit_or(natural_bit) FILTER (WHERE sign = -1), 0) AS removed_bits "
        "FROM temp.changed_signed GROUP BY ALL"
    )


def _restore_lost_bits(con: duckdb.DuckDBPyConnection) -> None:
    """The natural bits cells lost (`temp.lost_bits`), set again where a row still there
    holds them. An OR cannot be undone by a delta: a bit the old rows of a cell had and its
    new rows have not may still come from another of its rows. Those rows are looked up in
    the facts: one GROUPING SETS scan of the years concerned, of the natural persons whose
    bit some cell lost only (none at all when the refresh only added rows)."""
    lost, years = con.execute(
        "SELECT bit_or(lost), list(DISTINCT year) FROM temp.lost_bits"
    ).fetchone()
    if not lost:
        return
    others = [d for d in CODES if d != "none"]
    grouping = f"GROUPING({', '.join(others)})"
    masks = {
        d: ((1 << len(others)) - 1) & ~(1 << (len(others) - 1 - i)) for i, d in enumerate(others)
    }
    dims = " ".join(f"WHEN {mask} THEN '{d}'" for d, mask in masks.items())
    codes = " ".join(f"WHEN {mask} THEN {d}" for d, mask in masks.items())
    sets = ", ".join(["(year)", *(f"(year, {d})" for d in others)])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE found_bits AS SELECT year, "
        f"CASE {grouping} {dims} ELSE 'none' END AS dim, CASE {grouping} {codes} END AS code, "
        "bit_or(natural_bit) AS bits FROM (SELECT year, natural_bit, "
        f"{', '.join(f'CAST({CODES[d]} AS VARCHAR) AS {d}' for d in others)} FROM facts "
        f"WHERE is_validated AND year IN ({', '.join(str(int(y)) for y in sorted(years))}) "
        f"AND natural_bit & {int(lost)}::UBIGINT <> 0) GROUP BY GROUPING SETS ({sets})"
    )
    con.execute(
        "UPDATE cube SET natural_bits = (cube.natural_bits & ~x.lost) | (x.bits & x.lost) "
        "FROM (SELECT l.dim, l.year, l.code, l.lost, COALESCE(f.bits, 0) AS bits "
        "FROM temp.lost_bits l LEFT JOIN temp.found_bits f ON f.dim = l.dim "
        "AND f.year = l.year AND f.code IS NOT DISTINCT FROM l.code) x "
        "WHERE cube.dim = x.dim AND cube.year = x.year AND cube.code IS NOT DISTINCT FROM x.code"
    )
    con.execute("DROP TABLE temp.found_bits")


def present(cursor: Any) -> bool:
    """Whether this generation has this cube: those built before it existed, or before its
    last change (schema 7: the `person` bitmaps; schema 9: each cell's sum of record keys
    and natural persons; schema 12: each cell's natural bits) have not,
    until the next refresh rebuilds them; their questions go to the facts."""
    found = cursor.execute(
        "SELECT (SELECT count(*) FROM duckdb_views() WHERE view_name = 'cube_bits_person' "
        "AND database_name = 'rm') * (SELECT count(*) FROM duckdb_columns() "
        "WHERE table_name = 'cube' AND column_name IN ('natural_units', 'natural_bits') "
        "AND database_name = 'rm')"
    ).fetchone()
    return bool(found and found[0] == 2)
