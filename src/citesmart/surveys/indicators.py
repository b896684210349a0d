"""The published indicators of the surveys: which survey each is estimated over, its Spanish
label, and how an answer reads as 1, 0 or none (the answer did not say).

Declared to the read model by surveys.feed: `analytics.surveyunits` keeps each invitation's
value of every indicator, and `analytics.surveyresults` estimates them.
"""

from collections.abc import Callable

from citesmart.surveys.models import SCORE_FIELDS, Kind, Response

# The answer's fields the indicators read (never the comment nor the evidence).
ANSWER_FIELDS = (
    *SCORE_FIELDS,
    "recommend",
    "improved",
    "new_product",
    "certification",
    "new_market",
    "sales_change",
    "jobs_change",
)


def _mean_scores(response: Response) -> float:
    values = [getattr(response, name) for name in SCORE_FIELDS]
    return sum(values) / len(values)


def _range_up(value: str) -> bool | None:
    if not value or value == "nosabe":
        return None
    return value.startswith("hasta") or value == "mas25"


# Indicators: code -> (survey kind, Spanish label, answer -> 0/1 or None)
INDICATORS: dict[str, tuple[str, str, Callable[[Response], bool | None]]] = {
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
