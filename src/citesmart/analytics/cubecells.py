"""The natural persons of each cell, for statistical secrecy, from the cube when it can tell.

An official table's cell is also secret when its natural persons alone are 1 to 4
(disclosure.natural_part_sensitive), so analytics.public needs, for every cell, its exact
number of distinct natural persons. The cube keeps, per year, a bitmap of the units of each
cell and one of the natural persons served (`person`, code 'true'): a cell's natural persons
are the bit count of its units AND those, over the years ORed. For the questions the cube
answers (validated reports, no filter but years, at most one dimension besides the year)
that costs no scan of the facts; any other question is counted from the facts
(cellkey.natural_persons), with the same result (tests/analytics/test_secrecy_cube.py).
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

from collections.abc import Sequence
from typing import Any

from citesmart.analytics import cellkey
from citesmart.analytics.cube import CODES
from citesmart.analytics.cubeanswer import typed
from citesmart.analytics.filters import Filters

Breakdown = tuple[str, ...]


def natural_persons(
    cursor: Any,
    filters: Filters,
    breakdowns: Sequence[Breakdown],
    ids: dict[str, Any] | None = None,
    *,
    cube: bool,
) -> dict[Breakdown, cellkey.Keys]:
    """cellkey.natural_persons' answer; from the cube's bitmaps when they can give it
    (`cube`: this generation has the cube, see cube.present)."""
    cube = cube and filters == Filters(years=filters.years)
    fitting = [by for by in breakdowns if cube and _fits(by)]
    rest = [by for by in breakdowns if by not in fitting]
    found = cellkey.natural_persons(cursor, filters, rest, ids) if rest else {}
    if fitting:
        years = list(filters.years)
        in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
        total = _one(cursor, _NATURAL.format(in_years=in_years), years)
        for by in fitting:
            found[by] = (_cells(cursor, by, in_years, years) if by else {}, total)
    return found


def _fits(by: Breakdown) -> bool:
    others = [d for d in by if d != "year"]
    return len(set(by)) == len(by) and (
        not others or (len(others) == 1 and others[0] in CODES and others[0] != "person")
    )


# The natural persons served in the period: the union of the years' `person` bitmaps.
_NATURAL = "SELECT bit_or(units) FROM cube_bits_person WHERE {in_years} AND code = 'true'"


def _one(cursor: Any, sql: str, params: list[Any]) -> int:
    found = cursor.execute(f"SELECT COALESCE(bit_count(({sql})), 0)", params).fetchone()
    return int(found[0]) if found else 0


def _cells(cursor: Any, by: Breakdown, in_years: str, years: list[int]) -> dict[tuple, int]:
    """Cell (codes in `by`'s order) -> its natural persons."""
    others = [d for d in by if d != "year"]
    dim = others[0] if others else "none"
    if "year" in by:  # a cell per year: that year's units AND that year's natural persons
        sql = (
            f"SELECT b.year, b.code, bit_count(b.units & p.units) FROM cube_bits_{dim} b "
            "JOIN cube_bits_person p ON p.year = b.year AND p.code = 'true' "
            f"WHERE {'b.' + in_years if years else 'TRUE'}"
        )
        params = years
    else:
        sql = (
            f"SELECT NULL, code, bit_count(bit_or(units) & ({_NATURAL.format(in_years=in_years)})) "
            f"FROM cube_bits_{dim} WHERE {in_years} GROUP BY code"
        )
        params = [*years, *years]
    cells = {}
    for year, code, count in cursor.execute(sql, params).fetchall():
        values = {"year": year, dim: typed(dim, code)}
        cells[tuple(values[d] for d in by)] = int(count or 0)
    return cells
