"""What statistical secrecy needs per cell, from the cube when it can tell.

An official table's cell is also secret when its natural persons alone are 1 to 4
(disclosure.natural_part_sensitive), so analytics.public needs each cell's exact number of
distinct natural persons; a crossing's cell needs its cell key (the sum of its records' keys
mod N, analytics.cellkey) and its natural persons. The cube keeps, per year and cell, the sum
of the records' keys and the natural persons (`key_sum`, `natural_units`); over several years
the keys add up and the natural persons are the bit count of the cell's units AND the
natural persons served (`person` bitmaps), ORed over the years. For the questions the cube
answers (validated reports, no filter but years, at most one dimension besides the year)
that costs no scan of the facts; any other question is counted from the facts (cellkey),
with the same result (tests/analytics/test_secrecy_cube.py).
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

from collections.abc import Sequence
from typing import Any

from citesmart.analytics import cellkey
from citesmart.analytics.cellkey import N
from citesmart.analytics.cube import CODES
from citesmart.analytics.cubeanswer import typed
from citesmart.analytics.filters import Filters

Breakdown = tuple[str, ...]


def per_cell(
    cursor: Any,
    filters: Filters,
    breakdowns: Sequence[Breakdown],
    known: dict[str, Any],
    *,
    keys: bool,
) -> dict[Breakdown, cellkey.Keys]:
    """What secrecy needs per cell of each breakdown: signatures (`keys`: cellkey.cell_keys'
    answer, with the exact natural persons in place of their lower bound) or natural persons
    (cellkey.natural_persons'). From the cube when it can give them (`known`: the read
    model's known codes; `_cube`, whether this generation has the cube, see cube.present)."""
    cube = known["_cube"] and filters == Filters(years=filters.years)
    fitting = [by for by in breakdowns if cube and _fits(by)]
    rest = [by for by in breakdowns if by not in fitting]
    scan = cellkey.cell_keys if keys else cellkey.natural_persons
    found = scan(cursor, filters, rest, known["_ids"]) if rest else {}
    if fitting:
        found |= _from_cube(cursor, fitting, list(filters.years), keys)
    return found


def _fits(by: Breakdown) -> bool:
    others = [d for d in by if d != "year"]
    return len(set(by)) == len(by) and (
        not others or (len(others) == 1 and others[0] in CODES and others[0] != "person")
    )


# The natural persons served in the period: the union of the years' `person` bitmaps.
_NATURAL = "SELECT bit_or(units) FROM cube_bits_person WHERE {in_years} AND code = 'true'"


def _from_cube(cursor: Any, breakdowns: list[Breakdown], years: list[int], keys: bool) -> dict:
    """Every breakdown's cells and the total, in one statement (a part per breakdown):
    signatures (`keys`) or natural persons."""
    in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    natural = _NATURAL.format(in_years=in_years)
    parts = [
        f"SELECT -1, NULL, NULL, bit_count(({natural})), (SELECT sum(key_sum) FROM cube "
        f"WHERE dim = 'none' AND {in_years})"
    ]
    params = [*years, *years]
    for index, by in enumerate(breakdowns):
        if by:
            sql, count = _part(index, by, in_years, natural, per_year=len(years) == 1)
            parts.append(sql)
            params += years * count
    found: dict[Breakdown, tuple[dict, int]] = {by: ({}, 0) for by in breakdowns}
    total = 0
    for index, year, code, persons, key_sum in cursor.execute(
        " UNION ALL ".join(parts), params
    ).fetchall():
        value = int(key_sum or 0) % N + N * int(persons or 0) if keys else int(persons or 0)
        if index < 0:
            total = value
            continue
        by = breakdowns[index]
        dim = next((d for d in by if d != "year"), "none")
        cell = {"year": year, dim: typed(dim, code)}
        found[by][0][tuple(cell[d] for d in by)] = value
    return {by: (cells, total) for by, (cells, _) in found.items()}


def _part(index: int, by: Breakdown, in_years: str, natural: str, *, per_year: bool):
    """The SQL of one breakdown's cells: (index, year, code, natural persons, sum of keys),
    and how many times it binds the years."""
    dim = next((d for d in by if d != "year"), "none")
    if "year" in by or per_year:  # one cube row per cell: its own counts
        return (
            f"SELECT {index}, year, code, natural_units, key_sum FROM cube "
            f"WHERE dim = '{dim}' AND {in_years}",
            1,
        )
    bits = (
        f"SELECT code, bit_count(bit_or(units) & ({natural})) AS n FROM cube_bits_{dim} "
        f"WHERE {in_years} GROUP BY code"
    )
    summed = (
        f"SELECT code, sum(key_sum) AS s FROM cube WHERE dim = '{dim}' AND {in_years} GROUP BY code"
    )
    return (
        f"SELECT {index}, NULL, b.code, b.n, k.s FROM ({bits}) b JOIN ({summed}) k "
        "ON b.code IS NOT DISTINCT FROM k.code",
        3,
    )
