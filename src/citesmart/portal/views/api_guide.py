"""The Spanish guide to the public API: how to ask, with curl examples that the tests run."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from citesmart.analytics import queries, vocabulary

# (what it shows, path under the API): each one is asked by tests/portal/test_api_guide_page.py.
EXAMPLES = [
    (
        _("Centros de un departamento (La Libertad), cinco por página"),
        "/centros/?departamento=13&page_size=5",
    ),
    (_("Los mismos centros en CSV"), "/centros/?departamento=13&format=csv"),
    (_("Cadenas productivas (códigos para filtrar)"), "/cadenas/"),
    (
        _("Servicios brindados en un año, por departamento"),
        "/estadisticas/?anio=2024&por=department",
    ),
    (
        _("Un año, por cadena, solo servicios y unidades"),
        "/estadisticas/?anio=2024&por=chain&medida=services&medida=units",
    ),
]


@require_GET
def api_guide(request: HttpRequest) -> HttpResponse:
    base = request.build_absolute_uri("/api/v1").rstrip("/")
    context = {
        "base": base,
        "examples": [(text, base + path) for text, path in EXAMPLES],
        "filters": sorted(vocabulary.api_filters()),
        "dimensions": list(queries.DIMENSIONS),
        "measures": list(queries.MEASURES),
    }
    return render(request, "portal/api_guide.html", context)
