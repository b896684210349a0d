"""Warming the public pages' answers after a new read model generation is published.

The home page without filters (the latest year) and each year's page without other filters
are what most visitors open first; their ~15 answers each go into the shared cache so the
first visitors after a publication do not wait for DuckDB (see analytics.sharedcache). Then
the survey results, protected together (analytics.surveysecrecy: seconds on a large
network), which /resultados/ and every center page show: computed once per version of the
survey table, a cache hit after any other publication. Last, each center's page, while the
time given lasts.
"""

import time

from django.http import QueryDict

from citesmart.analytics import sharedcache, surveyresults, surveyunits
from citesmart.historic import cost
from citesmart.network import registry
from citesmart.network.queries import public_centers
from citesmart.portal import presenters


def dashboard(deadline: float) -> str:
    """Compute the default and per-year dashboards' answers until `deadline` (monotonic)."""
    started, before = time.monotonic(), sharedcache.Stats(**vars(sharedcache.stats))
    centers = list(public_centers())
    years = presenters.available_years()
    # No year given means the latest: its page is the default one, computed once.
    pending: list[int | None] = [None, *years[1:]]
    done: list[int | None] = []
    while pending and time.monotonic() < deadline:
        year = pending.pop(0)
        params = QueryDict("" if year is None else f"anio={year}")
        board = presenters.dashboard(params, centers=centers)
        cost.board_cost(board.period.filters)  # the page's cost figure asks one more table
        done.append(year)
    stats = sharedcache.stats
    latest = f" ({years[0]})" if years else ""
    pages = [f"sin filtros{latest}" if y is None else str(y) for y in done]
    line = (
        f"Tablero precalculado ({', '.join(pages) or 'ninguno'}): "
        f"{stats.stores - before.stores} respuestas calculadas y guardadas, "
        f"{stats.hits - before.hits} ya estaban en la caché compartida "
        f"({time.monotonic() - started:.2f} s)."
    )
    if pending:
        missing = [f"sin filtros{latest}" if y is None else str(y) for y in pending]
        line += f" Tiempo agotado: quedaron sin precalcular {', '.join(missing)}."
    if errors := stats.errors - before.errors:
        line += f" La caché compartida falló {errors} veces: revise su directorio o servidor."
    return line


def survey_results(deadline: float) -> str:
    """Every indicator's protected survey results (one release each), before `deadline`."""
    if time.monotonic() >= deadline:
        return "Encuestas sin precalcular: tiempo agotado."
    started = time.monotonic()
    asks = [(i, by) for i in surveyunits.indicators() for by in surveyresults.BREAKDOWNS]
    surveyresults.survey_tables(asks)
    return f"Resultados de encuestas precalculados ({time.monotonic() - started:.2f} s)."


def center_pages(deadline: float) -> str:
    """Each center's page answers (its dashboard, latest year), while time is left.

    A center page first rendered cost 150-400 ms (demo data, cProfile): ~50 of them per app
    server made the first minute of the cluster drill slow. Run by the commands that build
    or warm a read model (a deployment), not after each push refresh (see push._warm).
    """
    started, done = time.monotonic(), 0
    centers = registry.current().centers
    for center in centers:
        if time.monotonic() >= deadline:
            break
        fixed = {"centers": (center.code,)}
        board = presenters.dashboard(QueryDict(""), centers=[center], fixed=fixed)
        cost.board_cost(board.period.filters)
        done += 1
    return (
        f"Páginas de centros precalculadas: {done} de {len(centers)} "
        f"({time.monotonic() - started:.2f} s)."
    )
