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
HEADROOM = 1.25  # room in the bitmaps for units created after the build
CUBE_DDL = """
CREATE TABLE IF NOT EXISTS cube (
    dim VARCHAR NOT NULL, year INTEGER NOT NULL, code VARCHAR,
    services BIGINT NOT NULL, reports BIGINT NOT NULL, amount DECIMAL(18, 2) NOT NULL,
    natural_services BIGINT NOT NULL, units BIT, new_units BIT
);
CREATE TABLE IF NOT EXISTS cube_range (low BIGINT NOT NULL, high BIGINT NOT NULL);
"""


def build(con: duckdb.DuckDBPyConnection, years: set[int] | None = None) -> None:
    """(Re)compute the cube for `years` (all of them when None, or when units outgrew it)."""
    con.execute(CUBE_DDL)
    low, high = con.execute("SELECT min(unit_id), max(unit_id) FROM facts").fetchone()
    stored = con.execute("SELECT low, high FROM cube_range").fetchone()
    if years is not None and (stored is None or (high is not None and high > stored[1])):
        years = None  # the bitmaps must all share one range: recompute every year
    if years is None:
        con.execute("DELETE FROM cube")
        con.execute("DELETE FROM cube_range")
        if low is None:
            return
        stored = (int(low), int(low + (high - low + 1) * HEADROOM + 1000))
        con.execute("INSERT INTO cube_range VALUES (?, ?)", list(stored))
        where = "TRUE"
    else:
        if not years:
            return
        where = f"year IN ({', '.join(str(int(y)) for y in sorted(years))})"
        con.execute(f"DELETE FROM cube WHERE {where}")
    low, high = stored
    bits = f"bitstring_agg(unit_id, {low}, {high})"
    for dim, code in CODES.items():
        con.execute(
            f"INSERT INTO cube SELECT '{dim}', year, {code}, count(*), "
            "count(DISTINCT report_id), "
            "COALESCE(sum(CASE WHEN is_free THEN 0 ELSE amount END), 0), "
            f"count(*) FILTER (WHERE is_natural), {bits}, "
            f"{bits} FILTER (WHERE first_ym_validated // 100 = year) "
            f"FROM facts WHERE is_validated AND {where} GROUP BY year, {code}"
        )


def answer(
    cursor: Any, filters: Any, by: tuple[str, ...], measures: tuple[str, ...], present: bool
) -> list[tuple[Any, ...]] | None:
    """figures()' result records from the cube, or None when the question does not fit it.

    Same layout as queries._run: per dimension code and label, is_total, the measures,
    natural, then the units when they were not asked for (exact here, for the flags).
    """
    from citesmart.analytics.queries import Filters

    if not present or filters != Filters(years=filters.years):
        return None
    others = [d for d in by if d != "year"]
    if len(others) > 1 or (others and others[0] not in CODES):
        return None
    dim = others[0] if others else "none"
    years = list(filters.years)
    in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    by_year = "year" in by
    values = [
        "sum(services)",
        "sum(reports)",
        "COALESCE(bit_count(bit_or(units)), 0)",
        # New in the period: first served in one of its years (by year: in that year).
        "COALESCE(bit_count(bit_or(new_units)), 0)"
        if by_year
        else "COALESCE(bit_count(bit_or(units) & (SELECT bit_or(new_units) FROM cube "
        f"WHERE dim = 'none' AND {in_years})), 0)",
        "sum(amount)",
        "sum(natural_services)",
    ]
    named = dict(
        zip(("services", "reports", "units", "new_units", "amount", "natural"), values, strict=True)
    )
    wanted = [*measures, "natural", *(["units"] if "units" not in measures else [])]
    select = ", ".join(named[m] for m in wanted)
    total_values = dict(named, new_units="COALESCE(bit_count(bit_or(new_units)), 0)")
    total_select = ", ".join(total_values[m] for m in wanted)
    inner_params = years if (not by_year and "new_units" in wanted) else []
    keys = ["year"] * by_year + ["code"] * bool(others)
    rows: list[tuple[Any, ...]] = []
    if by:
        found = cursor.execute(
            f"SELECT {', '.join(keys)}, {select} FROM cube WHERE dim = ? AND {in_years} "
            f"GROUP BY {', '.join(keys)}",
            [*inner_params, dim, *years],
        ).fetchall()
        labels = _labels(cursor, dim) if others else {}
        for record in found:
            key = dict(zip(keys, record[: len(keys)], strict=True))
            dims: list[Any] = []
            for name in by:
                if name == "year":
                    dims += [key["year"], key["year"]]
                else:
                    code = _typed(name, key["code"])
                    dims += [code, labels.get(key["code"], code)]
            rows.append((*dims, 0, *record[len(keys) :]))
    total = cursor.execute(
        f"SELECT {total_select} FROM cube WHERE dim = 'none' AND {in_years}", years
    ).fetchone()
    nulls = [None] * (2 * len(by))
    if total is None or total[0] is None:  # no service at all in the period
        total = tuple(0 for _ in wanted)
    rows.append((*nulls, 1, *total))
    return rows


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
