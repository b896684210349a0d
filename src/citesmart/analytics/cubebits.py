"""The cube's bitmaps as DuckDB stores them: one table per dimension and year
(`cube_bits_<dim>_<year>`) under one view per dimension (`cube_bits_<dim>`), and each cell's
natural persons counted from them. Kept by analytics.cube; read by cubeanswer and cubecells
through the views. See cube.py for why the bitmaps are apart and split by year.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

import re
from collections.abc import Iterable

import duckdb

_YEAR_TABLE = re.compile(r"^cube_bits_(\w+?)_(\d{4})$")
BITS_COLUMNS = (
    "SELECT CAST(year AS INTEGER) AS year, CAST(code AS VARCHAR) AS code, "
    "CAST(units AS BIT) AS units, CAST(new_units AS BIT) AS new_units"
)


def replace_bits(
    con: duckdb.DuckDBPyConnection, dim: str, years: set[int] | None, *, cells: bool = True
) -> None:
    """Replace the bitmap tables of `dim` for `years` (None: all) by those of `temp.cell`."""
    existing = year_tables(con).get(dim, set())
    before = set(existing)
    found: set[int] = set()
    if cells:
        found = {int(y) for (y,) in con.execute("SELECT DISTINCT year FROM temp.cell").fetchall()}
        found = found if years is None else found & years
    for year in (existing if years is None else existing & years) - found:
        con.execute(f"DROP TABLE cube_bits_{dim}_{int(year)}")
        existing.discard(year)
    for year in sorted(found):
        con.execute(
            f"CREATE OR REPLACE TABLE cube_bits_{dim}_{year} AS {BITS_COLUMNS} "
            f"FROM temp.cell WHERE year = {year}"
        )
        existing.add(year)
    if existing != before or not before:
        bits_view(con, dim, existing)


def bits_view(con: duckdb.DuckDBPyConnection, dim: str, existing: set[int]) -> None:
    """The view `cube_bits_<dim>` over the bitmap tables of the years in `existing`."""
    con.execute(f"CREATE OR REPLACE VIEW cube_bits_{dim} AS {bits_of(dim, existing)}")


def bits_of(dim: str, years: set[int]) -> str:
    """The SQL of the bitmaps of `dim` in `years` (each with a table): read those tables
    only. DuckDB reads a table's bitmaps whole even for a join that keeps none of them, so a
    refresh reads the years it changed, not the view over all of them."""
    parts = [f"SELECT * FROM cube_bits_{dim}_{int(year)}" for year in sorted(years)]
    empty = "SELECT NULL::INTEGER AS year, NULL::VARCHAR AS code, NULL::BIT AS units, "
    empty += "NULL::BIT AS new_units WHERE false"
    return " UNION ALL ".join(parts) or empty


def year_tables(con: duckdb.DuckDBPyConnection) -> dict[str, set[int]]:
    """Dimension -> the years that have a bitmap table, in the writer's database."""
    found: dict[str, set[int]] = {}
    for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND NOT temporary AND table_name LIKE 'cube_bits_%'"
    ).fetchall():
        if match := _YEAR_TABLE.match(name):
            found.setdefault(match.group(1), set()).add(int(match.group(2)))
    return found


def natural_units(
    con: duckdb.DuckDBPyConnection,
    dims: Iterable[str],
    years: set[int] | None,
    only: str | None = None,
    tables: dict[str, set[int]] | None = None,
) -> None:
    """Each cell's distinct natural persons (its units AND the year's `person` bitmap), kept
    for statistical secrecy (analytics.cubecells), once every dimension's bitmaps are in.
    `only`: a table of the (dim, year, code) cells to do, the others have not changed; they
    are read from the year tables of theirs (`tables`, as year_tables answers)."""
    where = "TRUE" if years is None else f"cube.year IN ({', '.join(str(int(y)) for y in years)})"
    wanted: dict[str, set[int]] = {}
    if only is not None:
        tables = year_tables(con) if tables is None else tables
        for dim, year in con.execute(f"SELECT DISTINCT dim, year FROM {only}").fetchall():
            if year in tables.get(dim, set()):
                wanted.setdefault(dim, set()).add(year)
    for dim in dims:
        cells, bits, persons = "", f"cube_bits_{dim}", "cube_bits_person"
        if only is not None:
            if dim not in wanted:
                continue
            bits, persons = f"({bits_of(dim, wanted[dim])})", f"({bits_of('person', wanted[dim])})"
            cells = f", {only} a"
            where = (
                f"a.dim = '{dim}' AND a.year = cube.year AND a.code IS NOT DISTINCT FROM cube.code"
            )
        con.execute(
            f"UPDATE cube SET natural_units = bit_count(b.units & p.units) "
            f"FROM {bits} b, {persons} p{cells} WHERE cube.dim = '{dim}' "
            "AND b.year = cube.year AND b.code IS NOT DISTINCT FROM cube.code "
            f"AND p.year = cube.year AND p.code = 'true' AND {where}"
        )


def count_of(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The number a `SELECT count(*) ...` answers."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
