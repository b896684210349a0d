"""Public pages of the registry: centers and the service catalogue.

They read the in-memory registry (network.registry: one query per request) and reuse what
they rendered from it — the search form for a given query, each service's card, the table
of centers — until the registry changes.
"""

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from citesmart.lib.text import fold
from citesmart.network import registry
from citesmart.network.models import CatalogueService, Center
from citesmart.network.queries import CatalogueHit, centers_serving, search_catalogue
from citesmart.network.registry import Registry
from citesmart.portal.forms import CatalogueSearchForm
from citesmart.portal.views.network import render_with_year, served_recently

CATALOGUE_PAGE_SIZE = 20  # cards per page of the catalogue search (?pagina=N)


@require_GET
def center_list(request: HttpRequest) -> HttpResponse:
    current = registry.current()
    table = current.memo("center-table").get(
        translation.get_language(),
        lambda: render_to_string(
            "portal/_center_table.html",
            {"centers": sorted(current.centers, key=lambda c: c.kind)},  # then by name
        ),
    )
    context = {"count": len(current.centers), "table": table}
    return render_with_year(request, current, "portal/center_list.html", context)


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    current = registry.current()
    form = CatalogueSearchForm(request.GET or None, within=current)
    hits, serving = [], []
    if form.is_valid():
        data = form.cleaned_data
        criteria = {
            "words": " ".join(fold(data["q"]).split()),  # what the search compares
            "chain": data["cadena"].code if data["cadena"] else "",
            "category": data["categoria"].code if data["categoria"] else "",
            "department": data["departamento"],
            "free_only": data["gratuitos"],
            "programme": data["programa"].code if data["programa"] else "",
        }
        hits, serving = _results(current, criteria)
    elif not request.GET:
        hits, serving = _results(current, {})
    # Out of range or not a number: the nearest real page (a link kept from another search).
    page = Paginator(hits, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("pagina"))
    # Bad input (an unknown code from an edited or outdated link, an overlong search) says
    # which field and why, as the dashboard does.
    errors = [
        f"{form.fields[name].label}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]
    context = {
        "form_html": _form_html(current, form, request),
        "hits": hits,
        "cards": _cards(current, list(page.object_list)),
        "pager": _pager(request, page),
        "serving": serving,
        "searched": bool(request.GET),
        "errors": errors,
    }
    return render(request, "portal/catalogue.html", context, status=400 if errors else 200)


def _results(current: Registry, criteria: dict) -> tuple[list, list]:
    """Hits and the centers serving the department, once per search and registry (at most
    64 searches kept; the cards of a page come from the per-card memo)."""

    def search() -> tuple[list, list]:
        department = criteria.get("department")
        # Scope today or services delivered there lately; cached with this registry (a day).
        served = served_recently(department, current.day) if department else frozenset()
        hits = search_catalogue(**criteria, served=served, within=current)
        serving = centers_serving(department, served=served, within=current) if department else []
        return hits, serving

    key = (translation.get_language(), *sorted(criteria.items()))
    return current.memo("catalogue-results", size=64).get(key, search)


def _pager(request: HttpRequest, page: Page) -> dict | None:
    """Links to the previous and next pages with the same filters; None for one page."""
    if page.paginator.num_pages <= 1:
        return None

    def link(number: int) -> str:
        query = request.GET.copy()
        query["pagina"] = str(number)
        return f"?{query.urlencode()}"

    return {
        "number": page.number,
        "pages": page.paginator.num_pages,
        "previous": link(page.previous_page_number()) if page.has_previous() else "",
        "next": link(page.next_page_number()) if page.has_next() else "",
    }


def _form_html(current: Registry, form: CatalogueSearchForm, request: HttpRequest) -> str:
    # The form as rendered depends only on the values its widgets read (and the registry).
    values = tuple(request.GET.get(name) for name in form.fields)
    return current.memo("catalogue-form", size=256).get(  # one per query typed: bounded
        (translation.get_language(), values),
        lambda: render_to_string("portal/_catalogue_form.html", {"form": form.with_options()}),
    )


def _cards(current: Registry, hits: list[CatalogueHit]) -> SafeString:
    language = translation.get_language()
    cards = current.memo("catalogue-card", size=100 + 30 * len(current.catalogue))  # x 26 distances

    def card(hit: CatalogueHit) -> str:
        km = None if hit.distance_km is None else floatformat(hit.distance_km, 0)  # as shown
        return cards.get(
            (language, hit.service.pk, km),
            lambda: render_to_string("portal/_catalogue_card.html", {"hit": hit}),
        )

    return mark_safe("".join(card(hit) for hit in hits))  # each card is a rendered template


@require_GET
def catalogue_service(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "portal/catalogue_service.html", {"service": get_public_service(pk)})


def get_public_center(code: str, *, within: Registry | None = None) -> Center:
    center = (within or registry.current()).center(code)
    if center is None:
        raise Http404("No existe ese centro.")
    return center


def get_public_service(pk: int, *, within: Registry | None = None) -> CatalogueService:
    service = (within or registry.current()).service(pk)
    if service is None:
        raise Http404("No existe ese servicio en el catálogo vigente.")
    return service
