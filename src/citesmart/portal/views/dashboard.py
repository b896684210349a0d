"""The national dashboard and the center pages: figures from analytics.queries only."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from citesmart.network.queries import current_catalogue
from citesmart.portal.views.registry import get_public_center


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"nav": "home"})


@require_GET
def center_detail(request: HttpRequest, code: str) -> HttpResponse:
    center = get_public_center(code)
    context = {
        "nav": "centers",
        "center": center,
        "catalogue": current_catalogue().filter(center=center).order_by("category__order", "name"),
        "units": center.technical_units.order_by("name"),
        "legal_acts": center.legal_acts.order_by("date"),
        "names": center.names.order_by("valid_from"),
    }
    return render(request, "portal/center_detail.html", context)
