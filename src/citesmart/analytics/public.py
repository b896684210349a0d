"""The one door for public figures: the portal, the API, the open data and the reports.

    public_figures(Filters(years=[2025]), by=["department"])

asks `queries.figures` (which stays exact, for the back office, targets and `analytics
check`) and applies statistical secrecy so that it survives combination:

* Official tables stay exact, with suppression and complementary suppression
  (`disclosure.protect`): one year (or every year, for the national series by year or
  month), no other filter, and at most one breakdown among year, month, department, center,
  chain and category; or a single cell of one of them (one year and one department, center,
  chain or category, no breakdown). Published reports (`report=True`) count as official too.
* Any other crossing is perturbed cell by cell (`analytics.cellkey`): each count that is
  not zero moves by 1 or 2, amounts by 1% to 5%, the same way every time it is asked; the
  cells that could single out a natural person (disclosure rule 1) are suppressed. No
  complementary suppression there: perturbed parts already keep a total minus the others
  from giving the hidden cell back, and a cell suppressed in one crossing but published in
  another would let exact-looking equations intersect. Totals are perturbed as their own
  cell. Rows, totals and the answer say `perturbed`.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from citesmart.analytics import cellkey, cubecells, disclosure, queries, refresh, sharedcache
from citesmart.analytics.answer import Figures
from citesmart.analytics.filters import Filters, known_codes
from citesmart.analytics.vocabulary import MEASURES

OFFICIAL_BREAKDOWNS = ("year", "month", "department", "center", "chain", "category")
# Filters that may pick one cell of an official table (one code, one year, no breakdown).
ONE_CELL_FILTERS = ("centers", "departments", "chains", "categories")


def is_official(filters: Filters, by: Sequence[str]) -> bool:
    """Whether (filters, by) is one of the official tables, or one cell of them."""
    by = tuple(by)
    chosen = set(filters.chosen()) - {"with_technical_units"}
    others = chosen - {"years", *ONE_CELL_FILTERS}
    if others or len(filters.years) > 1:
        return False
    cells = chosen & set(ONE_CELL_FILTERS)
    if not filters.years:
        return not cells and by in ((), ("year",), ("month",))
    if not cells:
        return len(by) <= 1 and all(d in OFFICIAL_BREAKDOWNS for d in by)
    if by or len(cells) != 1:
        return False
    (name,) = cells
    return len(getattr(filters, name)) == 1 and (name != "centers" or _one_center(filters))


def _one_center(filters: Filters) -> bool:
    """Whether the center filter selects a single center (not a CITE with its units)."""
    if not filters.with_technical_units:
        return True
    (code,) = filters.centers
    with refresh.ensure_fresh().cursor() as cursor:
        found = cursor.execute(
            "SELECT count(*) FROM dim_center WHERE cite_code = ? AND code <> ?", [code, code]
        ).fetchone()
    return not found or not found[0]


def public_figures(
    filters: Filters | None = None,
    *,
    by: Sequence[str] = (),
    measures: Sequence[str] = MEASURES,
    order_by: str | None = None,
    descending: bool = True,
    limit: int | None = None,
    report: bool = False,
) -> Figures:
    """`queries.figures` as it may be published (see the module). Raises InvalidQuery."""
    filters = filters or Filters()
    answer = queries.figures(
        filters,
        by=by,
        measures=measures,
        order_by=order_by,
        descending=descending,
        limit=limit,
    )
    if report or is_official(filters, answer.by):
        return _official(answer, _per_cell(NATURAL, filters, answer.by))
    keys, total = _per_cell(KEYS, filters, answer.by)
    return _perturbed(answer, keys, total, order_by, descending)


def _official(answer: Figures, natural: cellkey.Keys) -> Figures:
    """Exact, with the cells whose natural persons could be singled out (counted exactly)
    flagged too, then suppressed (disclosure.protect)."""
    cells, total = natural
    counts = [cells.get(tuple(row[d] for d in answer.by), 0) for row in answer.rows]
    rows = tuple(
        row | {"flagged": row["flagged"] or disclosure.natural_part_sensitive(count)}
        for row, count in zip(answer.rows, counts, strict=True)
    )
    totals = answer.totals | {
        "flagged": answer.totals["flagged"] or disclosure.natural_part_sensitive(total)
    }
    protected = disclosure.protect(replace(answer, rows=rows, totals=totals), counts)
    for row in (*protected.rows, protected.totals):
        row["perturbed"] = False
    return replace(protected, perturbed=False)


def _perturbed(
    answer: Figures,
    keys: dict[tuple[Any, ...], int],
    total: int,
    order_by: str | None,
    descending: bool,
) -> Figures:
    rows = [
        _cell(row, answer.measures, keys.get(tuple(row[d] for d in answer.by), 0))
        for row in answer.rows
    ]
    if order_by in answer.measures:
        present = [row for row in rows if row[order_by] is not None]
        present.sort(key=lambda row: row[order_by], reverse=descending)
        rows = present + [row for row in rows if row[order_by] is None]
    totals = _cell(answer.totals, answer.measures, total)
    return replace(answer, rows=tuple(rows), totals=totals, perturbed=True)


def _cell(row: dict[str, Any], measures: tuple[str, ...], signature: int) -> dict[str, Any]:
    """A row (or the totals) of a crossing: suppressed if sensitive, else perturbed."""
    key, natural = cellkey.split(signature)
    cell = dict(row)
    suppressed = bool(row["flagged"]) or disclosure.natural_part_sensitive(natural)
    cell["flagged"] = suppressed
    cell["suppressed"], cell["perturbed"] = suppressed, not suppressed
    for measure in measures:
        cell[measure] = None if suppressed else cellkey.adjusted(measure, row[measure], key)
    return cell


_lock = threading.Lock()
_keys: OrderedDict[Any, cellkey.Keys] = OrderedDict()
KEYS_CACHED = 256
KEYS, NATURAL = "keys", "natural"


_COMPUTE = {
    KEYS: partial(cubecells.per_cell, keys=True),
    NATURAL: partial(cubecells.per_cell, keys=False),
}
"""What is remembered per cell of a breakdown: a crossing's signature (its cell key and a
lower bound of its natural persons), or an official table's exact natural persons."""


def prefetch(filters: Filters | None, asks: Sequence[dict[str, Any]]) -> None:
    """`queries.prefetch`, and what public_figures() needs per cell of every ask, in few
    scans.

    A page that shows many breakdowns of one filter set (the dashboard) calls this first;
    its public_figures() calls then find their answers and cells ready. The signatures of
    crossings by one dimension (or none) come from the scan of the sums (queries.prefetch's
    `extra`); any others from one more scan (cellkey.cell_keys); the natural persons of the
    official tables from one scan (cellkey.natural_persons).
    """
    filters = filters or Filters()
    crossings = [tuple(a["by"]) for a in asks if not is_official(filters, a["by"])]
    official = [tuple(a["by"]) for a in asks if is_official(filters, a["by"])]
    reader = refresh.ensure_fresh()
    reader.attach()
    version = queries.content_version(reader, filters)
    with _lock:
        todo = [by for by in dict.fromkeys(crossings) if (version, KEYS, filters, by) not in _keys]
    found = queries.prefetch(filters, asks, keyed=todo, extra=cellkey.signature_sql())
    with _lock:
        for by, (cells, total) in found.items():
            _keys[(version, KEYS, filters, by)] = (
                {cell: int(value or 0) for cell, value in cells.items()},
                int(total or 0),
            )
        _forget_oldest()
    rest = [by for by in todo if by not in found]
    if rest:
        _per_cell(KEYS, filters, *rest)
    if official:
        _per_cell(NATURAL, filters, *dict.fromkeys(official))


def _per_cell(kind: str, filters: Filters, *breakdowns: tuple[str, ...]) -> cellkey.Keys:
    """_COMPUTE[kind] of the first breakdown (computing any others not yet known in the
    same scan), remembered per content version of the figures (queries.content_version):
    cells depend on the validated rows only, like the figures, so a generation that leaves
    them alone (registered reports imported) keeps them."""
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        version = queries.content_version(reader, filters)
        first = (version, kind, filters, breakdowns[0])
        with _lock:
            for by in breakdowns:
                if (version, kind, filters, by) not in _keys and (
                    derived := _within_one_year(version, kind, filters, by)
                ):
                    _keys[(version, kind, filters, by)] = derived
                    _forget_oldest()
            todo = [by for by in breakdowns if (version, kind, filters, by) not in _keys]
            if not todo:
                _keys.move_to_end(first)
                return _keys[first]
        found = _shared(version, kind, filters, todo)
        if missing := [by for by in todo if by not in found]:
            known = known_codes(cursor, sharedcache.build_id(reader))
            computed = _COMPUTE[kind](cursor, filters, missing, known)
            for by, values in computed.items():
                sharedcache.put(sharedcache.key("cells", version, kind, filters, by), values)
            found |= computed
    with _lock:
        for by, values in found.items():
            _keys[(version, kind, filters, by)] = values
        remembered = _keys[first]
        _forget_oldest()
        return remembered


def _within_one_year(
    version: str, kind: str, filters: Filters, by: tuple[str, ...]
) -> cellkey.Keys | None:
    """A breakdown by the year alone of a period within one year has one cell: the total,
    which any breakdown of the same filters already remembered holds (the dashboard's
    prefetch scans them together). None when it cannot tell (the caller holds _lock)."""
    year = _only_year(filters)
    if by != ("year",) or year is None:
        return None
    for (v, k, f, _other), (_cells, total) in reversed(_keys.items()):
        if (v, k, f) == (version, kind, filters):
            return ({(year,): total}, total)
    return None


def _only_year(filters: Filters) -> int | None:
    if len(filters.years) == 1:
        return filters.years[0]
    start, end = filters.date_from, filters.date_to
    if filters.years or not (start and end) or start.year != end.year:
        return None
    return start.year


def _shared(version: str, kind: str, filters: Filters, todo: list) -> dict:
    """What another process of this server already computed (analytics.sharedcache)."""
    found = {}
    for by in todo:
        values = sharedcache.get(sharedcache.key("cells", version, kind, filters, by))
        if isinstance(values, tuple):
            found[by] = values
    return found


def _forget_oldest() -> None:
    """Keep the KEYS_CACHED newest (the caller holds _lock)."""
    while len(_keys) > KEYS_CACHED:
        _keys.popitem(last=False)


def clear_cache() -> None:
    """Forget what is remembered per cell (benchmarks' cold runs; tests)."""
    with _lock:
        _keys.clear()
