"""Reads of the surveys: back-office lists and the published aggregates.

`published_results` is the one door for survey figures outside the back office (portal,
API, open data): it returns aggregates only, and none below SURVEY_MIN_RESPONDENTS.
"""

from collections import defaultdict
from dataclasses import asdict

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from citesmart.surveys.estimates import Unit, estimate
from citesmart.surveys.models import SCORE_FIELDS, Invitation, Kind, Response, Wave

# Indicators: (survey kind, code, Spanish label, answer -> 0/1 or None)
INDICATORS = {
    "satisfechos": (
        Kind.SATISFACTION,
        "Satisfechos (promedio 4 o 5)",
        lambda r: None if r.q_attention is None else _mean_scores(r) >= 4,
    ),
    "recomiendan": (Kind.SATISFACTION, "Recomendarían el servicio", lambda r: r.recommend),
    "mejora_adoptada": (Kind.FOLLOW_UP, "Adoptaron una mejora o técnica", lambda r: r.improved),
    "producto_nuevo": (Kind.FOLLOW_UP, "Producto nuevo o mejorado", lambda r: r.new_product),
    "certificacion": (Kind.FOLLOW_UP, "Obtuvieron una certificación", lambda r: r.certification),
    "nuevo_mercado": (Kind.FOLLOW_UP, "Nuevo mercado o exportación", lambda r: r.new_market),
    "ventas_aumentaron": (
        Kind.FOLLOW_UP,
        "Aumentaron sus ventas",
        lambda r: _range_up(r.sales_change),
    ),
    "empleo_aumento": (
        Kind.FOLLOW_UP,
        "Aumentaron sus empleos",
        lambda r: _range_up(r.jobs_change),
    ),
}

DIMENSIONS = {
    "centro": ("center__code", "center__name"),
    "cadena": ("report__chain__code", "report__chain__name"),
    "categoria": ("report__category__code", "report__category__name"),
    "programa": ("report__programme__code", "report__programme__name"),
    "anio": ("report__end_date__year", "report__end_date__year"),
}


def _mean_scores(response) -> float:
    values = [getattr(response, name) for name in SCORE_FIELDS]
    return sum(values) / len(values)


def _range_up(value: str) -> bool | None:
    if not value or value == "nosabe":
        return None
    return value.startswith("hasta") or value == "mas25"


def waves() -> QuerySet[Wave]:
    return Wave.objects.annotate(
        sampled=Count("invitations"),
        answered=Count("invitations__response"),
    ).select_related("drawn_by")


def wave_invitations(wave: Wave) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(wave=wave)
        .select_related("unit", "center", "response")
        .annotate(attempt_count=Count("attempts"))
        .order_by("center__name", "pk")
    )


def satisfaction_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.filter(kind=Kind.SATISFACTION).select_related(
        "unit", "center", "report", "response"
    )


def published_results(
    *, indicator: str, by: str, year: int | None = None, center: str | None = None
) -> list[dict]:
    """Rows of one indicator by one dimension: n sampled, respondents, response rate,
    proportion and 95 % interval; a row under the minimum of respondents has no figures."""
    kind, _label, value_of = INDICATORS[indicator]
    code_field, name_field = DIMENSIONS[by]
    invitations = Invitation.objects.filter(kind=kind).filter(
        Q(wave__isnull=True) | Q(wave__drawn_at__isnull=False)
    )
    if center:  # strata never cross centers: a center's rows are a whole set of strata
        invitations = invitations.filter(center__code=center)
    rows = list(
        invitations.values_list(
            "pk",
            "stratum_id",
            "stratum__population",
            "center_id",
            "report__end_date__year",
            code_field,
            name_field,
        )
    )
    answers = {r.invitation_id: r for r in Response.objects.filter(invitation__in=invitations)}
    # Satisfaction surveys invite every unit served (a census): one stratum per center and
    # year, N_h = its invitations. Follow-up waves carry their drawn strata. A year is a
    # domain (the wave's strata may span two years), never a cut of the strata.
    populations: dict = defaultdict(int)
    keys = []
    for _pk, stratum_id, population, center_id, row_year, *_rest in rows:
        key = stratum_id or ("c", center_id, row_year)
        populations[key] = population if stratum_id else populations[key] + 1
        keys.append(key)
    domains = sorted(
        {(code, name) for *_r, row_year, code, name in rows if code is not None}
        if not year
        else {(code, name) for *_r, row_year, code, name in rows if code and row_year == year}
    )
    minimum = settings.SURVEY_MIN_RESPONDENTS
    result = []
    for code, name in domains:
        units = [
            Unit(
                stratum=key,
                value=value_of(answers[row[0]]) if row[0] in answers else None,
                in_domain=row[5] == code and (not year or row[4] == year),
            )
            for key, row in zip(keys, rows, strict=True)
        ]
        figures = asdict(estimate(units, populations, minimum=minimum))
        result.append(
            {"codigo": str(code), "nombre": str(name), "indicador": indicator} | _spanish(figures)
        )
    return result


def _spanish(figures: dict) -> dict:
    return {
        "muestra": figures["sampled"],
        "respondentes": figures["respondents"],
        "tasa_respuesta": _round(figures["response_rate"]),
        "proporcion": _round(figures["proportion"]),
        "ic95_inferior": _round(figures["low"]),
        "ic95_superior": _round(figures["high"]),
        "suprimido": figures["suppressed"],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def center_results(center_code: str) -> list[dict]:
    """Every indicator for one center (its page): published rows only."""
    rows = []
    for indicator, (_kind, label, _value) in INDICATORS.items():
        for row in published_results(indicator=indicator, by="centro", center=center_code):
            rows.append(row | {"etiqueta": label})
    return rows
