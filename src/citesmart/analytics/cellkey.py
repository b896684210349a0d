"""Cell-key perturbation: the method of the Australian Bureau of Statistics' TableBuilder.

1. Every record (a service, the counting unit of docs/COUNTING.md) has a fixed random key
   in [0, P): a keyed hash of its id, computed in SQL from a secret (conf.cell_key_secret;
   analytics.recordkey) when its fact row is written, so every rebuild of the read model
   gives the same keys. The cube
   keeps their sum per cell (analytics.cube), never a record's key.
2. A cell's key is the sum of its records' keys modulo N. The same records give the same
   cell key however the cell is asked for (a department filter broken down by center, a
   center filter broken down by department, both filters and no breakdown...).
3. Each count (services, reports, units, new units) moves by an adjustment read from a fixed
   table, indexed by the cell's value (capped) and its cell key (shifted per measure):
   never 0 for a cell that is not empty, at most MAX_ADJUSTMENT either way, never below 1.
   An empty cell stays 0. An amount is multiplied by a fixed factor (1% to 5% up or down)
   chosen by the cell key and rounded to whole soles.

So the same cell always gets the same answer, and a difference between published figures
(an exact total minus perturbed parts) is off by the sum of adjustments that are never zero
one by one: it does not give back the hidden cell.
"""

# SQL here is assembled from constant identifiers and integers computed here only; every
# value is a bound parameter.
# ruff: noqa: S608

import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from citesmart.analytics.filters import Filters
from citesmart.analytics.scan import conditions
from citesmart.analytics.vocabulary import DIMENSIONS

N = 256  # cell keys are 0..N-1
CAP = 20  # values from CAP on share the table's last row
MAX_ADJUSTMENT = 2
ADJUSTMENTS = (-2, -1, 1, 2)
# Shift of the cell key per measure: two measures of one cell move independently.
OFFSETS = {"services": 0, "reports": 67, "units": 131, "new_units": 197, "amount": 29}
AMOUNT_FACTORS = tuple(Decimal(p) / 100 for p in (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5))
TABLE_SEED = 20260414  # fixed: the same adjustment table in every release


def _table() -> tuple[tuple[int, ...], ...]:
    """Row v: the adjustment of a count v for each cell key; row 0 (empty) is all zeros.

    Each row holds the allowed adjustments equally often (so it is unbiased from 3 up),
    shuffled once with a fixed seed; small values only move up far enough to stay >= 1.
    """
    rng = random.Random(TABLE_SEED)  # noqa: S311 - a fixed, public table, not a secret
    rows = [(0,) * N]
    for value in range(1, CAP + 1):
        allowed = [a for a in ADJUSTMENTS if value + a >= 1]
        entries = [allowed[i % len(allowed)] for i in range(N)]
        rng.shuffle(entries)
        rows.append(tuple(entries))
    return tuple(rows)


TABLE = _table()


def adjusted(measure: str, value: Any, key: int) -> Any:
    """`value` of `measure` as published for a cell with cell key `key`."""
    if not value:
        return value  # zero stays zero
    shifted = (key + OFFSETS[measure]) % N
    if measure == "amount":
        factor = 1 + AMOUNT_FACTORS[shifted % len(AMOUNT_FACTORS)]
        return (Decimal(value) * factor).quantize(Decimal("1")).quantize(Decimal("0.01"))
    return int(value) + TABLE[min(int(value), CAP)][shifted]


def candidates(published: int) -> set[int]:
    """Every true count that could be published as `published` (what anyone who knows this
    table, but not the secret, can tell from a perturbed count)."""
    if not published:
        return {0}
    near = range(max(1, published - MAX_ADJUSTMENT), published + MAX_ADJUSTMENT + 1)
    return {v for v in near if published - v in TABLE[min(v, CAP)]}


def signature_sql() -> str:
    """The SQL aggregate of what a crossing's cell needs besides its sums: its key, and a
    lower bound of its natural persons (split() takes them apart), from the facts' stored
    `record_key` and `natural_bit` (analytics.recordkey)."""
    floor = "bit_count(bit_or(natural_bit))"
    return f"CAST(sum(record_key) % {N} + {N} * {floor} AS INTEGER)"


def split(signature: int) -> tuple[int, int]:
    """(cell key, lower bound of the natural persons) of a signature_sql value."""
    return signature % N, signature // N


Keys = tuple[dict[tuple[Any, ...], int], int]  # cell codes -> value, and the totals' value


def cell_keys(
    cursor: Any,
    filters: Filters,
    breakdowns: Sequence[tuple[str, ...]],
    ids: dict[str, Any] | None = None,
) -> dict[tuple[str, ...], Keys]:
    """The signatures (signature_sql) of the cells of several breakdowns of the same
    filters, in one scan of the facts: for each breakdown, its cells' (by their codes, in
    the breakdown's order) and the totals'. `ids` (queries' known ids) lets filters
    compare integers."""
    inner = ["record_key", "natural_bit"]
    return per_cell(cursor, filters, breakdowns, signature_sql(), inner, ids)


def natural_persons(
    cursor: Any,
    filters: Filters,
    breakdowns: Sequence[tuple[str, ...]],
    ids: dict[str, Any] | None = None,
) -> dict[tuple[str, ...], Keys]:
    """The exact distinct natural persons of each cell (and the totals) of the breakdowns."""
    aggregate = "count(DISTINCT unit_id) FILTER (WHERE is_natural)"
    return per_cell(cursor, filters, breakdowns, aggregate, ["unit_id", "is_natural"], ids)


def per_cell(
    cursor: Any,
    filters: Filters,
    breakdowns: Sequence[tuple[str, ...]],
    aggregate: str,
    inner_columns: Sequence[str],
    ids: dict[str, Any] | None = None,
) -> dict[tuple[str, ...], Keys]:
    """An integer `aggregate` (over `inner_columns` of the facts) for every cell and the
    totals of several breakdowns of the same filters, in one GROUPING SETS scan."""
    where, params = conditions(filters, ids)
    every = list(dict.fromkeys(d for by in breakdowns for d in by))
    columns = [f"{_grouped(d)} AS g{i}" for i, d in enumerate(every)]
    inner = (
        f"(SELECT {', '.join([*columns, *inner_columns])} FROM facts WHERE {' AND '.join(where)})"
    )
    if not every:
        total = cursor.execute(f"SELECT {aggregate} FROM {inner}", params).fetchone()
        return {by: ({}, int(total[0] or 0) if total else 0) for by in breakdowns}
    listed = ", ".join(f"g{i}" for i in range(len(every)))
    sets = ", ".join(
        dict.fromkeys(f"({', '.join(f'g{every.index(d)}' for d in by)})" for by in breakdowns if by)
    )
    sql = (
        f"SELECT {listed}, GROUPING({listed}), {aggregate} FROM {inner} "
        f"GROUP BY GROUPING SETS ({sets}, ())"
    )
    decode = {d: _decoder(cursor, d) for d in every}
    full = (1 << len(every)) - 1  # GROUPING sets the bit of each column left out
    masks = {
        by: full & ~sum(1 << (len(every) - 1 - every.index(d)) for d in by) for by in breakdowns
    }
    found: dict[tuple[str, ...], Keys] = {by: ({}, 0) for by in breakdowns}
    for *values, grouping, value in cursor.execute(sql, params).fetchall():
        for by in breakdowns:
            if grouping == full:
                found[by] = (found[by][0], int(value or 0))
            elif by and grouping == masks[by]:
                cell = tuple(decode[d](values[every.index(d)]) for d in by)
                found[by][0][cell] = int(value or 0)
    return found


def _grouped(dimension: str) -> str:
    """What a dimension is grouped by: an integer where the facts have one (cheaper)."""
    found = DIMENSIONS[dimension]
    if dimension == "month":
        return "year * 100 + month"
    return found.key if found.key and found.names else found.code


def _decoder(cursor: Any, dimension: str) -> Any:
    """From a grouped value to the code figures() rows carry."""
    found = DIMENSIONS[dimension]
    if dimension == "month":
        return lambda v: None if v is None else f"{v // 100:04d}-{v % 100:02d}"
    if found.key and found.names:
        table, column, code, _ = found.names
        codes = dict(cursor.execute(f"SELECT {column}, {code} FROM {table}").fetchall())
        return codes.get
    return lambda v: v
