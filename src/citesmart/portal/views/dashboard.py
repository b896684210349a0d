"""The national dashboard and the center pages: figures from analytics.queries only."""

import hashlib
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import condition, require_GET

from citesmart.analytics.filters import InvalidQuery
from citesmart.analytics.queries import freshness
from citesmart.historic import cost
from citesmart.lib.spreadsheets import write_csv
from citesmart.network import registry
from citesmart.portal import pagecache, presenters, scope
from citesmart.portal.views.registry import get_public_center
from citesmart.presentation.formatting import number, soles, stamp
from citesmart.records import closing


def _etag(request: HttpRequest, *args, **kwargs) -> str:
    """Same data generation + same page key (registry, ITP's tables, official months, demo
    mark, query, language...) = same page: browsers and proxies may reuse it."""
    key = f"{freshness().isoformat()}|{pagecache.page_key(request)}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _last_modified(request: HttpRequest, *args, **kwargs):
    """The read model's freshness stamp: the page cannot have changed since then."""
    return freshness()


def _filter_choices(current: registry.Registry) -> dict:
    return {
        "years": presenters.available_years(),
        "chains": current.chains_with_centers(),
        "departments": list(current.departments.values()),
        "categories": list(current.categories.values()),
        "programmes": list(current.programmes.values()),
        "provinces": scope.provinces(current),
        "client_types": scope.CLIENT_TYPES,
        "size_classes": scope.SIZE_CLASSES,
        "center_kinds": scope.CENTER_KINDS,
    }


def _render_board(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    markers: list | None = None,
    **board_args,
) -> HttpResponse:
    current = registry.current()
    centers = current.centers
    try:
        board = presenters.dashboard(
            request.GET, centers=centers if markers is None else markers, **board_args
        )
    except InvalidQuery as error:
        context |= {"errors": error.errors, **_filter_choices(current), "centers": centers}
        return render(request, template, context, status=400)
    if block_key := request.GET.get("csv"):
        return _csv(board, block_key)
    context |= {
        "board": board,
        "cost": _board_cost(board.period.filters),
        "stamp": stamp(board.fresh_as_of),
        "official_note": closing.official_note(),
        "centers": centers,
        **_filter_choices(current),
    }
    partial = bool(request.headers.get("X-Partial"))
    response = render(request, "portal/_results.html" if partial else template, context)
    # The fragment and the whole page share a URL: caches (and back/forward) must not mix them.
    patch_vary_headers(response, ["X-Partial"])
    return response


def _csv(board: presenters.Dashboard, key: str) -> HttpResponse:
    block = next((b for b in board.blocks if b.key == key), None)
    if block is None:
        return HttpResponse(
            "Tabla desconocida.", status=404, content_type="text/plain; charset=utf-8"
        )
    # The file says what it holds: the filters and the date in its name and in lines above
    # the table (a spreadsheet opened next month still tells which selection it was).
    today = date.today()
    name = f"citesmart-{key}-{board.slug}-{today:%Y-%m-%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    preamble = [
        ["Selección: " + " · ".join(board.scope)],
        [f"Descargado el {today:%d/%m/%Y}; datos al {stamp(board.fresh_as_of)}"],
        [],
    ]
    write_csv(response, [f"CITESmart: {block.title}"], [*preamble, block.headers, *block.rows])
    return response


@require_GET
@condition(etag_func=_etag, last_modified_func=_last_modified)
@pagecache.cached_page
def home(request: HttpRequest) -> HttpResponse:
    return _render_board(request, "portal/home.html", {"nav": "home"})


@require_GET
@condition(etag_func=_etag, last_modified_func=_last_modified)
@pagecache.cached_page
def center_detail(request: HttpRequest, code: str) -> HttpResponse:
    current = registry.current()
    center = get_public_center(code, within=current)
    context = {
        "nav": "centers",
        "center": center,
        "catalogue": current.center_catalogue(center),
        "units": current.technical_units(center),
        "legal_acts": center.acts,  # by date
        "names": center.dated,  # by valid_from
        **_center_costs(center),
    }
    return _render_board(
        request,
        "portal/center_detail.html",
        context,
        # One map of Peru: the departments this center reached, with its own seat marked.
        markers=[center],
        fixed={"centers": (center.code,)},
        subject=f"{center.name}",
    )


def _board_cost(filters) -> dict:
    found = cost.board_cost(filters)
    value = None if found.value is None else soles(found.value)
    return {"value": value, "label": found.label, "note": found.note}


def _center_costs(center) -> dict:
    """The center's cost per service by year (years with a budget) and its investment."""
    rows = [c for year in cost.budget_years(center) for c in cost.costs(year, [center.code])]
    shown = [
        {
            "year": c.year,
            "pim": soles(c.pim),
            "executed": soles(c.executed),
            "services": "reservado" if c.reserved else number(c.services),
            "units": "reservado" if c.reserved else number(c.units),
            "per_service": soles(c.per_service),
            "per_unit": soles(c.per_unit),
            "note": c.note,
        }
        for c in rows
    ]
    investment = next(iter(cost.investments(center)), None)
    projects = [
        p | {"amount_text": soles(p["amount"])} for p in (investment.projects if investment else [])
    ]
    return {
        "costs": shown,
        "investment": soles(investment.total) if investment else None,
        "projects": projects,
    }
