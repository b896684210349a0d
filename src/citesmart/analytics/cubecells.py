"""What statistical secrecy needs per cell, from the cube when it can tell.

An official table's cell is also secret when its natural persons alone are 1 to 4
(disclosure.natural_part_sensitive), so analytics.public needs each cell's exact number of
distinct natural persons; a crossing's cell needs its signature (cellkey.signature_sql): its
cell key (the sum of its records' keys mod N) and a lower bound of its natural persons, the
bits set in the OR of its records' natural bits (one bit of 64 by unit id). That bound, not
the exact count, decides a crossing's suppression on every path, so that the same cell
always gets the same answer. The cube keeps, per year and cell, the sum of the records' keys,
the OR of their natural bits and the exact natural persons (`key_sum`, `natural_bits`,
`natural_units`); over several years the keys add up, the natural bits OR together (the
scan's bound, to the bit) and the exact natural persons are the bit count of the cell's
units AND the natural persons served (`person` bitmaps), ORed over the years. For the
questions the cube answers (validated reports, no filter but years and at most one
dimension besides the year; or years and one code of one of its dimensions, by that
dimension, the year or neither: the filtered dashboard's yearly and single-cell questions)
that costs no scan of the facts (and signatures read no bitmap); any other question is
counted from the facts (cellkey), with the same result (tests/analytics/test_secrecy_cube.py).
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

from collections.abc import Sequence
from typing import Any

from citesmart.analytics import cellkey
from citesmart.analytics.cellkey import N
from citesmart.analytics.cube import CODES
from citesmart.analytics.cubeanswer import as_text, one_code, typed
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
    answer, lower bound of the natural persons included) or exact natural persons
    (cellkey.natural_persons'). From the cube when it can give them (`known`: the read
    model's known codes; `_cube`, whether this generation has the cube, see cube.present):
    no filter but years, or years and one code of one of the cube's dimensions."""
    cut = _cut(filters, known) if known["_cube"] else None
    fitting = [by for by in breakdowns if cut and _fits(by, cut)]
    rest = [by for by in breakdowns if by not in fitting]
    scan = cellkey.cell_keys if keys else cellkey.natural_persons
    found = scan(cursor, filters, rest, known["_ids"]) if rest else {}
    if fitting and cut:
        years = list(filters.years)
        if cut[0] == "none":
            found |= _from_cube(cursor, fitting, years, keys)
        else:
            found |= _one_code(cursor, fitting, years, keys, cut)
    return found


Cut = tuple[str, Any]  # ("none", None), or a cube dimension and the one code filtered on


def _cut(filters: Filters, known: dict[str, Any]) -> Cut | None:
    """Which of the cube's cells hold the filtered services, if they can: every cell of a
    year (`none`), or one code of one dimension (cubeanswer.one_code); None otherwise."""
    if filters == Filters(years=filters.years):
        return ("none", None)
    return one_code(filters, known["_ids"])


def _fits(by: Breakdown, cut: Cut) -> bool:
    if len(set(by)) != len(by):
        return False
    others = [d for d in by if d != "year"]
    if cut[0] != "none":
        return all(d == cut[0] for d in others)
    return not others or (len(others) == 1 and others[0] in CODES and others[0] != "person")


def _one_code(cursor: Any, breakdowns: list[Breakdown], years: list[int], keys: bool, cut: Cut):
    """The breakdowns (of the year and the cut's dimension) of the services in one code's
    cells: the cube's answer for that dimension, kept to the code (as cells carry it)."""
    dim, code = cut
    cubed = _from_cube(cursor, [(dim,), ("year", dim)], years, keys, code)
    total = cubed[(dim,)][0].get((code,), 0)
    per_year = {year: value for (year, c), value in cubed[("year", dim)][0].items() if c == code}
    found = {}
    for by in breakdowns:
        if "year" in by:
            cells = {
                tuple(year if d == "year" else code for d in by): value
                for year, value in per_year.items()
            }
        else:
            cells = {(code,): total} if by else {}
        found[by] = (cells, total)
    return found


# The natural persons served in the period: the union of the years' `person` bitmaps.
_NATURAL = "SELECT bit_or(units) FROM cube_bits_person WHERE {in_years} AND code = 'true'"


def _from_cube(
    cursor: Any, breakdowns: list[Breakdown], years: list[int], keys: bool, code: Any = None
) -> dict:
    """Every breakdown's cells and the total, in one statement (a part per breakdown):
    signatures (`keys`) or natural persons; with `code`, only that code's cells (and no
    total: the caller's total is that code's cell)."""
    in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    natural = _NATURAL.format(in_years=in_years)
    parts, params = [], []
    if code is None:
        parts.append(
            "SELECT -1, NULL, NULL, bit_count(bit_or(natural_bits)), sum(key_sum) FROM cube "
            f"WHERE dim = 'none' AND {in_years}"
            if keys
            else f"SELECT -1, NULL, NULL, bit_count(({natural})), NULL"
        )
        params += years
    only = ("", []) if code is None else (" AND code = ?", [as_text(code)])
    per_year = len(years) == 1
    for index, by in enumerate(breakdowns):
        if by:
            period = (in_years, years)
            sql, bound = (
                _keyed_part(index, by, period, only, per_year=per_year)
                if keys
                else _part(index, by, period, natural, only, per_year=per_year)
            )
            parts.append(sql)
            params += bound
    found: dict[Breakdown, tuple[dict, int]] = {by: ({}, 0) for by in breakdowns}
    total = 0
    for index, year, text, persons, key_sum in cursor.execute(
        " UNION ALL ".join(parts), params
    ).fetchall():
        value = int(key_sum or 0) % N + N * int(persons or 0) if keys else int(persons or 0)
        if index < 0:
            total = value
            continue
        by = breakdowns[index]
        dim = next((d for d in by if d != "year"), "none")
        cell = {"year": year, dim: typed(dim, text)}
        found[by][0][tuple(cell[d] for d in by)] = value
    return {by: (cells, total) for by, (cells, _) in found.items()}


def _keyed_part(index: int, by: Breakdown, period: tuple, only: tuple, *, per_year: bool):
    """The SQL of one breakdown's signatures: (index, year, code, the lower bound of the
    natural persons, sum of keys), and its parameters (see _part). The lower bound is the
    scan's (cellkey.signature_sql): the bits set in the OR of the cell's natural bits."""
    (in_years, years), (on_code, code) = period, only
    dim = next((d for d in by if d != "year"), "none")
    where = f"WHERE dim = '{dim}' AND {in_years}{on_code}"
    if "year" in by or per_year:  # one cube row per cell: its own counts
        return (
            f"SELECT {index}, year, code, bit_count(natural_bits), key_sum FROM cube {where}",
            [*years, *code],
        )
    return (
        f"SELECT {index}, NULL, code, bit_count(bit_or(natural_bits)), sum(key_sum) FROM cube "
        f"{where} GROUP BY code",
        [*years, *code],
    )


def _part(index: int, by: Breakdown, period: tuple, natural: str, only: tuple, *, per_year: bool):
    """The SQL of one breakdown's cells: (index, year, code, exact natural persons, NULL),
    and its parameters (`period`: the years' condition and years; `only`: a condition on
    the code and its parameter, or nothing)."""
    (in_years, years), (on_code, code) = period, only
    dim = next((d for d in by if d != "year"), "none")
    if "year" in by or per_year:  # one cube row per cell: its own counts
        return (
            f"SELECT {index}, year, code, natural_units, NULL FROM cube "
            f"WHERE dim = '{dim}' AND {in_years}{on_code}",
            [*years, *code],
        )
    return (
        f"SELECT {index}, NULL, code, bit_count(bit_or(units) & ({natural})), NULL "
        f"FROM cube_bits_{dim} WHERE {in_years}{on_code} GROUP BY code",
        [*years, *years, *code],
    )
