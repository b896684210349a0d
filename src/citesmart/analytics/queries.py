"""The one query interface to the network's figures: portal, API, reports and open data call it.

    figures(Filters(years=[2024], chains=["cuero-calzado"]), by=["department"])

answers from the DuckDB read model, applying docs/COUNTING.md: one service per productive
unit attended on a report, validated reports only unless asked, distinct units after merges,
exact distinct counts. Every answer says how fresh its data is and flags the cells with fewer
distinct units than the disclosure threshold. Codes (center code, chain code, ubigeo...)
go in and come out, never database ids, so URLs and the API can carry them.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from citesmart.analytics import conf, connection, disclosure, refresh, sharedcache

MEASURES = ("services", "reports", "units", "new_units", "amount")
MEASURE_TITLES = {
    "services": "Servicios brindados",
    "reports": "Informes de servicio",
    "units": "Unidades productivas atendidas",
    "new_units": "Unidades productivas nuevas",
    "amount": "Monto cobrado (S/)",
}
MAX_LIMIT = 10_000
MONTHS = [
    *("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"),
    *("setiembre", "octubre", "noviembre", "diciembre"),
]


@dataclass(frozen=True)
class Dimension:
    code: str  # fact column holding the code
    label: str  # fact column holding the name
    title: str  # Spanish column header
    missing: str = "Sin dato"  # name shown when the code is empty
    # Integer column(s) equivalent to the code, grouped by instead: hashing integers is
    # markedly cheaper than hashing strings over millions of rows.
    key: str = ""


DIMENSIONS = {
    "year": Dimension("year", "year", "Año"),
    "month": Dimension("year_month", "year_month", "Mes", key="year, month"),
    "department": Dimension("unit_department_code", "unit_department_name", "Departamento"),
    "province": Dimension("unit_province_code", "unit_province_name", "Provincia"),
    "center": Dimension("center_code", "center_name", "Centro", key="center_id"),
    "cite": Dimension("cite_code", "cite_name", "CITE (con sus unidades técnicas)"),
    "chain": Dimension("chain_code", "chain_name", "Cadena productiva", "Sin cadena", "chain_id"),
    "category": Dimension(
        "category_code", "category_name", "Categoría de servicio", key="category_id"
    ),
    "client_type": Dimension("client_type", "client_type_name", "Tipo de cliente"),
    "size_class": Dimension("size_class", "size_class_name", "Tamaño"),
    "programme": Dimension(
        "programme_code", "programme_name", "Programa", "Sin programa", "programme_id"
    ),
    "free": Dimension("is_free", "is_free", "Gratuito o pagado"),
}

# Filter field -> (fact column, dimension table and column holding the valid codes, name).
CODED_FILTERS = {
    "centers": ("center_code", "dim_center", "code", "Centro"),
    "center_kinds": ("center_kind", "dim_center_kind", "code", "Tipo de centro"),
    "chains": ("chain_code", "dim_chain", "code", "Cadena productiva"),
    "departments": ("unit_department_code", "dim_department", "code", "Departamento"),
    "provinces": ("unit_province_code", "dim_province", "code", "Provincia"),
    "categories": ("category_code", "dim_category", "code", "Categoría"),
    "catalogue_services": ("catalogue_service_id", "dim_catalogue", "id", "Servicio del catálogo"),
    "programmes": ("programme_code", "dim_programme", "code", "Programa"),
    "client_types": ("client_type", "dim_client_type", "code", "Tipo de cliente"),
    "size_classes": ("size_class", "dim_size_class", "code", "Tamaño"),
}


class InvalidQuery(ValueError):
    """A filter or option the read model cannot answer; `errors` maps field -> Spanish message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class Filters:
    """Which services count. Empty means no restriction; lists may be given in any order."""

    date_from: date | None = None
    date_to: date | None = None
    years: tuple[int, ...] = ()
    months: tuple[int, ...] = ()  # months of the year, 1..12
    centers: tuple[str, ...] = ()
    with_technical_units: bool = True  # a CITE's code also selects its technical units
    center_kinds: tuple[str, ...] = ()
    chains: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()  # ubigeo of the productive unit's department
    provinces: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    catalogue_services: tuple[int, ...] = ()
    programmes: tuple[str, ...] = ()
    client_types: tuple[str, ...] = ()
    size_classes: tuple[str, ...] = ()
    free: bool | None = None  # True: free services only; False: paid only
    include_registered: bool = False  # count registered (not yet validated) reports too

    def __post_init__(self) -> None:
        # Normalised to sorted tuples so that equal filter sets share one cache entry.
        errors: dict[str, str] = {}
        for name in ("years", "months", "catalogue_services"):
            try:
                object.__setattr__(self, name, _sorted(getattr(self, name), int))
            except (TypeError, ValueError):
                errors[name] = f"Valores no numéricos en «{name}»: {getattr(self, name)!r}."
        for name in CODED_FILTERS:
            if name != "catalogue_services":
                object.__setattr__(self, name, _sorted(getattr(self, name), str))
        if errors:
            raise InvalidQuery(errors)


def _sorted(values: Iterable[Any] | str | int, kind: type) -> tuple[Any, ...]:
    if isinstance(values, str | int):
        values = [values]
    return tuple(sorted({kind(value) for value in values}))


@dataclass(frozen=True)
class Figures:
    """One answer: rows (dimension code + `<dimension>_label` + measures + `flagged`), totals.

    Totals are computed over every service the filters select (distinct units are not
    additive, so they are never the sum of the rows), also when `limit` cut the rows.
    """

    by: tuple[str, ...]
    measures: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    totals: dict[str, Any]
    fresh_as_of: datetime
    threshold: int
    truncated: bool = False
    generation: str = field(default="", compare=False)

    @property
    def columns(self) -> list[str]:
        return [c for d in self.by for c in (d, f"{d}_label")] + [*self.measures, "flagged"]

    @property
    def flagged(self) -> int:
        """How many rows have fewer distinct units than the threshold."""
        return sum(1 for row in self.rows if row["flagged"])


def figures(
    filters: Filters | None = None,
    *,
    by: Sequence[str] = (),
    measures: Sequence[str] = MEASURES,
    order_by: str | None = None,
    descending: bool = True,
    limit: int | None = None,
) -> Figures:
    """Services, reports, distinct and new productive units and amounts, broken down `by`.

    `by` takes up to two of DIMENSIONS; `order_by` a requested measure or dimension
    (default: the dimensions, ascending); `limit` keeps the first N rows (top-N).
    Raises InvalidQuery, with Spanish messages, for unknown codes or inconsistent options.
    """
    filters = filters or Filters()
    by, measures = tuple(by), tuple(measures)
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        known = _known_codes(cursor, reader.generation)
        _validate(filters, by, measures, order_by, limit, known)
        # The build, not the file name: names repeat across read model directories.
        build, threshold = sharedcache.build_id(reader), conf.disclosure_threshold()
        key = (build, threshold, filters, by, measures, order_by, descending, limit)
        cached = _cache.get(key) or _shared.get(key)
        if cached is not None:
            return _copy(cached)
        sql, params = _sql(filters, by, measures)
        result = cursor.execute(sql, params).fetchall()
        if "units" not in measures:
            result = _exact_below_threshold(cursor, filters, by, result)
    answer = _shape(result, by, measures, order_by, descending, limit, reader)
    _cache.put(key, answer)
    _shared.put(key, answer)
    return _copy(answer)


def totals(filters: Filters | None = None, measures: Sequence[str] = MEASURES) -> dict[str, Any]:
    """The measures over everything `filters` select."""
    return figures(filters, measures=measures).totals


def top(dimension: str, measure: str, n: int = 10, filters: Filters | None = None) -> Figures:
    """The `n` values of `dimension` with the highest `measure` (e.g. top 10 centers by units)."""
    return figures(filters, by=[dimension], measures=[measure], order_by=measure, limit=n)


def freshness() -> datetime:
    """When the records the read model reflects were read."""
    reader = refresh.ensure_fresh()
    with reader.cursor():  # attaches the current generation, which loads its meta
        return datetime.fromisoformat(reader.meta["fresh_as_of"])


# --- validation ----------------------------------------------------------------------------


def _validate(
    filters: Filters,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    order_by: str | None,
    limit: int | None,
    known: dict[str, set[Any]],
) -> None:
    errors: dict[str, str] = {}
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = (
            f"La fecha inicial ({filters.date_from:%d/%m/%Y}) es posterior a la final "
            f"({filters.date_to:%d/%m/%Y})."
        )
    if bad := [y for y in filters.years if not 1990 <= y <= 2100]:
        errors["years"] = f"Año fuera de rango (1990 a 2100): {_listing(bad)}."
    if bad := [m for m in filters.months if not 1 <= m <= 12]:
        errors["months"] = f"Mes inválido (use 1 a 12): {_listing(bad)}."
    for name, (_, _, _, title) in CODED_FILTERS.items():
        if unknown := [v for v in getattr(filters, name) if v not in known[name]]:
            errors[name] = f"{title}: código desconocido {_listing(unknown)}."
    if unknown := [d for d in by if d not in DIMENSIONS]:
        errors["by"] = (
            f"Desglose desconocido {_listing(unknown)}; use {_listing(list(DIMENSIONS))}."
        )
    elif len(by) > 2 or len(set(by)) != len(by):
        errors["by"] = "El desglose admite una o dos dimensiones distintas."
    if unknown := [m for m in measures if m not in MEASURES]:
        errors["measures"] = f"Medida desconocida {_listing(unknown)}; use {_listing(MEASURES)}."
    elif not measures:
        errors["measures"] = "Indique al menos una medida."
    if order_by is not None and order_by not in (*measures, *by):
        errors["order_by"] = (
            f"Solo se puede ordenar por una medida o dimensión pedida: «{order_by}»."
        )
    if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT):
        errors["limit"] = f"El límite debe ser un número entre 1 y {MAX_LIMIT}."
    if errors:
        raise InvalidQuery(errors)


def _listing(values: Iterable[Any]) -> str:
    return ", ".join(f"«{v}»" for v in values)


_known_lock = threading.Lock()
_known: dict[str, dict[str, set[Any]]] = {}


def _known_codes(cursor: Any, generation: str) -> dict[str, set[Any]]:
    """Valid codes per filter, from the dimension tables of this generation (cached)."""
    with _known_lock:
        if generation in _known:
            return _known[generation]
    found = {
        name: {row[0] for row in cursor.execute(f"SELECT {column} FROM {table}").fetchall()}
        for name, (_, table, column, _) in CODED_FILTERS.items()
    }
    with _known_lock:
        _known.clear()  # only the current generation matters
        _known[generation] = found
    return found


# --- SQL -----------------------------------------------------------------------------------


def _sql(filters: Filters, by: tuple[str, ...], measures: tuple[str, ...]) -> tuple[str, list[Any]]:
    where, where_params = _where(filters)
    first = "first_date_counted" if filters.include_registered else "first_date_validated"
    new_clauses, new_params = _date_clauses(filters, first)
    if "year" in by:
        new_clauses.append(f"year({first}) = year")
    if "month" in by:
        new_clauses.append(f"strftime({first}, '%Y-%m') = year_month")
    expressions = {
        "services": "count(*)",
        "reports": "count(DISTINCT report_id)",
        "units": "count(DISTINCT unit_id)",
        # CASE rather than FILTER: DuckDB's distinct aggregate with a FILTER is ~1.7x slower.
        "new_units": (
            f"count(DISTINCT CASE WHEN {' AND '.join(new_clauses)} THEN unit_id END)"
            if new_clauses
            else "count(DISTINCT unit_id)"
        ),
        "amount": "COALESCE(sum(CASE WHEN is_free THEN 0 ELSE amount END), 0)",
        # Services to natural persons: only "more than none" matters to the disclosure rule,
        # which a plain count answers as exactly as a distinct one, and far cheaper.
        "natural": "count(*) FILTER (WHERE is_natural)",
    }
    select = [f"{expressions[m]} AS {m}" for m in (*measures, "natural")]
    if "units" not in measures:  # only the flags need it: a cheap lower bound first
        select.append(f"{UNITS_FLOOR} AS units")
    params = new_params if "new_units" in measures else []
    params += where_params
    body = f"FROM facts WHERE {' AND '.join(where)}"
    totals = f"SELECT {', '.join(['1 AS is_total', *select])} {body}"
    if not by:
        return totals, params
    # Rows and totals as two plain aggregates rather than GROUPING SETS, which DuckDB runs
    # markedly slower with distinct counts (measured 1.5x at 1M services).
    keys = [DIMENSIONS[d].key or DIMENSIONS[d].code for d in by]
    columns = [
        c
        for d in by
        for c in (
            f"any_value({DIMENSIONS[d].code})" if DIMENSIONS[d].key else DIMENSIONS[d].code,
            f"any_value({DIMENSIONS[d].label})",
        )
    ]
    rows = f"SELECT {', '.join([*columns, '0 AS is_total', *select])} {body} GROUP BY "
    nulls = ", ".join(["NULL"] * len(columns))
    sql = f"{rows}{', '.join(keys)} UNION ALL SELECT {nulls}, * FROM ({totals})"
    return sql, params + params


# A lower bound of the distinct units of a cell: how many of 64 residues of unit_id occur.
# Flags only ask "fewer than the threshold?", and a bound at or above it answers that exactly
# for a fraction of the cost of count(DISTINCT); only cells below it are counted exactly.
UNITS_FLOOR = "bit_count(bit_or(1::UBIGINT << (unit_id % 64)::INTEGER))"
MAX_RECOUNT = 500


def _exact_below_threshold(
    cursor: Any, filters: Filters, by: tuple[str, ...], result: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Replace the units lower bound (last value) by the exact count where it is too low."""
    threshold = conf.disclosure_threshold()
    low = [i for i, record in enumerate(result) if (record[-1] or 0) < threshold]
    if not low:
        return result
    where, params = _where(filters)
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


def _where(filters: Filters) -> tuple[list[str], list[Any]]:
    statuses = ["validado", "registrado"] if filters.include_registered else ["validado"]
    clauses: list[str] = [f"status IN ({_marks(statuses)})"]
    params: list[Any] = list(statuses)
    dates, date_params = _date_clauses(filters, "date")
    clauses += dates
    params += date_params
    for name, (column, _, _, _) in CODED_FILTERS.items():
        values = list(getattr(filters, name))
        if not values:
            continue
        if name == "centers" and filters.with_technical_units:
            marks = _marks(values)
            clauses.append(f"(center_code IN ({marks}) OR cite_code IN ({marks}))")
            params += values + values
        else:
            clauses.append(f"{column} IN ({_marks(values)})")
            params += values
    if filters.free is not None:
        clauses.append("is_free = ?")
        params.append(filters.free)
    return clauses, params


def _date_clauses(filters: Filters, column: str) -> tuple[list[str], list[Any]]:
    """The period as predicates on `column` (the service date, or a unit's first date)."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.date_from:
        clauses.append(f"{column} >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append(f"{column} <= ?")
        params.append(filters.date_to)
    # The service date has its year and month stored: a plain column compared to constants
    # lets DuckDB's zone maps skip row groups (the facts are written a year at a time),
    # which year(date) would not. The BETWEEN is redundant but prunes even where IN is not
    # pushed down.
    stored = column == "date"
    if filters.years:
        if stored:
            clauses.append("year BETWEEN ? AND ?")
            params += [filters.years[0], filters.years[-1]]
        clauses.append(f"{'year' if stored else f'year({column})'} IN ({_marks(filters.years)})")
        params += filters.years
    if filters.months:
        month = "month" if stored else f"month({column})"
        clauses.append(f"{month} IN ({_marks(filters.months)})")
        params += filters.months
    return clauses, params


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


# --- shaping -------------------------------------------------------------------------------


def _shape(
    result: list[tuple[Any, ...]],
    by: tuple[str, ...],
    measures: tuple[str, ...],
    order_by: str | None,
    descending: bool,
    limit: int | None,
    reader: connection.Reader,
) -> Figures:
    threshold = conf.disclosure_threshold()
    wanted = [*measures, "natural", *(["units"] if "units" not in measures else [])]
    rows, total = [], None
    for record in result:
        dims, (is_total, *values) = record[: 2 * len(by)], record[2 * len(by) :]
        cell = {m: _measure(m, v) for m, v in zip(wanted, values, strict=True)}
        flagged = disclosure.is_sensitive(cell["units"], cell["natural"], threshold)
        shaped = {m: cell[m] for m in measures} | {"flagged": flagged}
        if is_total:
            total = shaped
            continue
        keys: dict[str, Any] = {}
        for index, name in enumerate(by):
            code, label = dims[2 * index], dims[2 * index + 1]
            keys[name], keys[f"{name}_label"] = code, _label(name, code, label)
        rows.append(keys | shaped)
    rows.sort(key=lambda row: tuple(_sort_key(row[d]) for d in by))
    if order_by is not None:
        rows.sort(key=lambda row: _sort_key(row[order_by]), reverse=descending)
    truncated = limit is not None and len(rows) > limit
    if total is None:  # no service selected at all
        total = {m: _measure(m, 0) for m in measures} | {"flagged": False}
    return Figures(
        by=by,
        measures=measures,
        rows=tuple(rows[:limit] if limit else rows),
        totals=total,
        fresh_as_of=datetime.fromisoformat(reader.meta["fresh_as_of"]),
        threshold=threshold,
        truncated=truncated,
        generation=reader.generation,
    )


def _measure(name: str, value: Any) -> Any:
    return Decimal(value or 0).quantize(Decimal("0.01")) if name == "amount" else int(value)


def _label(dimension: str, code: Any, label: Any) -> str:
    if code is None:
        return DIMENSIONS[dimension].missing
    if dimension == "month":
        year, month = str(code).split("-")
        return f"{MONTHS[int(month) - 1]} {year}"
    if dimension == "free":
        return "Gratuito" if code else "Pagado"
    return str(label)


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


# --- cache ---------------------------------------------------------------------------------


class _LRU:
    """Answers per (generation, query): a new generation makes every old key unreachable."""

    def __init__(self) -> None:
        self._items: OrderedDict[Any, Figures] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Figures | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Any, value: Figures) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > conf.cache_size():
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _Shared:
    """Behind the LRU: answers shared by the processes of this app server (sharedcache)."""

    def get(self, key: Any) -> Figures | None:
        found = sharedcache.get(sharedcache.key("figures", *key))
        if not isinstance(found, Figures):
            return None
        _cache.put(key, found)
        return found

    def put(self, key: Any, value: Figures) -> None:
        sharedcache.put(sharedcache.key("figures", *key), value)


_cache = _LRU()
_shared = _Shared()


def _copy(answer: Figures) -> Figures:
    # Callers get their own dicts, so presenters may decorate rows without touching the cache.
    return replace(answer, rows=tuple(dict(r) for r in answer.rows), totals=dict(answer.totals))


def clear_cache() -> None:
    _cache.clear()
    with _known_lock:
        _known.clear()  # generation names may repeat in another read model directory


__all__ = [
    "DIMENSIONS",
    "MEASURES",
    "Figures",
    "Filters",
    "InvalidQuery",
    "figures",
    "freshness",
    "top",
    "totals",
]
