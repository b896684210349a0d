"""figures()' answers from the per-year cube (analytics.cube), when the question fits it.

`answer` gives the same records as a scan (analytics.scan.run) for validated reports, no
filter but years (or, for distinct units, the unit's attributes), and a breakdown by at most
one dimension plus the year; or years and one code of one of the cube's dimensions (a
filtered dashboard's yearly series: that code's cells); None for any other question.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

from typing import Any

from citesmart.analytics.cube import CODES, NO_REPORTS
from citesmart.analytics.filters import Filters
from citesmart.analytics.vocabulary import CODED_FILTERS, DIMENSIONS

# Filters on an attribute of the unit (filter -> dimension). Every fact row of a unit carries
# its (survivor's) attributes, so the units of a cell that have one are exactly the cell's
# bitmap AND the attribute's: distinct units under these filters need no scan.
UNIT_FILTERS = {
    "departments": "department",
    "client_types": "client_type",
    "size_classes": "size_class",
}


# A coded filter -> the cube dimension whose cells are keyed by the same fact column.
_DIMENSION_OF = {
    f.field: name
    for f in CODED_FILTERS.values()
    for name, d in DIMENSIONS.items()
    if d.cube and d.cube == f.column and name in CODES
}


def one_code(filters: Filters, ids: dict[str, Any]) -> tuple[str, Any] | None:
    """(cube dimension, code) when the filters are years plus one code of a dimension the
    cube keeps, so that the filtered services are exactly that code's cells; else None.
    `ids`: the read model's known ids (filters.known_codes' `_ids`)."""
    rest = {k: v for k, v in filters.chosen().items() if k not in ("years", "with_technical_units")}
    if len(rest) != 1:
        return None
    ((name, value),) = rest.items()
    if name == "free":
        return ("free", value)
    if name not in _DIMENSION_OF or len(value) != 1:
        return None
    (code,) = value
    if name == "centers" and filters.with_technical_units:
        # A CITE's code selects the CITE and its technical units: its `cite` cell (a
        # technical unit's code selects itself only: its `center` cell).
        is_cite = ids.get("centers", {}).get(code, (None, None))[1] == code
        return ("cite", code) if is_cite else ("center", code)
    return (_DIMENSION_OF[name], code)


def _cut(filters: Filters, by: tuple[str, ...], ids: dict[str, Any] | None):
    """one_code() when the breakdown keeps to that code's cells (by the year, the code)."""
    cut = one_code(filters, ids) if ids is not None else None
    if cut and len(set(by)) == len(by) and all(d in ("year", cut[0]) for d in by):
        return cut
    return None


def fits(
    filters: Any,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    present: bool,
    ids: dict[str, Any] | None = None,
) -> bool:
    """Whether answer() can answer this question (see it)."""
    if not present:
        return False
    if _cut(filters, by, ids):
        return True
    others = [d for d in by if d != "year"]
    if len(others) > 1 or (others and others[0] not in CODES):
        return False
    # New units are kept per year: a unit is new in the month of its first service only,
    # which the yearly bitmap of first-served units cannot tell.
    if "month" in by and "new_units" in measures:
        return False
    if filters != Filters(years=filters.years):
        return _intersectable(filters, measures)
    return not (others and others[0] in NO_REPORTS and "reports" in measures)


def _intersectable(filters: Any, measures: tuple[str, ...]) -> bool:
    """Distinct units only, filtered by years and attributes of the unit (see _intersected)."""
    attributes = {f: getattr(filters, f) for f in UNIT_FILTERS if getattr(filters, f)}
    return (
        bool(attributes)
        and filters == Filters(years=filters.years, **attributes)
        and set(measures) <= {"units", "new_units"}
    )


def answer(
    cursor: Any,
    filters: Any,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    present: bool,
    ids: dict[str, Any] | None = None,
) -> list[tuple[Any, ...]] | None:
    """figures()' result records from the cube, or None when the question does not fit it.

    Same layout as scan.run: per dimension code and label, is_total, the measures,
    natural, then the units when they were not asked for (exact here, for the flags).
    Cells of one year are read as counts; several years together OR their bitmaps; filters
    on the unit's attributes AND theirs (_intersected).
    """
    if not fits(filters, by, measures, present, ids):
        return None
    if cut := _cut(filters, by, ids):
        return _one_code(cursor, filters, by, measures, cut)
    others = [d for d in by if d != "year"]
    dim = others[0] if others else "none"
    years = list(filters.years)
    in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    wanted = [*measures, "natural", *(["units"] if "units" not in measures else [])]
    intersect = filters != type(filters)(years=filters.years)
    per_year = "year" in by or len(years) == 1
    keys = ["year"] * ("year" in by) + ["code"] * bool(others)
    cells: list[tuple[Any, ...]] = []
    if intersect:  # cells and total in one statement (they share the attributes' bitmaps)
        found = cursor.execute(*_intersected(wanted, keys, dim, filters)).fetchall()
        cells = [record[1:] for record in found if not record[0]]
        total = next((r[1 + len(keys) :] for r in found if r[0]), None)
    else:
        if by and per_year:  # one cube row per (year, code): its counts are the answer
            sql, params = _counts(wanted, keys, f"dim = ? AND {in_years}", [dim, *years])
            cells = cursor.execute(sql, params).fetchall()
        elif by:
            cells = cursor.execute(*_bitmaps(wanted, keys, dim, in_years, years)).fetchall()
        if len(years) == 1:
            sql, params = _counts(wanted, [], f"dim = 'none' AND {in_years}", years)
        else:  # new units of the whole: first served in one of the years, all in `none`
            sql, params = _bitmaps(wanted, [], "none", in_years, years, whole=True)
        total = cursor.execute(sql, params).fetchone()
    labels = _labels(cursor, dim) if others else {}
    rows: list[tuple[Any, ...]] = []
    for record in cells:
        key = dict(zip(keys, record[: len(keys)], strict=True))
        dims: list[Any] = []
        for name in by:
            if name == "year":
                dims += [key["year"], key["year"]]
            else:
                code = typed(name, key["code"])
                dims += [code, labels.get(key["code"], code)]
        rows.append((*dims, 0, *record[len(keys) :]))
    if total is None or total[0] is None:  # no service at all in the period
        total = tuple(0 for _ in wanted)
    rows.append((*[None] * (2 * len(by)), 1, *total))
    return rows


def _one_code(
    cursor: Any, filters: Any, by: tuple[str, ...], measures: tuple[str, ...], cut: tuple
) -> list[tuple[Any, ...]]:
    """The answer from the cut's code's cells: by year, its rows; the total, its one row
    (one year) or its rows summed and bitmaps ORed over the years."""
    dim, code = cut
    text = as_text(code)
    years = list(filters.years)
    in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    wanted = [*measures, "natural", *(["units"] if "units" not in measures else [])]
    where, params = f"dim = ? AND code = ? AND {in_years}", [dim, text, *years]
    if len(years) == 1:
        total = cursor.execute(*_counts(wanted, [], where, params)).fetchone()
    else:
        total = cursor.execute(*_bitmaps(wanted, [], dim, in_years, years, code=text)).fetchone()
    if total is None or total[0] is None:  # no service at all in the period
        total = tuple(0 for _ in wanted)
    elif "year" in by and len(years) != 1 and "new_units" in wanted:
        new = _new_in_one_of_the_years(cursor, dim, text, years)
        total = tuple(new if m == "new_units" else v for m, v in zip(wanted, total, strict=True))
    cells = (
        cursor.execute(*_counts(wanted, ["year"], where, params)).fetchall()
        if "year" in by
        else ([] if not by or not any(total) else [(None, *total)])
    )
    label = _labels(cursor, dim).get(text, code) if dim in by else None
    rows: list[tuple[Any, ...]] = []
    for year, *values in cells:
        dims = [v for d in by for v in ((year, year) if d == "year" else (code, label))]
        rows.append((*dims, 0, *values))
    rows.append((*[None] * (2 * len(by)), 1, *total))
    return rows


def _new_in_one_of_the_years(cursor: Any, dim: str, code: str, years: list[int]) -> int:
    """By year, a unit is new in the total when it is new in one of the years' cells (served
    in this cell in the year it was first served): the union of the cells' new units."""
    in_years = f"b.year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    (found,) = cursor.execute(
        "SELECT COALESCE(bit_count(bit_or(b.units & n.new_units)), 0) "
        f"FROM cube_bits_{dim} b JOIN cube_bits_none n ON n.year = b.year "
        f"WHERE b.code = ? AND {in_years}",
        [code, *years],
    ).fetchone()
    return int(found)


def _intersected(
    wanted: list[str], keys: list[str], dim: str, filters: Any
) -> tuple[str, list[Any]]:
    """Distinct units under filters on the unit's attributes (see _intersectable): the
    cells (is_total 0, then `keys` and `wanted`) and the total (is_total 1), in one query.

    A unit's fact rows all carry its department, client type and size class, so the units of
    a cell that have those attributes are the cell's bitmap AND the union over the period of
    each attribute's bitmaps (AND across attributes); its new units, that AND the units first
    served in the period (or in the cell's year); its natural persons (for the flag), that
    AND theirs. The total is the attributes' bitmap itself. Cells without a unit left are
    not cells of the answer.
    """
    years = list(filters.years)
    in_years = f"year IN ({', '.join('?' * len(years))})" if years else "TRUE"
    parts, params = [], []
    for name, attribute in UNIT_FILTERS.items():
        codes = list(getattr(filters, name))
        if codes:
            parts.append(
                f"(SELECT bit_or(units) FROM cube_bits_{attribute} WHERE {in_years} "
                f"AND code IN ({', '.join('?' * len(codes))}))"
            )
            params += [*years, *codes]
    firsts = "NULL::BIT"
    if "new_units" in wanted:
        firsts = f"(SELECT bit_or(new_units) FROM cube_bits_none WHERE {in_years})"
        params += years
    shared = (
        f"SELECT {' & '.join(parts)} AS bits, {firsts} AS firsts, (SELECT bit_or(units) "
        f"FROM cube_bits_person WHERE {in_years} AND code = 'true') AS natural"
    )
    params += years
    # The whole: the attributes' bitmap over the period.
    total = ["1 AS is_total", *(f"NULL AS {k}" for k in keys)]
    whole = _unit_counts(wanted, "s.bits", "s.firsts", "s.natural")
    queries = [f"SELECT {', '.join([*total, *whole])} FROM s"]
    if keys:
        columns = ["0", *(f"b.{k}" for k in keys)]
        where = f"b.{in_years}" if years else "TRUE"
        if "year" in keys:  # a cell per year: that year's units and first-served units
            values = _unit_counts(wanted, "b.units & s.bits", "f.new_units", "s.natural")
            source = f"cube_bits_{dim} b JOIN cube_bits_none f ON f.year = b.year, s"
            group = ""
        else:
            one = "any_value(s.{})".format
            cell = f"bit_or(b.units) & {one('bits')}"
            values = _unit_counts(wanted, cell, one("firsts"), one("natural"))
            source = f"cube_bits_{dim} b, s"
            group = f" GROUP BY {', '.join(columns[1:])}"
        queries.insert(
            0, f"SELECT {', '.join([*columns, *values])} FROM {source} WHERE {where}{group}"
        )
        params += years
    sql = (
        f"WITH s AS MATERIALIZED ({shared}) SELECT * FROM ("
        f"{' UNION ALL '.join(queries)}) WHERE units > 0"
    )
    return sql, params


def _unit_counts(wanted: list[str], cell: str, first: str, natural: str) -> list[str]:
    """The measures of a cell whose units under the filters are the bitmap `cell`."""
    values = {"units": cell, "new_units": f"{cell} & {first}", "natural": f"{cell} & {natural}"}
    return [f"COALESCE(bit_count({values[m]}), 0) AS {m}" for m in wanted]


_SUMS = {
    "services": "sum(services)",
    "reports": "sum(reports)",
    "amount": "sum(amount)",
    "natural": "sum(natural_services)",
}


def _counts(wanted: list[str], keys: list[str], where: str, params: list[Any]):
    values = [_SUMS.get(m, f"sum({m})") for m in wanted]
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    select = ", ".join([*keys, *values])
    return f"SELECT {select} FROM cube WHERE {where}{group}", params


def _bitmaps(
    wanted: list[str],
    keys: list[str],
    dim: str,
    in_years: str,
    years: list[int],
    *,
    whole: bool = False,
    code: str | None = None,
):
    """Sums from `cube`, distinct units from ORed bitmaps, for several years at once (with
    `code`, that code's cells only)."""
    on_code, bound = ("", []) if code is None else (" AND code = ?", [code])
    firsts = f"(SELECT bit_or(new_units) FROM cube_bits_none WHERE {in_years})"
    distinct = {
        "units": "COALESCE(bit_count(bit_or(b.units)), 0)",
        "new_units": "COALESCE(bit_count(bit_or(b.new_units)), 0)"
        if whole
        else f"COALESCE(bit_count(bit_or(b.units) & {firsts}), 0)",
    }
    sums = [m for m in wanted if m in _SUMS]
    summed = (
        f"SELECT {', '.join(['code', *(f'{_SUMS[m]} AS {m}' for m in sums)])} FROM cube "
        f"WHERE dim = ? AND {in_years}{on_code} GROUP BY code"
    )
    bitmaps = (
        f"SELECT code, {', '.join(f'{distinct[m]} AS {m}' for m in wanted if m in distinct)} "
        f"FROM cube_bits_{dim} b WHERE {in_years}{on_code} GROUP BY code"
    )
    uses_firsts = not whole and "new_units" in wanted
    select = ", ".join(
        [*(f"s.{k}" for k in keys), *(f"{'s' if m in _SUMS else 'd'}.{m}" for m in wanted)]
    )
    sql = (
        f"SELECT {select} FROM ({summed}) s JOIN ({bitmaps}) d "
        "ON s.code IS NOT DISTINCT FROM d.code"
    )
    return sql, [dim, *years, *bound, *(years if uses_firsts else []), *years, *bound]


def as_text(code: Any) -> str:
    """A code as the cube keeps it (text; `free` as 'true' or 'false'): typed()'s inverse."""
    return ("true" if code else "false") if isinstance(code, bool) else str(code)


def typed(dimension: str, code: str | None) -> Any:
    if code is None:
        return None
    return code == "true" if dimension == "free" else code


def _labels(cursor: Any, dim: str) -> dict[str, str]:
    """Code -> name of one dimension's values, from the dimension tables (current names)."""
    names = DIMENSIONS[dim].names
    if names is None:
        return {}
    table, _, code, name = names
    return {str(c): n for c, n in cursor.execute(f"SELECT {code}, {name} FROM {table}").fetchall()}
