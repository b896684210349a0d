"""Per-year answers kept in each generation: the breakdowns a dashboard asks for most.

For every year and every value of one dimension (or none), the `cube` table holds the sums
(services, reports, amount, services to natural persons) and two bitmaps of unit ids: the
units served in the cell, and those among them served by the network for the first time
that year. Sums add up across years; bitmaps OR together, so distinct units over any set of
years stay exact. `answer()` serves figures() from it when the question fits: validated
reports, no filter but years, and a breakdown by at most one dimension (plus the year). Any
other question scans the facts (analytics.queries).

Kept in step with the facts by the writer: built whole by a rebuild, and recomputed for the
years a refresh touched (see refresh._reload_reports), so it is always exactly as fresh as
the generation it sits in.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

from typing import Any

import duckdb

# Dimension -> the fact column (as text) its cells are keyed by. Provinces are left out: ten
# years of ~200 provinces would make the bitmaps outweigh the facts at scale.
CODES = {
    "none": "NULL",
    "month": "year_month",
    "department": "unit_department_code",
    "center": "center_code",
    "cite": "cite_code",
    "chain": "chain_code",
    "category": "category_code",
    "client_type": "client_type",
    "size_class": "size_class",
    "programme": "programme_code",
    "free": "CAST(is_free AS VARCHAR)",
}
# Dimensions that are attributes of the productive unit: one report can fall in several cells,
# so their report counts are not kept.
UNIT_LEVEL = {"department", "client_type", "size_class"}
HEADROOM = 1.25  # room in the bitmaps for units created after the build
# Counts per cell in `cube`; the bitmaps apart, one table per dimension (`cube_bits_<dim>`):
# DuckDB reads a column of a row group whole, and a bitmap is (units / 8) bytes, so a
# question about one dimension must not read the bitmaps of all the others.
CUBE_DDL = """
CREATE TABLE IF NOT EXISTS cube (
    dim VARCHAR NOT NULL, year INTEGER NOT NULL, code VARCHAR,
    services BIGINT NOT NULL, reports BIGINT, amount DECIMAL(18, 2) NOT NULL,
    natural_services BIGINT NOT NULL, units BIGINT NOT NULL, new_units BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cube_range (low BIGINT NOT NULL, high BIGINT NOT NULL);
"""
BITS_DDL = (
    "CREATE TABLE IF NOT EXISTS cube_bits_{dim} "
    "(year INTEGER, code VARCHAR, units BIT, new_units BIT)"
)


def build(con: duckdb.DuckDBPyConnection, years: set[int] | None = None) -> None:
    """(Re)compute the cube for `years` (all of them when None, or when units outgrew it)."""
    con.execute(CUBE_DDL)
    for dim in CODES:
        con.execute(BITS_DDL.format(dim=dim))
    low, high = con.execute("SELECT min(unit_id), max(unit_id) FROM facts").fetchone()
    stored = con.execute("SELECT low, high FROM cube_range").fetchone()
    if years is not None and (stored is None or (high is not None and high > stored[1])):
        years = None  # the bitmaps must all share one range: recompute every year
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
    for dim in CODES:
        con.execute(f"DELETE FROM cube_bits_{dim} WHERE {where}")
    if low is None or stored is None:
        return
    bits = f"bitstring_agg(unit_id, {stored[0]}, {stored[1]})"
    rows = f"FROM facts WHERE is_validated AND {where}"
    # Reports counted once each: a report has one center, chain, category, programme, date
    # and price, so for those dimensions its cell is a plain count over this small table.
    report_level = [d for d in CODES if d not in UNIT_LEVEL]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE reports AS SELECT DISTINCT report_id, year, "
        f"{', '.join(f'{CODES[d]} AS {d}' for d in report_level)} {rows}"
    )
    for dim, code in CODES.items():
        # Reports by a unit's attribute (a report can fall in several cells) would need a
        # distinct count per cell: rarely asked, left to a scan of the facts (see answer()).
        reports = "NULL::BIGINT"
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
            f"{new} AS new_units {rows} GROUP BY year, {code}"
        )
        if dim not in UNIT_LEVEL:
            con.execute(
                f"UPDATE temp.cell c SET reports = r.n FROM (SELECT year, {dim} AS code, "
                f"count(*) AS n FROM temp.reports GROUP BY year, {dim}) r "
                "WHERE c.year = r.year AND c.code IS NOT DISTINCT FROM r.code"
            )
        firsts = "c.new_units" if dim == "none" else "c.units & f.new_units"
        con.execute(
            f"INSERT INTO cube SELECT '{dim}', c.year, c.code, c.services, c.reports, c.amount, "
            f"c.natural_services, bit_count(c.units), COALESCE(bit_count({firsts}), 0) "
            "FROM temp.cell c LEFT JOIN cube_bits_none f ON f.year = c.year"
        )
        con.execute(
            f"INSERT INTO cube_bits_{dim} SELECT year, code, units, new_units FROM temp.cell"
        )
    con.execute("DROP TABLE temp.cell")
    con.execute("DROP TABLE temp.reports")


def fits(filters: Any, by: tuple[str, ...], measures: tuple[str, ...], present: bool) -> bool:
    """Whether answer() can answer this question (see it)."""
    from citesmart.analytics.queries import Filters

    if not present or filters != Filters(years=filters.years):
        return False
    others = [d for d in by if d != "year"]
    if len(others) > 1 or (others and others[0] not in CODES):
        return False
    # Reports are not kept for unit-level dimensions (see build).
    return not (others and others[0] in UNIT_LEVEL and "reports" in measures)


def answer(
    cursor: Any, filters: Any, by: tuple[str, ...], measures: tuple[str, ...], present: bool
) -> list[tuple[Any, ...]] | None:
    """figures()' result records from the cube, or None when the question does not fit it.

    Same layout as queries._run: per dimension code and label, is_total, the measures,
    natural, then the units when they were not asked for (exact here, for the flags).
    Cells of one year are read as counts; several years together OR their bitmaps.
    """
    if not fits(filters, by, measures, present):
        return None
    others = [d for d in by if d != "year"]
    dim = others[0] if others else "none"
    years = list(filters.years)
    in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    wanted = [*measures, "natural", *(["units"] if "units" not in measures else [])]
    per_year = "year" in by or len(years) == 1
    rows: list[tuple[Any, ...]] = []
    if by:
        keys = ["year"] * ("year" in by) + ["code"] * bool(others)
        if per_year:  # one cube row per (year, code): its counts are the answer
            sql, params = _counts(wanted, keys, f"dim = ? AND {in_years}", [dim, *years])
        else:
            sql, params = _bitmaps(wanted, keys, dim, in_years, years)
        labels = _labels(cursor, dim) if others else {}
        for record in cursor.execute(sql, params).fetchall():
            key = dict(zip(keys, record[: len(keys)], strict=True))
            dims: list[Any] = []
            for name in by:
                if name == "year":
                    dims += [key["year"], key["year"]]
                else:
                    code = _typed(name, key["code"])
                    dims += [code, labels.get(key["code"], code)]
            rows.append((*dims, 0, *record[len(keys) :]))
    if len(years) == 1:
        sql, params = _counts(wanted, [], f"dim = 'none' AND {in_years}", years)
    else:  # new units of the whole: first served in one of the years, all in `none`
        sql, params = _bitmaps(wanted, [], "none", in_years, years, whole=True)
    total = cursor.execute(sql, params).fetchone()
    if total is None or total[0] is None:  # no service at all in the period
        total = tuple(0 for _ in wanted)
    rows.append((*[None] * (2 * len(by)), 1, *total))
    return rows


_SUMS = {
    "services": "sum(services)",
    "reports": "sum(reports)",
    "amount": "sum(amount)",
    "natural": "sum(natural_services)",
}


def _counts(wanted: list[str], keys: list[str], where: str, params: list[Any]):
    values = [_SUMS.get(m, f"sum({m})") for m in wanted]
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    select = ", ".join([*keys, *values])
    return f"SELECT {select} FROM cube WHERE {where}{group}", params


def _bitmaps(
    wanted: list[str],
    keys: list[str],
    dim: str,
    in_years: str,
    years: list[int],
    *,
    whole: bool = False,
):
    """Sums from `cube`, distinct units from ORed bitmaps, for several years at once."""
    firsts = f"(SELECT bit_or(new_units) FROM cube_bits_none WHERE {in_years})"
    distinct = {
        "units": "COALESCE(bit_count(bit_or(b.units)), 0)",
        "new_units": "COALESCE(bit_count(bit_or(b.new_units)), 0)"
        if whole
        else f"COALESCE(bit_count(bit_or(b.units) & {firsts}), 0)",
    }
    sums = [m for m in wanted if m in _SUMS]
    summed = (
        f"SELECT {', '.join(['code', *(f'{_SUMS[m]} AS {m}' for m in sums)])} FROM cube "
        f"WHERE dim = ? AND {in_years} GROUP BY code"
    )
    bitmaps = (
        f"SELECT code, {', '.join(f'{distinct[m]} AS {m}' for m in wanted if m in distinct)} "
        f"FROM cube_bits_{dim} b WHERE {in_years} GROUP BY code"
    )
    uses_firsts = not whole and "new_units" in wanted
    select = ", ".join(
        [*(f"s.{k}" for k in keys), *(f"{'s' if m in _SUMS else 'd'}.{m}" for m in wanted)]
    )
    sql = (
        f"SELECT {select} FROM ({summed}) s JOIN ({bitmaps}) d "
        "ON s.code IS NOT DISTINCT FROM d.code"
    )
    return sql, [dim, *years, *(years if uses_firsts else []), *years]


def _typed(dimension: str, code: str | None) -> Any:
    if code is None:
        return None
    return code == "true" if dimension == "free" else code


def _labels(cursor: Any, dim: str) -> dict[str, str]:
    """Code -> name of one dimension's values, from the dimension tables (current names)."""
    from citesmart.analytics.queries import DIMENSIONS

    names = DIMENSIONS[dim].names
    if names is None:
        return {}
    table, _, code, name = names
    return {str(c): n for c, n in cursor.execute(f"SELECT {code}, {name} FROM {table}").fetchall()}


def present(cursor: Any) -> bool:
    """Whether this generation has a cube (those built before it existed do not)."""
    found = cursor.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'cube_range' "
        "AND database_name = 'rm'"
    ).fetchone()
    return bool(found and found[0])
