"""Reads of the surveys: back-office lists and the published aggregates.

`published_results` is the one door for survey figures outside the back office (portal,
API, open data): it returns aggregates only, none below SURVEY_MIN_RESPONDENTS and none
that subtracting published figures would give back (docs/SURVEYS.md, "Secrecy"); a
suppressed row shows its sample only. The figures and the secrecy are the read model's
(analytics.surveyresults, fed by surveys.feed).
"""

from dataclasses import asdict

from django.db.models import Count, QuerySet

from citesmart.analytics import surveyresults
from citesmart.surveys.indicators import INDICATORS
from citesmart.surveys.models import Invitation, Kind, Wave

# Breakdowns of the published results (their names in the API, the portal and the open data).
DIMENSIONS = tuple(surveyresults.BREAKDOWNS)


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
    proportion and 95 % interval; a suppressed row has its sample only.
    Computed by the read model (analytics.surveyresults), like every published figure."""
    found = surveyresults.survey_results(indicator, by, year=year, center=center)
    return [_row(result) for result in found]


def published_tables(
    asks: list[tuple[str, str]], *, year: int | None = None, center: str | None = None
) -> dict[tuple[str, str], list[dict]]:
    """published_results for several (indicator, breakdown) at once: one read of the model."""
    found = surveyresults.survey_tables(asks, year=year, center=center)
    return {ask: [_row(result) for result in results] for ask, results in found.items()}


def _row(result: surveyresults.Result) -> dict:
    return {"codigo": result.code, "nombre": result.name, "indicador": result.indicator} | (
        _spanish(asdict(result.estimate))
    )


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
    asks = [(indicator, "centro") for indicator in INDICATORS]
    found = published_tables(asks, center=center_code)
    return [
        row | {"etiqueta": INDICATORS[indicator][1]}
        for indicator, by in asks
        for row in found[(indicator, by)]
    ]
