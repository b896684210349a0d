"""Public pages of the publications: the list, each one's official tables (HTML, CSV,
JSON from one data dict, as every public table), and the revisions between two."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from citesmart.lib.spreadsheets import write_csv
from citesmart.publications import queries
from citesmart.publications.actions import MEASURES
from citesmart.publications.models import Publication

TABLE_TITLES = {
    "total": "Total de la red",
    "mes": "Por mes",
    "centro": "Por centro",
    "departamento": "Por departamento de la unidad productiva",
    "cadena": "Por cadena productiva",
    "categoria": "Por categoría de servicio",
}
COLUMNS = ["tabla", "codigo", "nombre", "anio", "mes", *MEASURES, "reservado"]


@require_safe
def publication_list(request: HttpRequest) -> HttpResponse:
    publications = list(Publication.objects.all())
    return render(
        request, "publications/list.html", {"publications": publications, "nav": "publications"}
    )


@require_safe
def publication_latest(request: HttpRequest) -> HttpResponse:
    """The newest publication (the portal's stamp links here); the list while there is none."""
    newest = queries.latest()
    if newest is None:
        return redirect("publications:list")
    return redirect("publications:detail", slug=newest.slug)


@require_safe
def publication_detail(request: HttpRequest, slug: str) -> HttpResponse:
    publication = get_object_or_404(Publication, slug=slug)
    year = _year(request, publication)
    cells = queries.cells(publication, year)
    rows = [_row(cell) for cell in cells]
    fmt = request.GET.get("formato", "")
    if fmt == "json":
        return JsonResponse({"publicacion": _meta(publication), "filas": rows})
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"citesmart-publicacion-{publication.slug}-{year}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        write_csv(response, COLUMNS, [[row[c] for c in COLUMNS] for row in rows])
        return response
    tables = [(TABLE_TITLES[t], [c for c in cells if c.table == t]) for t in TABLE_TITLES]
    context = {"publication": publication, "year": year, "tables": tables, "nav": "publications"}
    return render(request, "publications/detail.html", context)


@require_safe
def publication_revisions(request: HttpRequest) -> HttpResponse:
    if not request.GET.get("desde") and not request.GET.get("hasta"):
        return redirect("publications:list")  # the list has the form that asks for both
    old = _named(request, "desde")
    new = _named(request, "hasta")
    context = {
        "old": old,
        "new": new,
        "revisions": queries.revisions(old, new),
        "titles": TABLE_TITLES,
        "nav": "publications",
    }
    return render(request, "publications/revisions.html", context)


def _named(request: HttpRequest, parameter: str) -> Publication:
    slug = request.GET.get(parameter, "")
    found = Publication.objects.filter(slug=slug).first()
    if found is None:
        raise Http404(f"No existe la publicación «{slug[:40]}» (parámetro «{parameter}»).")
    return found


def _year(request: HttpRequest, publication: Publication) -> int:
    raw = request.GET.get("anio", "")
    if raw.isdigit() and int(raw) in publication.years:
        return int(raw)
    return publication.years[-1]


def _row(cell) -> dict:
    values = {m: getattr(cell, m) for m in MEASURES}
    values["amount"] = float(values["amount"]) if values["amount"] is not None else None
    return {
        "tabla": cell.table,
        "codigo": cell.code,
        "nombre": cell.label,
        "anio": cell.year,
        "mes": cell.month,
        **values,
        "reservado": cell.suppressed,
    }


def _meta(publication: Publication) -> dict:
    return {
        "nombre": publication.slug,
        "titulo": publication.title,
        "tipo": publication.kind,
        "anios": publication.years,
        "cifras_oficiales_hasta": publication.official_through,
        "datos_al": publication.fresh_as_of.isoformat(),
        "publicada_el": publication.created_at.isoformat(),
    }
