"""The network over time on the public site: the map's year control and the changes by year."""

import calendar
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from citesmart.analytics.connection import Unavailable
from citesmart.analytics.filters import Filters
from citesmart.analytics.public import public_figures
from citesmart.geo.models import Department
from citesmart.network import registry, timeline
from citesmart.network.registry import Registry
from citesmart.portal import maps


def year_context(current: Registry, raw: str | None) -> tuple[dict, str]:
    """The map of the network in the year asked for (`?anio=`), and an error if it is wrong."""
    years = timeline.years(current)
    year, error = years[-1], ""
    if raw:
        if raw.isdigit() and int(raw) in years:
            year = int(raw)
        else:
            error = _("Año: elija un año entre %(a)s y %(b)s; se muestra %(b)s.") % {
                "a": years[0],
                "b": years[-1],
            }
    growth = timeline.growth(current, year)
    svg, legend = current.memo("network-map", size=64).get(
        (translation.get_language(), year), lambda: _map(growth)
    )
    return {"years": years, "growth": growth, "map": svg, "legend": legend}, error


def _map(growth: timeline.Growth):
    catalogue = reverse("portal:catalogue")
    markers = [
        maps.Marker(lat, lon, center.name, reverse("portal:center_detail", args=[center.code]))
        for center in growth.centers
        if (point := center.map_point)
        for lat, lon in [point]
    ]
    return maps.choropleth(
        growth.departments,
        measure_label=_("centros con ámbito"),
        href=lambda code: f"{catalogue}?departamento={code}",
        markers=markers,
        label=_("Mapa del Perú: centros de la red CITE por departamento en %(y)s")
        % {"y": growth.year},
    )


def render_with_year(
    request: HttpRequest, current: Registry, template: str, context: dict
) -> HttpResponse:
    """The page, or only its year region for live.js (X-Partial)."""
    year, error = year_context(current, request.GET.get("anio"))
    context = {**context, **year, "errors": [error] if error else []}
    partial = bool(request.headers.get("X-Partial"))
    response = render(
        request,
        "portal/_network_year.html" if partial else template,
        context,
        status=400 if error else 200,
    )
    patch_vary_headers(response, ["X-Partial"])
    return response


@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    current = registry.current()
    return render(request, "portal/network_changes.html", {"years": timeline.changes(current)})


SERVED_MONTHS = 24


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def served_recently(department: Department, day: date) -> frozenset[str]:
    """Codes of the centers that delivered services to units of the department in the last
    24 months (validated, as the public figures count them). Empty when the read model is
    unavailable: the catalogue still answers from the scope."""
    filters = Filters(
        date_from=months_before(day, SERVED_MONTHS), date_to=day, departments=(department.code,)
    )
    try:
        answer = public_figures(filters, by=["center"], measures=["services"])
    except Unavailable:
        return frozenset()
    return frozenset(row["center"] for row in answer.rows if row["center"])
