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

from citesmart.analytics import conf, connection, cube, disclosure, refresh, sharedcache
from citesmart.lib.months import MONTH_NAMES

MEASURES = ("services", "reports", "units", "new_units", "amount")
MEASURE_TITLES = {
    "services": "Servicios brindados",
    "reports": "Informes de servicio",
    "units": "Unidades productivas atendidas",
    "new_units": "Unidades productivas nuevas",
    "amount": "Monto cobrado (S/)",
}
MAX_LIMIT = 10_000
MONTHS = MONTH_NAMES  # es-PE spelling, one list for the whole site (lib.months)


@dataclass(frozen=True)
class Dimension:
    code: str  # fact column holding the code
    label: str  # fact column holding the name
    title: str  # Spanish column header
    missing: str = "Sin dato"  # name shown when the code is empty
    # Integer column(s) equivalent to the code, grouped by instead: hashing integers is
    # markedly cheaper than hashing strings over millions of rows.
    key: str = ""
    # Where code and name are looked up after grouping by the key, rather than carried
    # through the aggregation (any_value of strings over millions of rows is not free):
    # (dimension table, its column matching the key, its code column, its name column).
    names: tuple[str, str, str, str] | None = None


DIMENSIONS = {
    "year": Dimension("year", "year", "Año"),
    "month": Dimension("year_month", "year_month", "Mes", key="year, month"),
    "department": Dimension(
        "unit_department_code",
        "unit_department_name",
        "Departamento",
        names=("dim_department", "code", "code", "name"),
    ),
    "province": Dimension(
        "unit_province_code",
        "unit_province_name",
        "Provincia",
        names=("dim_province", "code", "code", "name"),
    ),
    "center": Dimension(
        "center_code",
        "center_name",
        "Centro",
        key="center_id",
        names=("dim_center", "id", "code", "name"),
    ),
    "cite": Dimension(
        "cite_code",
        "cite_name",
        "CITE (con sus unidades técnicas)",
        names=(
            "(SELECT DISTINCT cite_code, cite_name FROM dim_center)",
            *("cite_code",) * 2,
            "cite_name",
        ),
    ),
    "chain": Dimension(
        "chain_code",
        "chain_name",
        "Cadena productiva",
        "Sin cadena",
        "chain_id",
        ("dim_chain", "id", "code", "name"),
    ),
    "category": Dimension(
        "category_code",
        "category_name",
        "Categoría de servicio",
        key="category_id",
        names=("dim_category", "id", "code", "name"),
    ),
    "client_type": Dimension(
        "client_type",
        "client_type_name",
        "Tipo de cliente",
        names=("dim_client_type", "code", "code", "name"),
    ),
    "size_class": Dimension(
        "size_class",
        "size_class_name",
        "Tamaño",
        names=("dim_size_class", "code", "code", "name"),
    ),
    "programme": Dimension(
        "programme_code",
        "programme_name",
        "Programa",
        "Sin programa",
        "programme_id",
        ("dim_programme", "id", "code", "name"),
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
    perturbed: bool = False  # set by analytics.public for crossings (cell-key perturbation)

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
        # The build, not the file name: names repeat across read model directories.
        build, threshold = sharedcache.build_id(reader), conf.disclosure_threshold()
        known = _known_codes(cursor, build)
        _validate(filters, by, measures, order_by, limit, known)
        version = _content_version(reader, filters, build)
        key = (version, threshold, filters, by, measures, order_by, descending, limit)
        cached = _cached(key)
        if cached is not None:
            # Possibly computed on an older generation with the same content: the answer
            # is this generation's, so it carries this generation's freshness.
            return _copy(cached, _fresh_as_of(reader), reader.generation)
        result = _compute(cursor, filters, by, measures, known)
    return _copy(_remember(key, result, reader))


def totals(filters: Filters | None = None, measures: Sequence[str] = MEASURES) -> dict[str, Any]:
    """The measures over everything `filters` select."""
    return figures(filters, measures=measures).totals


def top(dimension: str, measure: str, n: int = 10, filters: Filters | None = None) -> Figures:
    """The `n` values of `dimension` with the highest `measure` (e.g. top 10 centers by units)."""
    return figures(filters, by=[dimension], measures=[measure], order_by=measure, limit=n)


# Measures a breakdown can take from one shared scan: sums, no distinct count.
SUMS = ("services", "amount")
# Dimensions whose codes are not text: one scan's rows for several dimensions share a code
# column, so theirs travel as text and are read back here.
_TYPED_CODES = {"year": int, "free": lambda text: text == "true"}

# What prefetch(..., extra=) gives back: per breakdown (one dimension, or none), the extra
# aggregate of each cell (by its codes) and of the totals.
Extras = dict[tuple[str, ...], tuple[dict[tuple[Any, ...], Any], Any]]


def prefetch(
    filters: Filters | None,
    asks: Sequence[dict[str, Any]],
    *,
    keyed: Sequence[tuple[str, ...]] = (),
    extra: str = "",
) -> Extras:
    """Compute several one-dimension breakdowns of sums for the same filters in one scan.

    Each ask holds figures()' keyword arguments. A page that shows many breakdowns of one
    filter set (the dashboard: by month, center, department, chain, category...) calls this
    first, and its figures() calls then find their answers cached: one GROUPING SETS scan
    instead of one scan each. Asks of another kind (distinct counts, two dimensions, invalid,
    answered by the cube, already cached) are left to figures().

    `extra`, an aggregate over the facts (analytics.public passes the cell key), is computed
    in the same scan for the cells of each breakdown of `keyed` of at most one dimension,
    when there is a scan (some sums to compute): the answer holds those (the others are
    left to the caller).
    """
    filters = filters or Filters()
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        known = _known_codes(cursor, sharedcache.build_id(reader))
        todo = _sum_asks(reader, known, filters, asks)
        keyed = [by for by in dict.fromkeys(keyed) if len(by) <= 1] if extra else []
        if keyed and not _valid(filters, known):
            keyed = []  # figures() will say why
        asked = [ask["by"][0] for _, ask in todo]
        dimensions = list(dict.fromkeys([*asked, *(d for by in keyed for d in by)]))
        if len(todo) < (1 if keyed else 2):
            return {}  # nothing to sum: the caller's own scan of the extra is cheaper
        found = _run_sums(cursor, filters, dimensions, known, extra if keyed else "")
        for key, ask in todo:
            _remember(key, _sums_answer(cursor, filters, ask, found, known), reader)
    return {by: _extras(found, by) for by in keyed}


def _sum_asks(
    reader: connection.Reader, known: dict[str, Any], filters: Filters, asks: Sequence[Any]
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The asks prefetch computes: valid one-dimension sums not cached nor in the cube."""
    version = _content_version(reader, filters, sharedcache.build_id(reader))
    threshold = conf.disclosure_threshold()
    todo: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for ask in asks:
        by, measures = tuple(ask["by"]), tuple(ask.get("measures", MEASURES))
        order_by, limit = ask.get("order_by"), ask.get("limit")
        descending = ask.get("descending", True)
        if len(by) != 1 or not set(measures) <= set(SUMS):
            continue
        try:
            _validate(filters, by, measures, order_by, limit, known)
        except InvalidQuery:
            continue  # figures() will say why
        key = (version, threshold, filters, by, measures, order_by, descending, limit)
        if any(key == k for k, _ in todo) or _cached(key):
            continue
        if cube.fits(filters, by, measures, known["_cube"]):
            continue  # the cube answers it without a scan
        todo.append((key, {"by": by, "measures": measures}))
    return todo


def _valid(filters: Filters, known: dict[str, Any]) -> bool:
    try:
        _validate(filters, (), SUMS, None, None, known)
    except InvalidQuery:
        return False
    return True


def _sums_answer(
    cursor: Any,
    filters: Filters,
    ask: dict[str, Any],
    found: dict[str, list[tuple[Any, ...]]],
    known: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """An ask's records from _run_sums' rows, as _run would compute them."""
    by, measures = ask["by"], ask["measures"]
    rows = [_project(row[:7], measures) for row in found[by[0]]]
    total = _summed_totals(rows, 1, measures)
    if total is None:
        plan = _Plan(filters, by, measures, known)
        rows += cursor.execute(*plan.totals()).fetchall()
    else:
        rows.append(total)
    return _exact_below_threshold(cursor, filters, by, rows)


def _extras(found: dict[str, list[tuple[Any, ...]]], by: tuple[str, ...]) -> Any:
    """The extra aggregate of a breakdown's cells, and of the totals."""
    (total,) = [row[-1] for row in found[""]] or [None]
    if not by:
        return {}, total
    return {(row[0],): row[-1] for row in found[by[0]]}, total


def _run_sums(
    cursor: Any,
    filters: Filters,
    dimensions: list[str],
    known: dict[str, Any],
    extra: str = "",
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows (code, label, 0, services, amount, natural, units floor) of each dimension; with
    `extra` (an aggregate), each row ends with its value, and the totals' row is under ""."""
    plan = _Plan(filters, (), SUMS, known)  # services, amount, natural, units floor
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
    """A _run_sums row with the code and label of a typed dimension read back from text."""
    read = _TYPED_CODES.get(dimension)
    if read is None:
        return tuple(row)
    code, label, *rest = row
    return (None if code is None else read(code), None if label is None else read(label), *rest)


def _project(row: tuple[Any, ...], measures: tuple[str, ...]) -> tuple[Any, ...]:
    """A _run_sums row (without any extra) as _Plan(..., measures).rows() lays it out."""
    code, label, is_total, services, amount, natural, units = row
    values = {"services": services, "amount": amount}
    return (code, label, is_total, *(values[m] for m in measures), natural, units)


def freshness() -> datetime:
    """When the records the read model reflects were read."""
    reader = refresh.ensure_fresh()
    reader.attach()  # the current generation, with its meta
    return _fresh_as_of(reader)


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
_known: dict[str, dict[str, Any]] = {}


def _known_codes(cursor: Any, build: str) -> dict[str, Any]:
    """Valid codes per filter, and the id ranges of the facts, for this build (cached)."""
    with _known_lock:
        if build in _known:
            return _known[build]
    found: dict[str, Any] = {
        name: {row[0] for row in cursor.execute(f"SELECT {column} FROM {table}").fetchall()}
        for name, (_, table, column, _) in CODED_FILTERS.items()
    }
    found["_ranges"] = dict(
        zip(
            ("unit_id", "report_id", "year"),
            _pairs(
                cursor.execute(
                    "SELECT min(unit_id), max(unit_id), min(report_id), max(report_id), "
                    "min(year), max(year) FROM facts"
                ).fetchone()
            ),
            strict=True,
        )
    )
    found["_cube"] = cube.present(cursor)
    found["_ids"] = {
        name: {
            code: (key, cite)
            for key, code, cite in cursor.execute(
                f"SELECT id, code, {'cite_code' if name == 'centers' else 'NULL'} FROM {table}"
            ).fetchall()
        }
        for name, (_, table, _, _) in CODED_FILTERS.items()
        if name in _ID_COLUMNS
    }
    with _known_lock:
        _known.clear()  # only the current build matters
        _known[build] = found
    return found


def _pairs(values: tuple[Any, ...]) -> list[tuple[int, int] | None]:
    pairs = zip(values[::2], values[1::2], strict=True)
    return [None if low is None else (int(low), int(high)) for low, high in pairs]


# --- SQL -----------------------------------------------------------------------------------


def _compute(
    cursor: Any,
    filters: Filters,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    known: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """The answer's records: from the per-year cube when the question fits it, else a scan."""
    answer = cube.answer(cursor, filters, by, measures, known["_cube"])
    return answer if answer is not None else _run(cursor, filters, by, measures, known)


def _run(
    cursor: Any,
    filters: Filters,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    known: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """The result records: dimension code/label pairs, is_total, then _shape's values."""
    plan = _Plan(filters, by, measures, known)
    if by and not {"reports", "units", "new_units"} & set(measures):
        # Only sums asked for: the totals are the sums of the rows, no second scan needed,
        # unless the flag of the totals needs their distinct units (only for tiny totals).
        result = cursor.execute(*plan.rows()).fetchall()
        total = _summed_totals(result, len(by), measures)
        result += [total] if total else cursor.execute(*plan.totals()).fetchall()
    else:
        result = cursor.execute(*plan.union()).fetchall()
    if "units" not in measures:
        result = _exact_below_threshold(cursor, filters, by, result)
    return result


def _summed_totals(
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


class _Plan:
    """The SQL of one question: the rows of the breakdown and the totals, same measures."""

    def __init__(
        self,
        filters: Filters,
        by: tuple[str, ...],
        measures: tuple[str, ...],
        known: dict[str, Any],
    ) -> None:
        self.by = by
        self.where, self.where_params = _where(filters, known["_ids"])
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
        # _exact_below_threshold recounts the few cells it leaves in doubt.
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
        cells *= sizes.get(dimension) or len(known[_FILTER_OF[dimension]]) + 1
    return cells


# The filter (of CODED_FILTERS) whose codes are the values of a dimension.
_FILTER_OF = {
    "center": "centers",
    "chain": "chains",
    "department": "departments",
    "province": "provinces",
    "category": "categories",
    "client_type": "client_types",
    "size_class": "size_classes",
    "programme": "programmes",
}


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


_ID_COLUMNS = {
    "centers": "center_id",
    "chains": "chain_id",
    "categories": "category_id",
    "programmes": "programme_id",
}


def _where(filters: Filters, ids: dict[str, Any] | None = None) -> tuple[list[str], list[Any]]:
    """WHERE clauses for `filters`; with `ids` (known["_ids"]) coded filters use id columns."""
    with_units = filters.with_technical_units
    # The facts hold validated and registered reports (cancelled ones are never loaded).
    clauses: list[str] = ["TRUE" if filters.include_registered else "is_validated"]
    params: list[Any] = []
    dates, date_params = _date_clauses(filters)
    clauses += dates
    params += date_params
    for name, (column, _, _, _) in CODED_FILTERS.items():
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
            clauses.append(f"{_ID_COLUMNS[name]} IN ({_marks(keys) or 'NULL'})")
            params += keys
        elif name == "centers" and filters.with_technical_units:
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
        fresh_as_of=_fresh_as_of(reader),
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


def _cached(key: tuple[Any, ...]) -> Figures | None:
    return _cache.get(key) or _shared.get(key)


def _remember(
    key: tuple[Any, ...], result: list[tuple[Any, ...]], reader: connection.Reader
) -> Figures:
    """Shape `result` as figures() answers the question in `key`, and cache it."""
    _, _, _, by, measures, order_by, descending, limit = key
    answer = _shape(result, by, measures, order_by, descending, limit, reader)
    _cache.put(key, answer)
    _shared.put(key, answer)
    return answer


def _copy(answer: Figures, fresh_as_of: datetime | None = None, generation: str = "") -> Figures:
    # Callers get their own dicts, so presenters may decorate rows without touching the cache.
    return replace(
        answer,
        rows=tuple(dict(r) for r in answer.rows),
        totals=dict(answer.totals),
        fresh_as_of=fresh_as_of or answer.fresh_as_of,
        generation=generation or answer.generation,
    )


def _fresh_as_of(reader: connection.Reader) -> datetime:
    return datetime.fromisoformat(reader.meta["fresh_as_of"])


def _content_version(reader: connection.Reader, filters: Filters, build: str) -> str:
    """The cache key's data part: the content versions of the years `filters` can select
    (validated figures), or the build itself when registered reports count too."""
    if filters.include_registered:
        return build
    years: set[int] | None = set(filters.years) if filters.years else None
    if filters.date_from and filters.date_to:
        spanned = set(range(filters.date_from.year, filters.date_to.year + 1))
        years = spanned if years is None else years & spanned
    return sharedcache.content_version(reader, years)


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
