"""Survey estimates from the read model: the one place where survey figures are computed.

    survey_results("recomiendan", "centro", year=2025)

reads the generation's `survey_units` table (analytics.surveyunits, fed by
citesmart.surveys): DuckDB counts, per stratum and atom (the invitations sharing center,
chain, category, programme and year), the units sampled and those answering 1 or 0;
`analytics.estimates` turns a domain's counts into a weighted proportion with its 95 %
interval (docs/SURVEYS.md). A year is a domain, never a cut of the strata: the other years'
respondents still weigh in their stratum.

Secrecy is decided here, once per indicator, for every figure set any door shows (each
breakdown, all years and each year: the indicator's *release*): a domain under
SURVEY_MIN_RESPONDENTS is suppressed, and so is every domain analytics.surveysecrecy adds so
that no suppressed figure can be computed by subtracting published ones. A suppressed row
keeps its sample only (no respondents, rate, proportion or interval).

`survey_tables` answers several (indicator, breakdown) questions with one statement over the
table (the open data asks every one of them). Releases are cached per version of the
survey table (the surveys' version and the registry's names: not every refresh), in the
process and in the cache shared by the server's workers (analytics.sharedcache).
"""

# SQL here is assembled from constant identifiers and registered indicator codes only; every
# value is a bound parameter.
# ruff: noqa: S608

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from citesmart.analytics import conf, refresh, sharedcache, surveysecrecy, surveyunits
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
Group = surveysecrecy.Group


@dataclass(frozen=True)
class Result:
    """One domain of one indicator: its code and name, and the estimate."""

    code: str
    name: str
    indicator: str
    estimate: Estimate


# (breakdown, year or None for all years) -> its rows: every figure of one indicator.
Release = dict[tuple[str, int | None], list[Result]]


def survey_results(
    indicator: str, by: str, *, year: int | None = None, center: str | None = None
) -> list[Result]:
    """The indicator's estimate for every domain of `by` (within one year, one center)."""
    return survey_tables([(indicator, by)], year=year, center=center)[(indicator, by)]


def survey_tables(
    asks: Sequence[Ask], *, year: int | None = None, center: str | None = None
) -> dict[Ask, list[Result]]:
    """Several questions at once, read from each indicator's release (all its figures,
    protected together); `center` keeps that center's row of the table by center."""
    asks = list(dict.fromkeys(asks))
    _validate(asks)
    if center is not None and any(by != "centro" for _, by in asks):
        raise ValueError("A center filter answers the breakdown by center only.")
    minimum = conf.survey_minimum()
    reader = refresh.ensure_fresh()
    indicators = list(dict.fromkeys(indicator for indicator, _ in asks))
    with reader.cursor() as cursor:
        version = _table_version(reader)
        names = {i: sharedcache.key("surveys", version, minimum, i) for i in indicators}
        found = {i: hit for i in indicators if (hit := _cached(names[i])) is not None}
        missing = [i for i in indicators if i not in found]
        if missing:
            counted = _counts(cursor, missing)
            for indicator in missing:
                found[indicator] = _release(indicator, counted.get(indicator, []), minimum)
                _remember(names[indicator], found[indicator])
    answers = {}
    for indicator, by in asks:
        rows = found[indicator].get((by, year), [])
        answers[(indicator, by)] = [r for r in rows if center is None or r.code == center]
    return answers


def _table_version(reader) -> str:
    """What `survey_units` holds depends on the surveys' version and the registry's names
    only (a refresh copies it unchanged otherwise): releases survive the refreshes of every
    other write, so a page after an import does not pay for the protection again."""
    meta = reader.meta
    if not meta.get("surveys"):
        return sharedcache.build_id(reader)
    return "|".join((meta.get("schema", ""), meta["surveys"], meta.get("digest", "")))


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


# An atom: (center, chain, category, programme) codes and the year; its names alike.
Atom = tuple[str | None, str | None, str | None, str | None, int]
# A row of the counts: stratum, N_h, atom, its names, units, respondents to the item, 1s.
Count = tuple[str, int, Atom, tuple, int, int, int]
_DIMENSIONS = ("centro", "cadena", "categoria", "programa")


def _counts(cursor: Any, indicators: Sequence[str]) -> dict[str, list[Count]]:
    """Per indicator, stratum and atom: units, respondents to the item and 1s."""
    kinds = surveyunits.indicators()
    codes = ", ".join(BREAKDOWNS[by][0] for by in _DIMENSIONS)
    labels = ", ".join(f"min({BREAKDOWNS[by][1]})" for by in _DIMENSIONS)
    branches, params = [], []
    for number, indicator in enumerate(indicators):
        value = surveyunits.column(indicator)
        branches.append(
            f"SELECT {number} AS ask, stratum, any_value(population), {codes}, year, "
            f"{labels}, count(*), count({value}), count(*) FILTER (WHERE {value}) "
            f"FROM {surveyunits.TABLE} WHERE kind = ? GROUP BY stratum, {codes}, year"
        )
        params.append(kinds[indicator])
    rows = cursor.execute(" UNION ALL ".join(branches), params).fetchall()
    found: dict[str, list[Count]] = defaultdict(list)
    for number, stratum, population, *rest in rows:
        atom, labels_, (units, answered, yes) = tuple(rest[:5]), tuple(rest[5:9]), rest[9:]
        found[indicators[number]].append(
            (stratum, int(population), atom, labels_, units, answered, yes)
        )
    return found


def _code(atom: Atom, by: str) -> str | None:
    if by == "anio":
        return str(atom[4])
    value = atom[_DIMENSIONS.index(by)]
    return None if value is None else str(value)


def _release(indicator: str, counts: list[Count], minimum: int) -> Release:
    """Every figure set of the indicator (each breakdown, all years and each year), with
    the suppressions of analytics.surveysecrecy applied to all of them at once."""
    populations: dict[str, int] = {}
    respondents: dict[str, int] = defaultdict(int)
    atoms: dict[Atom, int] = {}
    # atom index -> stratum -> [units, 1s, 0s]; atom index -> respondents to the item
    inside: list[dict[str, list[int]]] = []
    answered_in: list[int] = []
    names: dict[tuple[str, str], str] = {}
    for stratum, population, atom, labels, units, answered, yes in counts:
        populations[stratum] = population
        respondents[stratum] += answered
        if atom not in atoms:
            atoms[atom] = len(atoms)
            inside.append(defaultdict(lambda: [0, 0, 0]))
            answered_in.append(0)
        index = atoms[atom]
        cell = inside[index][stratum]
        cell[0], cell[1], cell[2] = cell[0] + units, cell[1] + yes, cell[2] + answered - yes
        answered_in[index] += answered
        for by, label in zip(_DIMENSIONS, labels, strict=True):
            if (code := _code(atom, by)) is not None:
                names.setdefault((by, code), code if label is None else str(label))
    sets = _figure_sets(atoms)
    hidden = surveysecrecy.protect(
        {group for table in sets.values() for group in table.values()},
        answered_in,
        minimum,
        secrets=_unnamed(atoms, sets),
    )
    release: Release = {}
    for (by, scope), table in sets.items():
        release[(by, scope)] = [
            Result(
                code,
                code if by == "anio" else names[(by, code)],
                indicator,
                _estimate(group, inside, populations, respondents, minimum, group in hidden),
            )
            for code, group in sorted(table.items())
        ]
    return release


def _figure_sets(atoms: dict[Atom, int]) -> dict[tuple[str, int | None], dict[str, Group]]:
    """(breakdown, year or None) -> domain code -> its atoms: every table a door shows."""
    years = sorted({atom[4] for atom in atoms})
    sets: dict[tuple[str, int | None], dict[str, set[int]]] = {}
    for by in BREAKDOWNS:
        for scope in [None, *years]:
            table: dict[str, set[int]] = defaultdict(set)
            for atom, index in atoms.items():
                code = _code(atom, by)
                if code is not None and (scope is None or atom[4] == scope):
                    table[code].add(index)
            sets[(by, scope)] = table
    return {key: {c: frozenset(g) for c, g in t.items()} for key, t in sets.items()}


def _unnamed(atoms: dict[Atom, int], sets: dict) -> list[Group]:
    """The groups a breakdown leaves out (no chain, no programme), per year and in all:
    the year's total minus the table's domains would give them."""
    groups = []
    for (_by, scope), table in sets.items():
        every = {i for atom, i in atoms.items() if scope is None or atom[4] == scope}
        named = set().union(*table.values()) if table else set()
        if every - named:
            groups.append(frozenset(every - named))
    return groups


def _estimate(group, inside, populations, respondents, minimum, hidden: bool) -> Estimate:
    """A domain's estimate; a suppressed one keeps its sample only."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for index in group:
        for stratum, (units, yes, no) in inside[index].items():
            cell = totals[stratum]
            cell[0], cell[1], cell[2] = cell[0] + units, cell[1] + yes, cell[2] + no
    strata = [
        Stratum(population, respondents[h], *totals.get(h, (0, 0, 0)))
        for h, population in populations.items()
    ]
    found = estimate_strata(strata, minimum=minimum)
    if not hidden:
        return found
    return Estimate(found.sampled, None, None, None, None, None, True)


_lock = threading.Lock()
_local: OrderedDict[str, Release] = OrderedDict()


def _cached(name: str) -> Release | None:
    with _lock:
        if name in _local:
            _local.move_to_end(name)
            return _local[name]
    found = sharedcache.get(name)
    if found is not None:
        _keep(name, found)
    return found


def _remember(name: str, results: Release) -> None:
    _keep(name, results)
    sharedcache.put(name, results)


def _keep(name: str, results: Release) -> None:
    with _lock:
        _local[name] = results
        _local.move_to_end(name)
        while len(_local) > conf.cache_size():
            _local.popitem(last=False)
