"""The scan over the facts: the SQL of a question the cube cannot answer.

`run` gives the records of one question (per dimension its code and label, is_total, then
the measures, `natural` and the units), `run_sums` several one-dimension breakdowns of sums
in one GROUPING SETS scan (analytics.queries.prefetch). Every dimension and filter column
comes from analytics.vocabulary.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

from collections.abc import Sequence
from typing import Any

from citesmart.analytics import conf
from citesmart.analytics.filters import Filters
from citesmart.analytics.vocabulary import CODED_FILTERS, DIMENSIONS, Dimension

# Measures a breakdown can take from one shared scan: sums, no distinct count.
SUMS = ("services", "amount")


# Dimensions whose codes are not text: one scan's rows for several dimensions share a code
# column, so theirs travel as text and are read back here.
_TYPED_CODES = {"year": int, "free": lambda text: text == "true"}


def run_sums(
    cursor: Any,
    filters: Filters,
    dimensions: list[str],
    known: dict[str, Any],
    extra: str = "",
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows (code, label, 0, services, amount, natural, units floor) of each dimension; with
    `extra` (an aggregate), each row ends with its value, and the totals' row is under ""."""
    plan = Plan(filters, (), SUMS, known)  # services, amount, natural, units floor
    keys = {d: _keys(DIMENSIONS[d]) for d in dimensions}
    every = list(dict.fromkeys(k for d in dimensions for k in keys[d]))
    sets = [f"({', '.join(keys[d])})" for d in dimensions] + (["()"] if extra else [])
    select = [*plan.select, *([f"{extra} AS extra"] if extra else [])]
    grouped = (
        f"SELECT {', '.join(every)}, GROUPING({', '.join(every)}) AS grouping_id, "
        f"{', '.join(select)} {plan.body()} "
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    values = f"g.services, g.amount, g.natural, g.units{', g.extra' if extra else ''}"
    parts = []
    for index, dimension in enumerate(dimensions):
        # GROUPING(...) sets the bit of each key left out of the set, first key highest.
        left_out = [i for i, k in enumerate(every) if k not in keys[dimension]]
        mask = sum(1 << (len(every) - 1 - i) for i in left_out)
        columns, joins = _labels((dimension,))
        if dimension in _TYPED_CODES:
            columns = [f"CAST({column} AS VARCHAR)" for column in columns]
        parts.append(
            f"SELECT {index} AS part, {', '.join(columns)}, 0 AS is_total, {values} "
            f"FROM g {' '.join(joins)} WHERE g.grouping_id = {mask}"
        )
    if extra:
        full = (1 << len(every)) - 1
        parts.append(
            f"SELECT {len(dimensions)}, NULL, NULL, 1, {values} FROM g WHERE g.grouping_id = {full}"
        )
    sql = f"WITH g AS ({grouped}) {' UNION ALL '.join(parts)}"
    found: dict[str, list[tuple[Any, ...]]] = {d: [] for d in [*dimensions, ""]}
    for part, *row in cursor.execute(sql, plan.params).fetchall():
        dimension = dimensions[part] if part < len(dimensions) else ""
        found[dimension].append(_typed(dimension, row))
    return found


def _typed(dimension: str, row: list[Any]) -> tuple[Any, ...]:
    """A run_sums row with the code and label of a typed dimension read back from text."""
    read = _TYPED_CODES.get(dimension)
    if read is None:
        return tuple(row)
    code, label, *rest = row
    return (None if code is None else read(code), None if label is None else read(label), *rest)


def project(row: tuple[Any, ...], measures: tuple[str, ...]) -> tuple[Any, ...]:
    """A run_sums row (without any extra) as Plan(..., measures).rows() lays it out."""
    code, label, is_total, services, amount, natural, units = row
    values = {"services": services, "amount": amount}
    return (code, label, is_total, *(values[m] for m in measures), natural, units)


def sums_answer(
    cursor: Any,
    filters: Filters,
    ask: dict[str, Any],
    found: dict[str, list[tuple[Any, ...]]],
    known: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """An ask's records from run_sums' rows, as run would compute them."""
    by, measures = ask["by"], ask["measures"]
    rows = [project(row[:7], measures) for row in found[by[0]]]
    total = summed_totals(rows, 1, measures)
    if total is None:
        plan = Plan(filters, by, measures, known)
        rows += cursor.execute(*plan.totals()).fetchall()
    else:
        rows.append(total)
    return exact_below_threshold(cursor, filters, by, rows)


def extras(found: dict[str, list[tuple[Any, ...]]], by: tuple[str, ...]) -> Any:
    """The extra aggregate of a breakdown's cells, and of the totals."""
    (total,) = [row[-1] for row in found[""]] or [None]
    if not by:
        return {}, total
    return {(row[0],): row[-1] for row in found[by[0]]}, total


def run(
    cursor: Any,
    filters: Filters,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    known: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """The result records: dimension code/label pairs, is_total, then _shape's values."""
    plan = Plan(filters, by, measures, known)
    if by and not {"reports", "units", "new_units"} & set(measures):
        # Only sums asked for: the totals are the sums of the rows, no second scan needed,
        # unless the flag of the totals needs their distinct units (only for tiny totals).
        result = cursor.execute(*plan.rows()).fetchall()
        total = summed_totals(result, len(by), measures)
        result += [total] if total else cursor.execute(*plan.totals()).fetchall()
    else:
        result = cursor.execute(*plan.union()).fetchall()
    if "units" not in measures:
        result = exact_below_threshold(cursor, filters, by, result)
    return result


def summed_totals(
    rows: list[tuple[Any, ...]], width: int, measures: tuple[str, ...]
) -> tuple[Any, ...] | None:
    # Values after is_total: the measures, natural, then a lower bound of the units.
    if not rows:
        return None
    units = max(row[-1] for row in rows)  # the rows' lower bounds: one for the whole too
    if units < conf.disclosure_threshold():
        return None  # too few to settle the flag of the whole
    sums = [sum(row[1 + width * 2 + i] or 0 for row in rows) for i in range(len(measures) + 1)]
    return (*[None] * (width * 2), 1, *sums, units)


class Plan:
    """The SQL of one question: the rows of the breakdown and the totals, same measures."""

    def __init__(
        self,
        filters: Filters,
        by: tuple[str, ...],
        measures: tuple[str, ...],
        known: dict[str, Any],
    ) -> None:
        self.by = by
        self.where, self.where_params = conditions(filters, known["_ids"])
        scope = "counted" if filters.include_registered else "validated"
        new_clauses, new_params = _first_date_clauses(filters, scope)
        if "year" in by:
            new_clauses.append(f"first_ym_{scope} // 100 = year")
        if "month" in by:
            new_clauses.append(f"first_ym_{scope} = year * 100 + month")
        ranges = known["_ranges"]
        cells = _cells(by, known)
        units_bitmap = _fits(ranges["unit_id"], cells)
        reports_bitmap = _fits(ranges["report_id"], cells)
        units_range = ranges["unit_id"] if units_bitmap else None
        expressions = {
            "services": "count(*)",
            "reports": _distinct("report_id", ranges["report_id"] if reports_bitmap else None),
            "units": _distinct("unit_id", units_range),
            "new_units": _distinct("unit_id", units_range, " AND ".join(new_clauses)),
            "amount": "COALESCE(sum(CASE WHEN is_free THEN 0 ELSE amount END), 0)",
            # Services to natural persons: only "more than none" matters to the disclosure
            # rule, which a plain count answers as exactly as a distinct one, and cheaper.
            "natural": "count(*) FILTER (WHERE is_natural)",
        }
        self.select = [f"{expressions[m]} AS {m}" for m in (*measures, "natural")]
        self._measures = [*measures, "natural", *(["units"] if "units" not in measures else [])]
        # The flags need the distinct units of every cell: when they were not asked for, a
        # lower bound (far cheaper than any exact count over many cells) is enough, and
        # exact_below_threshold recounts the few cells it leaves in doubt.
        if "units" not in measures:
            self.select.append(f"{UNITS_FLOOR} AS units")
        self.params = (new_params if "new_units" in measures and new_clauses else []) + list(
            self.where_params
        )

    def body(self) -> str:
        return f"FROM facts WHERE {' AND '.join(self.where)}"

    def totals(self) -> tuple[str, list[Any]]:
        """The totals record, laid out like the rows (empty dimension columns first)."""
        nulls = ["NULL"] * (2 * len(self.by))
        select = ", ".join([*nulls, "1 AS is_total", *self.select])
        return f"SELECT {select} {self.body()}", self.params

    def rows(self) -> tuple[str, list[Any]]:
        """Grouped by the dimensions' keys; codes and names looked up in the small tables."""
        keys = list(dict.fromkeys(k for d in self.by for k in _keys(DIMENSIONS[d])))
        grouped = (
            f"SELECT {', '.join([*keys, '0 AS is_total', *self.select])} {self.body()} "
            f"GROUP BY {', '.join(keys)}"
        )
        columns, joins = _labels(self.by)
        values = ", ".join(["g.is_total", *(f"g.{m}" for m in self._measures)])
        sql = f"SELECT {', '.join(columns)}, {values} FROM ({grouped}) g {' '.join(joins)}"
        return sql, self.params

    def union(self) -> tuple[str, list[Any]]:
        """Rows and totals in one statement (just the totals without a breakdown)."""
        totals, params = self.totals()
        if not self.by:
            return totals, params
        # Rows and totals as two plain aggregates rather than GROUPING SETS, which DuckDB
        # runs markedly slower with distinct counts (measured 1.5x at 1M services).
        rows, _ = self.rows()
        return f"{rows} UNION ALL {totals}", params + params


def _labels(by: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Code and label columns of each dimension of `by`, over grouped rows `g`: (columns,
    joins with the small dimension tables)."""
    columns, joins = [], []
    for index, name in enumerate(by):
        dimension = DIMENSIONS[name]
        if name == "month":
            code = label = "printf('%04d-%02d', g.year, g.month)"
        elif dimension.names is None:
            code = label = f"g.{dimension.key or dimension.code}"
        else:
            table, column, code_column, name_column = dimension.names
            key = dimension.key or dimension.code
            joins.append(f"LEFT JOIN {table} n{index} ON n{index}.{column} = g.{key}")
            code, label = f"n{index}.{code_column}", f"n{index}.{name_column}"
        columns += [code, label]
    return columns, joins


# Exact distinct counts of dense integer ids (unit, report) as bitmaps: bitstring_agg sets
# one bit per row, with no hash table, 3-5x faster than count(DISTINCT) at 10M services.
# A bitmap costs (max id - min id) / 8 bytes per group and thread, so a breakdown into many
# cells over a wide id range falls back to count(DISTINCT).
BITMAP_BUDGET = 256 * 2**20


def _keys(dimension: Dimension) -> list[str]:
    return [k.strip() for k in (dimension.key or dimension.code).split(",")]


def _cells(by: tuple[str, ...], known: dict[str, Any]) -> int:
    """An upper bound of the groups of a breakdown, from the dimension tables."""
    years = known["_ranges"]["year"]
    span = years[1] - years[0] + 1 if years else 1
    sizes = {"year": span, "month": span * 12, "free": 2, "cite": len(known["centers"]) + 1}
    cells = 1
    for dimension in by:
        cells *= sizes.get(dimension) or len(known[DIMENSIONS[dimension].filter]) + 1
    return cells


def _fits(bounds: tuple[int, int] | None, cells: int) -> bool:
    return bounds is not None and cells * (bounds[1] - bounds[0] + 1) / 8 <= BITMAP_BUDGET / 2


def _distinct(column: str, bounds: tuple[int, int] | None, condition: str = "") -> str:
    value = f"CASE WHEN {condition} THEN {column} END" if condition else column
    if bounds is None:
        return f"count(DISTINCT {value})"
    return f"COALESCE(bit_count(bitstring_agg({value}, {bounds[0]}, {bounds[1]})), 0)"


# A lower bound of the distinct units of a cell: how many of 64 residues of unit_id occur.
# Flags only ask "fewer than the threshold?", and a bound at or above it answers that exactly
# for a fraction of the cost of count(DISTINCT); only cells below it are counted exactly.
UNITS_FLOOR = "bit_count(bit_or(1::UBIGINT << (unit_id % 64)::INTEGER))"


MAX_RECOUNT = 500


def exact_below_threshold(
    cursor: Any, filters: Filters, by: tuple[str, ...], result: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Replace the units lower bound (last value) by the exact count where it is too low."""
    threshold = conf.disclosure_threshold()
    low = [i for i, record in enumerate(result) if (record[-1] or 0) < threshold]
    if not low:
        return result
    where, params = conditions(filters)
    codes = [DIMENSIONS[d].code for d in by]
    cells = [result[i][: 2 * len(by) : 2] for i in low if not result[i][2 * len(by)]]
    exact: dict[tuple[Any, ...], int] = {}
    if any(result[i][2 * len(by)] for i in low):  # the totals row
        exact[()] = _scalar(
            cursor, f"SELECT count(DISTINCT unit_id) FROM facts WHERE {' AND '.join(where)}", params
        )
    if cells and len(cells) <= MAX_RECOUNT:
        match = " AND ".join(f"{c} IS NOT DISTINCT FROM ?" for c in codes)
        sql = (
            f"SELECT {', '.join(codes)}, count(DISTINCT unit_id) FROM facts "
            f"WHERE {' AND '.join(where)} AND ({' OR '.join([f'({match})'] * len(cells))}) "
            f"GROUP BY {', '.join(codes)}"
        )
        found = cursor.execute(sql, params + [v for cell in cells for v in cell]).fetchall()
        exact |= {tuple(row[:-1]): row[-1] for row in found}
    elif cells:
        sql = (
            f"SELECT {', '.join(codes)}, count(DISTINCT unit_id) FROM facts "
            f"WHERE {' AND '.join(where)} GROUP BY {', '.join(codes)}"
        )
        exact |= {tuple(row[:-1]): row[-1] for row in cursor.execute(sql, params).fetchall()}
    fixed = list(result)
    for i in low:
        record = result[i]
        cell = () if record[2 * len(by)] else tuple(record[: 2 * len(by) : 2])
        fixed[i] = (*record[:-1], exact[cell])
    return fixed


def _scalar(cursor: Any, sql: str, params: list[Any]) -> int:
    row = cursor.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def conditions(filters: Filters, ids: dict[str, Any] | None = None) -> tuple[list[str], list[Any]]:
    """WHERE clauses for `filters`; with `ids` (known["_ids"]) coded filters use id columns."""
    with_units = filters.with_technical_units
    # The facts hold validated and registered reports (cancelled ones are never loaded).
    clauses: list[str] = ["TRUE" if filters.include_registered else "is_validated"]
    params: list[Any] = []
    dates, date_params = _date_clauses(filters)
    clauses += dates
    params += date_params
    for name, coded in CODED_FILTERS.items():
        values = list(getattr(filters, name))
        if not values:
            continue
        if ids is not None and name in ids:
            # The integer key rather than the code: comparing integers over millions of
            # rows is markedly cheaper than comparing strings.
            keys = sorted(
                key
                for code, (key, cite) in ids[name].items()
                if code in values or (name == "centers" and with_units and cite in values)
            )
            clauses.append(f"{coded.id_column} IN ({_marks(keys) or 'NULL'})")
            params += keys
        elif name == "centers" and filters.with_technical_units:
            marks = _marks(values)
            clauses.append(f"(center_code IN ({marks}) OR cite_code IN ({marks}))")
            params += values + values
        else:
            clauses.append(f"{coded.column} IN ({_marks(values)})")
            params += values
    if filters.free is not None:
        clauses.append("is_free = ?")
        params.append(filters.free)
    return clauses, params


def _date_clauses(
    filters: Filters, column: str = "date", year: str = "year", month: str = "month"
) -> tuple[list[str], list[Any]]:
    """The period as predicates on the service date, or (see below) on a unit's first date."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.date_from:
        clauses.append(f"{column} >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append(f"{column} <= ?")
        params.append(filters.date_to)
    if filters.years:
        # The service's year is stored: a plain column compared to constants lets DuckDB's
        # zone maps skip row groups (the facts are written a year at a time). The BETWEEN
        # is redundant but prunes even where IN is not pushed down.
        if year == "year":
            clauses.append("year BETWEEN ? AND ?")
            params += [filters.years[0], filters.years[-1]]
        clauses.append(f"{year} IN ({_marks(filters.years)})")
        params += filters.years
    if filters.months:
        clauses.append(f"{month} IN ({_marks(filters.months)})")
        params += filters.months
    return clauses, params


def _first_date_clauses(filters: Filters, scope: str) -> tuple[list[str], list[Any]]:
    """The period as predicates on a unit's first date (for new units), stored as integers."""
    ym = f"first_ym_{scope}"
    return _date_clauses(filters, f"first_date_{scope}", f"{ym} // 100", f"{ym} % 100")


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))
