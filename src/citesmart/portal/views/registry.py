"""Public pages of the registry: centers and the service catalogue."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from citesmart.network.models import Center
from citesmart.network.queries import (
    centers_serving,
    current_catalogue,
    public_centers,
    search_catalogue,
)
from citesmart.portal.forms import CatalogueSearchForm


@require_GET
def center_list(request: HttpRequest) -> HttpResponse:
    centers = public_centers().order_by("kind", "name")
    return render(request, "portal/center_list.html", {"centers": centers})


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueSearchForm(request.GET or None)
    hits, serving = [], []
    if form.is_valid():
        data = form.cleaned_data
        department = data["departamento"]
        hits = search_catalogue(
            words=data["q"],
            chain=data["cadena"].code if data["cadena"] else "",
            category=data["categoria"].code if data["categoria"] else "",
            department=department,
            free_only=data["gratuitos"],
            programme=data["programa"].code if data["programa"] else "",
        )
        serving = centers_serving(department) if department else []
    elif not request.GET:
        hits = search_catalogue()
    context = {"form": form, "hits": hits, "serving": serving, "searched": bool(request.GET)}
    return render(request, "portal/catalogue.html", context)


@require_GET
def catalogue_service(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(current_catalogue(), pk=pk)
    return render(request, "portal/catalogue_service.html", {"service": service})


def get_public_center(code: str) -> Center:
    return get_object_or_404(public_centers(), code=code)
