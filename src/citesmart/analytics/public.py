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
from dataclasses import fields, replace
from typing import Any

from citesmart.analytics import cellkey, disclosure, queries, refresh, sharedcache
from citesmart.analytics.filters import Filters, known_codes
from citesmart.analytics.queries import Figures
from citesmart.analytics.vocabulary import MEASURES

OFFICIAL_BREAKDOWNS = ("year", "month", "department", "center", "chain", "category")
# Filters that may pick one cell of an official table (one code, one year, no breakdown).
ONE_CELL_FILTERS = ("centers", "departments", "chains", "categories")


def is_official(filters: Filters, by: Sequence[str]) -> bool:
    """Whether (filters, by) is one of the official tables, or one cell of them."""
    by = tuple(by)
    chosen = {f.name for f in fields(Filters) if getattr(filters, f.name) != f.default}
    chosen.discard("with_technical_units")
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
        return _official(disclosure.protect(answer))
    keys, total = _cell_keys(filters, answer.by)
    return _perturbed(answer, keys, total, order_by, descending)


def _official(answer: Figures) -> Figures:
    for row in (*answer.rows, answer.totals):
        row["perturbed"] = False
    return replace(answer, perturbed=False)


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


def _cell(row: dict[str, Any], measures: tuple[str, ...], key: int) -> dict[str, Any]:
    """A row (or the totals) of a crossing: suppressed if sensitive, else perturbed."""
    cell = dict(row)
    suppressed = bool(row["flagged"])
    cell["suppressed"], cell["perturbed"] = suppressed, not suppressed
    for measure in measures:
        cell[measure] = None if suppressed else cellkey.adjusted(measure, row[measure], key)
    return cell


_lock = threading.Lock()
_keys: OrderedDict[Any, cellkey.Keys] = OrderedDict()
KEYS_CACHED = 256


def prefetch(filters: Filters | None, asks: Sequence[dict[str, Any]]) -> None:
    """`queries.prefetch`, and the cell keys of every crossing among `asks`, in one scan.

    A page that shows many breakdowns of one filter set (the dashboard) calls this first;
    its public_figures() calls then find both their answers and their cell keys ready. The
    keys of crossings by one dimension (or none) come from the scan of the sums
    (queries.prefetch's `extra`); any others from one more scan (cellkey.cell_keys).
    """
    filters = filters or Filters()
    crossings = [tuple(a["by"]) for a in asks if not is_official(filters, a["by"])]
    reader = refresh.ensure_fresh()
    build = sharedcache.build_id(reader)
    with _lock:
        todo = [by for by in dict.fromkeys(crossings) if (build, filters, by) not in _keys]
    found = queries.prefetch(filters, asks, keyed=todo, extra=cellkey.cell_key_sql())
    with _lock:
        for by, (cells, total) in found.items():
            _keys[(build, filters, by)] = (
                {cell: int(key or 0) for cell, key in cells.items()},
                int(total or 0),
            )
        _forget_oldest()
    rest = [by for by in todo if by not in found]
    if rest:
        _cell_keys(filters, *rest)


def _cell_keys(filters: Filters, *breakdowns: tuple[str, ...]) -> cellkey.Keys:
    """cellkey.cell_keys of the first breakdown (computing any others not yet known in the
    same scan), remembered per read-model build (keys only change with it)."""
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        build = sharedcache.build_id(reader)
        with _lock:
            todo = [by for by in breakdowns if (build, filters, by) not in _keys]
            if not todo:
                _keys.move_to_end((build, filters, breakdowns[0]))
                return _keys[(build, filters, breakdowns[0])]
        ids = known_codes(cursor, build)["_ids"]
        found = cellkey.cell_keys(cursor, filters, todo, ids)
    with _lock:
        for by, keys in found.items():
            _keys[(build, filters, by)] = keys
        first = _keys[(build, filters, breakdowns[0])]
        _forget_oldest()
        return first


def _forget_oldest() -> None:
    """Keep the KEYS_CACHED newest cell keys (the caller holds _lock)."""
    while len(_keys) > KEYS_CACHED:
        _keys.popitem(last=False)


def clear_cache() -> None:
    """Forget the remembered cell keys (benchmarks' cold runs; tests)."""
    with _lock:
        _keys.clear()
