"""The one query interface to the network's exact figures (back office, targets, checks).

    figures(Filters(years=[2024], chains=["cuero-calzado"]), by=["department"])

answers from the DuckDB read model, applying docs/COUNTING.md: one service per productive
unit attended on a report, validated reports only unless asked, distinct units after merges,
exact distinct counts. Every answer says how fresh its data is and flags the cells with fewer
distinct units than the disclosure threshold. Codes (center code, chain code, ubigeo...)
go in and come out, never database ids, so URLs and the API can carry them.

This module chooses where an answer comes from (its caches, the per-year cube in
analytics.cubeanswer, or a scan of the facts in analytics.scan) and shapes it; what can be
asked is declared in analytics.vocabulary and checked by analytics.filters.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from citesmart.analytics import conf, connection, cubeanswer, disclosure, refresh, scan, sharedcache
from citesmart.analytics.answer import Figures
from citesmart.analytics.filters import (
    MAX_LIMIT,
    Filters,
    InvalidQuery,
    clear_known,
    known_codes,
    validate,
)
from citesmart.analytics.vocabulary import DIMENSIONS, MEASURE_TITLES, MEASURES, MONTHS
from citesmart.lib.lru import LRU


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
        known = known_codes(cursor, build)
        validate(filters, by, measures, order_by, limit, known)
        version = content_version(reader, filters)
        key = (version, threshold, filters, by, measures, order_by, descending, limit)
        cached = _cached(key)
        if cached is not None:
            # Possibly computed on an older generation with the same content: the answer
            # is this generation's, so it carries this generation's freshness.
            return _copy(cached, _fresh_as_of(reader.meta), reader.generation)
        result = _compute(cursor, filters, by, measures, known)
    return _copy(_remember(key, result, reader))


def totals(filters: Filters | None = None, measures: Sequence[str] = MEASURES) -> dict[str, Any]:
    """The measures over everything `filters` select."""
    return figures(filters, measures=measures).totals


def top(dimension: str, measure: str, n: int = 10, filters: Filters | None = None) -> Figures:
    """The `n` values of `dimension` with the highest `measure` (e.g. top 10 centers by units)."""
    return figures(filters, by=[dimension], measures=[measure], order_by=measure, limit=n)


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
        known = known_codes(cursor, sharedcache.build_id(reader))
        todo = _sum_asks(reader, known, filters, asks)
        keyed = [by for by in dict.fromkeys(keyed) if len(by) <= 1] if extra else []
        if keyed and not _valid(filters, known):
            keyed = []  # figures() will say why
        asked = [ask["by"][0] for _, ask in todo]
        dimensions = list(dict.fromkeys([*asked, *(d for by in keyed for d in by)]))
        if len(todo) < (1 if keyed else 2):
            return {}  # nothing to sum: the caller's own scan of the extra is cheaper
        found = scan.run_sums(cursor, filters, dimensions, known, extra if keyed else "")
        for key, ask in todo:
            _remember(key, scan.sums_answer(cursor, filters, ask, found, known), reader)
    return {by: scan.extras(found, by) for by in keyed}


def _sum_asks(
    reader: connection.Reader, known: dict[str, Any], filters: Filters, asks: Sequence[Any]
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The asks prefetch computes: valid one-dimension sums not cached nor in the cube."""
    version = content_version(reader, filters)
    threshold = conf.disclosure_threshold()
    todo: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for ask in asks:
        by, measures = tuple(ask["by"]), tuple(ask.get("measures", MEASURES))
        order_by, limit = ask.get("order_by"), ask.get("limit")
        descending = ask.get("descending", True)
        if len(by) != 1 or not set(measures) <= set(scan.SUMS):
            continue
        try:
            validate(filters, by, measures, order_by, limit, known)
        except InvalidQuery:
            continue  # figures() will say why
        key = (version, threshold, filters, by, measures, order_by, descending, limit)
        if any(key == k for k, _ in todo) or _cached(key):
            continue
        if cubeanswer.fits(filters, by, measures, known["_cube"], known["_ids"]):
            continue  # the cube answers it without a scan
        todo.append((key, {"by": by, "measures": measures}))
    return todo


def _valid(filters: Filters, known: dict[str, Any]) -> bool:
    try:
        validate(filters, (), scan.SUMS, None, None, known)
    except InvalidQuery:
        return False
    return True


def freshness() -> datetime:
    """When the records the read model reflects were read."""
    return _fresh_as_of(refresh.ensure_fresh().newest_meta())  # not attached (a cached page)


def _compute(
    cursor: Any,
    filters: Filters,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    known: dict[str, Any],
) -> list[tuple[Any, ...]]:
    """The answer's records: from the per-year cube when the question fits it, else a scan."""
    answer = cubeanswer.answer(cursor, filters, by, measures, known["_cube"], known["_ids"])
    return answer if answer is not None else scan.run(cursor, filters, by, measures, known)


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
        fresh_as_of=_fresh_as_of(reader.meta),
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


# Answers per (generation, query): a new generation makes every old key unreachable.
_cache: LRU[Figures] = LRU(conf.cache_size)


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


def _fresh_as_of(meta: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(meta["fresh_as_of"])


def content_version(reader: connection.Reader, filters: Filters) -> str:
    """The cache key's data part: the content versions of the years `filters` can select
    (validated figures), or the build itself when registered reports count too. Call after
    `reader.attach()` or inside `reader.cursor()`."""
    if filters.include_registered:
        return sharedcache.build_id(reader)
    years: set[int] | None = set(filters.years) if filters.years else None
    if filters.date_from and filters.date_to:
        spanned = set(range(filters.date_from.year, filters.date_to.year + 1))
        years = spanned if years is None else years & spanned
    return sharedcache.content_version(reader.meta, years)


def clear_cache() -> None:
    _cache.clear()
    clear_known()  # generation names may repeat in another read model directory


__all__ = [
    "DIMENSIONS",
    "MAX_LIMIT",
    "MEASURES",
    "MEASURE_TITLES",
    "MONTHS",
    "Figures",
    "Filters",
    "InvalidQuery",
    "clear_cache",
    "figures",
    "freshness",
    "prefetch",
    "top",
    "totals",
]
