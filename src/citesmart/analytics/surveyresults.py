"""Survey estimates from the read model: the one place where survey figures are computed.

    survey_results("recomiendan", "centro", year=2025)

reads the generation's `survey_units` table (analytics.surveyunits, fed by
citesmart.surveys): DuckDB counts, per stratum and domain, the units sampled and those
answering 1 or 0; `analytics.estimates` turns them into a weighted proportion with its 95 %
interval (docs/SURVEYS.md). A domain with fewer respondents than SURVEY_MIN_RESPONDENTS
gets no proportion nor interval (`suppressed`), only its sample, respondents and response
rate. A year is a domain, never a cut of the strata: the other years' respondents still
weigh in their stratum.

`survey_tables` answers several (indicator, breakdown) questions with one statement over the
table (the open data asks every one of them). Answers are cached per build of the read model,
in the process and in the cache shared by the server's workers (analytics.sharedcache).
"""

# SQL here is assembled from constant identifiers and registered indicator codes only; every
# value is a bound parameter.
# ruff: noqa: S608

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from citesmart.analytics import conf, refresh, sharedcache, surveyunits
from citesmart.analytics.estimates import Estimate, Stratum, estimate_strata
from citesmart.analytics.filters import InvalidQuery

# Breakdown (its name in the API and the portal) -> (code column, name column).
BREAKDOWNS = {
    "centro": ("center_code", "center_name"),
    "cadena": ("chain_code", "chain_name"),
    "categoria": ("category_code", "category_name"),
    "programa": ("programme_code", "programme_name"),
    "anio": ("year", "year"),
}

Ask = tuple[str, str]  # (indicator, breakdown)


@dataclass(frozen=True)
class Result:
    """One domain of one indicator: its code and name, and the estimate."""

    code: str
    name: str
    indicator: str
    estimate: Estimate


def survey_results(
    indicator: str, by: str, *, year: int | None = None, center: str | None = None
) -> list[Result]:
    """The indicator's estimate for every domain of `by` (within one year, one center)."""
    return survey_tables([(indicator, by)], year=year, center=center)[(indicator, by)]


def survey_tables(
    asks: Sequence[Ask], *, year: int | None = None, center: str | None = None
) -> dict[Ask, list[Result]]:
    """Several questions at once: those not cached are counted in one statement."""
    asks = list(dict.fromkeys(asks))
    _validate(asks)
    minimum = conf.survey_minimum()
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        build = sharedcache.build_id(reader)
        names = {ask: sharedcache.key("surveys", build, minimum, ask, year, center) for ask in asks}
        found = {ask: hit for ask in asks if (hit := _cached(names[ask])) is not None}
        missing = [ask for ask in asks if ask not in found]
        if missing:
            counted = _counts(cursor, missing, center)
            for ask in missing:
                found[ask] = _estimates(ask, counted.get(ask, []), year, minimum)
                _remember(names[ask], found[ask])
    return {ask: list(found[ask]) for ask in asks}


def _validate(asks: Sequence[Ask]) -> None:
    known = surveyunits.indicators()
    for indicator, by in asks:
        if indicator not in known:
            raise InvalidQuery(
                {"indicador": f"Indicador desconocido «{indicator}»; use {', '.join(known)}."}
            )
        if by not in BREAKDOWNS:
            raise InvalidQuery(
                {"por": f"Desglose desconocido «{by}»; use {', '.join(BREAKDOWNS)}."}
            )


# A row of the counts: stratum, N_h, domain code and name, year, units, respondents, yes.
Count = tuple[str, int, str | None, str | None, int, int, int, int]


def _counts(cursor: Any, asks: Sequence[Ask], center: str | None) -> dict[Ask, list[Count]]:
    """Per question, stratum, domain and year: units, respondents to the item and 1s."""
    kinds = surveyunits.indicators()
    branches, params = [], []
    for number, (indicator, by) in enumerate(asks):
        code, name = BREAKDOWNS[by]
        value = surveyunits.column(indicator)
        branches.append(
            f"SELECT {number} AS ask, stratum, any_value(population), "
            f"CAST({code} AS VARCHAR) AS code, CAST({name} AS VARCHAR) AS name, year, "
            f"count(*), count({value}), count(*) FILTER (WHERE {value}) "
            f"FROM {surveyunits.TABLE} WHERE kind = ? AND (? IS NULL OR center_code = ?) "
            "GROUP BY stratum, code, name, year"
        )
        params += [kinds[indicator], center, center]
    rows = cursor.execute(" UNION ALL ".join(branches), params).fetchall()
    found: dict[Ask, list[Count]] = defaultdict(list)
    for number, *count in rows:
        found[asks[number]].append(tuple(count))
    return found


def _estimates(ask: Ask, counts: list[Count], year: int | None, minimum: int) -> list[Result]:
    """Every domain's estimate; a stratum's respondents are counted over all its domains."""
    populations: dict[str, int] = {}
    respondents: dict[str, int] = defaultdict(int)
    # domain code -> stratum -> [units, 1s, 0s] of the stratum inside the domain
    inside: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    names: dict[str, str] = {}
    for stratum, population, code, name, row_year, units, answered, yes in counts:
        populations[stratum] = int(population)
        respondents[stratum] += answered
        if code is None or (year is not None and row_year != year):
            continue  # outside every domain asked for (no chain, another year)
        names.setdefault(code, code if name is None else name)
        cell = inside[code][stratum]
        cell[0], cell[1], cell[2] = cell[0] + units, cell[1] + yes, cell[2] + answered - yes
    results = []
    for code in sorted(inside):
        strata = [
            Stratum(population, respondents[h], *inside[code].get(h, (0, 0, 0)))
            for h, population in populations.items()
        ]
        found = estimate_strata(strata, minimum=minimum)
        results.append(Result(code, names[code], ask[0], found))
    return results


_lock = threading.Lock()
_local: OrderedDict[str, list[Result]] = OrderedDict()


def _cached(name: str) -> list[Result] | None:
    with _lock:
        if name in _local:
            _local.move_to_end(name)
            return _local[name]
    found = sharedcache.get(name)
    if found is not None:
        _keep(name, found)
    return found


def _remember(name: str, results: list[Result]) -> None:
    _keep(name, results)
    sharedcache.put(name, results)


def _keep(name: str, results: list[Result]) -> None:
    with _lock:
        _local[name] = results
        _local.move_to_end(name)
        while len(_local) > conf.cache_size():
            _local.popitem(last=False)
