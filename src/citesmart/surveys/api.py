"""GET /api/v1/encuestas/resultados: the published survey aggregates (surveys.queries)."""

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from citesmart.surveys import queries

router = Router(tags=["Encuestas"])

Indicator = Literal[tuple(queries.INDICATORS)]  # type: ignore[valid-type]
By = Literal[tuple(queries.DIMENSIONS)]  # type: ignore[valid-type]


class ResultRow(Schema):
    codigo: str
    nombre: str
    indicador: str
    muestra: int
    respondentes: int
    tasa_respuesta: float | None
    proporcion: float | None
    ic95_inferior: float | None
    ic95_superior: float | None
    suprimido: bool


@router.get("/encuestas/resultados", response=list[ResultRow], url_name="survey_results")
def survey_results(
    request: HttpRequest,
    indicador: Indicator = "satisfechos",  # type: ignore[valid-type]
    por: By = "centro",  # type: ignore[valid-type]
    anio: Annotated[int, Field(ge=1990, le=2100)] | None = None,
):
    """Weighted proportions with 95 % intervals, the sample, respondents and response rate.
    Rows under the minimum of respondents say `suprimido: true` and carry no proportion.
    No individual answer, comment or respondent is ever returned."""
    return queries.published_results(indicator=indicador, by=por, year=anio)
