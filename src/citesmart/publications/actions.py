"""Writing publications: the official tables of some years, as the public sees them now."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from citesmart.accounts.access import can_approve_months
from citesmart.analytics.filters import Filters
from citesmart.analytics.public import public_figures
from citesmart.publications.models import Publication, PublishedCell
from citesmart.records.closing import official_through

# The address of the newest publication (/publicaciones/ultima/): no publication takes it.
RESERVED_SLUG = "ultima"
MEASURES = ("services", "reports", "units", "new_units", "amount")
# Published table -> the analytics dimension it breaks the year down by ("" = the total).
TABLES = {
    "total": "",
    "mes": "month",
    "centro": "center",
    "departamento": "department",
    "cadena": "chain",
    "categoria": "category",
}


@transaction.atomic
def publish(
    *,
    slug: str,
    title: str,
    kind: str,
    years: Iterable[int],
    actor=None,
    note: str = "",
) -> Publication:
    """Keep the official tables of `years` under the name `slug` (never changed after).

    `actor=None` is the command line; otherwise a national administrator.
    """
    if actor is not None and not can_approve_months(actor):
        raise PermissionDenied("Solo un administrador nacional del ITP publica cifras.")
    years = sorted({int(year) for year in years})
    if not years:
        raise ValidationError({"years": "Indique al menos un año."})
    if slug in (RESERVED_SLUG, "revisiones"):
        raise ValidationError({"slug": f"«{slug}» es una dirección reservada; elija otro nombre."})
    if Publication.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"Ya existe una publicación «{slug}»; elija otro nombre."})
    through = official_through(cached=False)
    cells, fresh = [], None
    for year in years:
        for table, dimension in TABLES.items():
            answer = public_figures(
                Filters(years=[year]), by=[dimension] if dimension else [], measures=MEASURES
            )
            fresh = answer.fresh_as_of
            cells += _cells(table, dimension, year, answer)
    publication = Publication(
        slug=slug,
        title=title,
        kind=kind,
        years=years,
        official_through=f"{through[0]}-{through[1]:02d}" if through else "",
        fresh_as_of=fresh,
        note=note,
        created_by=actor,
    )
    publication.full_clean()
    publication.save()
    PublishedCell.objects.bulk_create(
        [PublishedCell(publication=publication, **cell) for cell in cells], batch_size=2000
    )
    return publication


def _cells(table: str, dimension: str, year: int, answer) -> list[dict[str, Any]]:
    if not dimension:
        return [_cell(table, "", "", year, 0, answer.totals)]
    made = []
    for row in answer.rows:
        code, label = row[dimension], row[f"{dimension}_label"]
        if dimension == "month":
            made.append(_cell(table, "", "", year, int(str(code)[-2:]), row))
        else:
            made.append(_cell(table, str(code or ""), str(label or ""), year, 0, row))
    return made


def _cell(table: str, code: str, label: str, year: int, month: int, row: dict) -> dict:
    values = {measure: row.get(measure) for measure in MEASURES}
    return {
        "table": table,
        "code": code,
        "label": label[:200],
        "year": year,
        "month": month,
        "suppressed": bool(row.get("suppressed")),
        "flagged": bool(row.get("flagged")),
        **values,
    }
