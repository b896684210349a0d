"""One series of services from ITP's historic aggregates and the micro-records.

    series(Filters(centers=["citeccal-lima"]), by="year")

For each center and month the series takes the micro-records from the center's cut-over
month on, and ITP's historic aggregates (analytics.aggregates, fed by citesmart.historic)
before it. The cut-over of a center is the first month in which it has a service counted
by the question (validated reports; registered too with `include_registered`): before it
the center has no micro-records, so nothing is counted twice and no record is left out.
Every point says where its number comes from (`sources`).

The aggregates hold services per center, month and ITP subcategory, nothing else: a point
that needs them for another measure (distinct or new productive units, reports, amounts)
or under a filter they lack (chain, department, province, client type, size class,
programme, catalogue service, free/paid, part of a month) is "no disponible"
(`available=False`, `value=None`), never a count of the records alone
(docs/COUNTING.md, "One series").

The records' part comes through `analytics.public.public_figures` (statistical secrecy) for
public pages and `queries.figures` (exact) otherwise; the aggregates are ITP's own published
per-CITE counts of services and are added as they are (docs/COUNTING.md explains why).
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

import calendar
import threading
from dataclasses import dataclass
from typing import Any

from citesmart.analytics import aggregates, cube, refresh, sharedcache
from citesmart.analytics.filters import Filters, InvalidQuery
from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import figures

RECORDS = "registros"
AGGREGATES = "agregados históricos"
UNAVAILABLE = "no disponible"
BY = ("year", "month")
# The Filters fields the aggregates can follow (centers through the registry's dim_center).
AGGREGATE_FILTERS = frozenset(
    {
        *("date_from", "date_to", "years", "months", "centers", "with_technical_units"),
        *("center_kinds", "categories", "include_registered"),
    }
)
AGGREGATE_MEASURES = ("services",)
NO_MEASURE = (
    "los cuadros históricos del ITP solo cuentan servicios por centro, mes y subcategoría: "
    "no permiten contar unidades productivas distintas, informes ni montos"
)
NO_FILTER = (
    "los cuadros históricos del ITP no distinguen cadena, departamento, provincia, tipo de "
    "cliente, tamaño, programa, servicio del catálogo ni gratuidad"
)
NO_PART_MONTH = "los cuadros históricos del ITP son mensuales: use meses completos"


@dataclass(frozen=True)
class Point:
    """One year ("2018") or month ("2018-03") of the series."""

    period: str
    value: int | None  # None: not available (see `available`) or reserved
    records: int | None  # the records' part (None when reserved)
    aggregates: int | None  # the aggregates' part; None when none were needed
    sources: tuple[str, ...]  # RECORDS and/or AGGREGATES
    available: bool = True
    reserved: bool = False  # the records' cell is reserved by statistical secrecy
    perturbed: bool = False

    @property
    def source(self) -> str:
        return " + ".join(self.sources) if self.sources else RECORDS

    @property
    def historic(self) -> bool:
        return AGGREGATES in self.sources


@dataclass(frozen=True)
class Series:
    by: str
    measure: str
    points: tuple[Point, ...]
    cutovers: dict[str, str]  # center code -> its first month of micro-records, "YYYY-MM"
    note: str = ""  # why points are "no disponible", when some are

    @property
    def historic_periods(self) -> list[str]:
        return [p.period for p in self.points if p.historic]


def series(
    filters: Filters | None = None,
    *,
    by: str = "year",
    measure: str = "services",
    public: bool = True,
) -> Series:
    """The series of `measure` by year or month over records and historic aggregates."""
    filters = filters or Filters()
    if by not in BY:
        raise InvalidQuery({"by": "La serie se desglosa por año («year») o por mes («month»)."})
    ask = public_figures if public else figures
    answer = ask(filters, by=[by], measures=[measure])  # validates the question too
    reason = _unanswerable(filters, measure)
    found, cutovers = _aggregate_cells(filters, by)
    records = {str(row[by]): row for row in answer.rows}
    points = [
        _point(period, records.get(period), found.get(period), measure, reason)
        for period in sorted(records.keys() | found.keys())
    ]
    unavailable = any(not p.available for p in points)
    return Series(by, measure, tuple(points), cutovers, reason if unavailable else "")


def _point(
    period: str, row: dict[str, Any] | None, historic: int | None, measure: str, reason: str
) -> Point:
    reserved = bool(row and row.get("suppressed"))
    counted = None if reserved else (row[measure] if row else 0)
    sources = tuple(s for s, part in ((AGGREGATES, historic), (RECORDS, row)) if part is not None)
    perturbed = bool(row and row.get("perturbed"))
    if historic is not None and reason:
        return Point(period, None, counted, historic, sources, False, reserved, perturbed)
    value = None if counted is None else counted + (historic or 0)
    return Point(period, value, counted, historic, sources, True, reserved, perturbed)


def _unanswerable(filters: Filters, measure: str) -> str:
    """Why the aggregates cannot answer this question ("" when they can)."""
    if measure not in AGGREGATE_MEASURES:
        return NO_MEASURE
    chosen = set(filters.chosen())
    if chosen - AGGREGATE_FILTERS:
        return NO_FILTER
    if filters.date_from and filters.date_from.day != 1:
        return NO_PART_MONTH
    end = filters.date_to
    if end and end.day != calendar.monthrange(end.year, end.month)[1]:
        return NO_PART_MONTH
    return ""


def _aggregate_cells(filters: Filters, by: str) -> tuple[dict[str, int], dict[str, str]]:
    """The aggregates' services per period, before each center's cut-over, and the cut-overs.

    Only the filters the aggregates know are applied: under any other, the periods found
    here are those the answer cannot give (see `_unanswerable`). Remembered per build, as
    the cut-overs: each dashboard page asks for its series several times (the years it
    offers, its yearly and monthly charts), and at 10M services asking DuckDB each time
    (71 queries for 11 distinct questions) was a third of the dashboard's warm-up after
    each validation.
    """
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        build = sharedcache.build_id(reader)
        cutovers = _cutovers(cursor, build, filters.include_registered)
        key = (build, filters, by)
        with _lock:
            found = _cells.get(key)
        if found is None:
            found = _query_cells(cursor, cutovers, filters, by)
            with _lock:
                if len(_cells) > 256:
                    _cells.clear()
                _cells[key] = found
    return found, {code: f"{ym // 100}-{ym % 100:02d}" for code, ym in sorted(cutovers.items())}


def _query_cells(
    cursor: Any, cutovers: dict[str, int], filters: Filters, by: str
) -> dict[str, int]:
    clauses, params = _clauses(filters)
    period = "a.year" if by == "year" else "a.year * 100 + a.month"
    rows = cursor.execute(
        f"WITH cut AS (SELECT center_code, first_ym FROM (VALUES {_values(cutovers)}) "
        "AS t(center_code, first_ym)) "
        f"SELECT {period}, sum(a.services) FROM {aggregates.TABLE} a "
        "JOIN dim_center d ON d.code = a.center_code "
        "LEFT JOIN cut ON cut.center_code = a.center_code "
        "WHERE (cut.first_ym IS NULL OR a.year * 100 + a.month < cut.first_ym) "
        f"AND {' AND '.join(clauses)} GROUP BY 1",
        [*_flat(cutovers), *params],
    ).fetchall()
    return {_period(int(key), by): int(total) for key, total in rows}


def _period(key: int, by: str) -> str:
    return str(key) if by == "year" else f"{key // 100}-{key % 100:02d}"


def _values(cutovers: dict[str, int]) -> str:
    return ", ".join("(?, ?)" for _ in cutovers) or "(NULL, NULL)"


def _flat(cutovers: dict[str, int]) -> list[Any]:
    return [value for pair in sorted(cutovers.items()) for value in pair]


def _clauses(filters: Filters) -> tuple[list[str], list[Any]]:
    clauses, params = ["TRUE"], []
    ym = "a.year * 100 + a.month"
    if filters.date_from:
        clauses.append(f"{ym} >= ?")
        params.append(filters.date_from.year * 100 + filters.date_from.month)
    if filters.date_to:
        clauses.append(f"{ym} <= ?")
        params.append(filters.date_to.year * 100 + filters.date_to.month)
    for column, values in (
        ("a.year", filters.years),
        ("a.month", filters.months),
        ("d.kind", filters.center_kinds),
        ("a.category_code", filters.categories),
    ):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += list(values)
    if filters.centers:
        marks = ", ".join("?" * len(filters.centers))
        if filters.with_technical_units:
            clauses.append(f"(d.code IN ({marks}) OR d.cite_code IN ({marks}))")
            params += [*filters.centers, *filters.centers]
        else:
            clauses.append(f"d.code IN ({marks})")
            params += list(filters.centers)
    return clauses, params


_lock = threading.Lock()
_cached: dict[tuple[str, bool], dict[str, int]] = {}
_cells: dict[tuple, dict[str, int]] = {}  # _aggregate_cells' answers


def _cutovers(cursor: Any, build: str, registered: bool) -> dict[str, int]:
    """Each center's first month (year * 100 + month) with a counted service (per build)."""
    key = (build, registered)
    with _lock:
        if key in _cached:
            return _cached[key]
    found = _first_months(cursor, registered)
    with _lock:
        if len(_cached) > 8:
            _cached.clear()
        _cached[key] = found
    return found


def _first_months(cursor: Any, registered: bool) -> dict[str, int]:
    """Each center's first month with a counted service. Validated only: its first year from
    the cube, then its first month read from that year's rows alone (the facts are written a
    year at a time: one year's row groups, not ten)."""
    if registered or not cube.present(cursor):
        rows = cursor.execute(
            "SELECT center_code, min(year * 100 + month) FROM facts "
            f"WHERE {'TRUE' if registered else 'is_validated'} GROUP BY center_code"
        ).fetchall()
        return {code: int(ym) for code, ym in rows}
    first_years: dict[int, list[str]] = {}
    for code, year in cursor.execute(
        "SELECT code, min(year) FROM cube WHERE dim = 'center' AND services > 0 GROUP BY code"
    ).fetchall():
        first_years.setdefault(int(year), []).append(code)
    found = {}
    for year, codes in sorted(first_years.items()):
        marks = ", ".join("?" * len(codes))
        for code, month in cursor.execute(
            "SELECT center_code, min(month) FROM facts WHERE is_validated AND year = ? "
            f"AND center_code IN ({marks}) GROUP BY center_code",
            [year, *codes],
        ).fetchall():
            found[code] = year * 100 + int(month)
    return found


def cutovers(*, include_registered: bool = False) -> dict[str, str]:
    """Each center's cut-over month, "YYYY-MM" (centers with micro-records only)."""
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        found = _cutovers(cursor, sharedcache.build_id(reader), include_registered)
    return {code: f"{ym // 100}-{ym % 100:02d}" for code, ym in sorted(found.items())}
