"""GET /api/v1/encuestas/resultados: the published survey aggregates (surveys.queries)."""

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from citesmart.api import schemas as s
from citesmart.surveys import queries

router = Router(tags=["Encuestas"])

Indicator = Literal[tuple(queries.INDICATORS)]  # type: ignore[valid-type]
By = Literal[tuple(queries.DIMENSIONS)]  # type: ignore[valid-type]


class ResultsQuery(Schema):
    indicador: Indicator = Field(  # type: ignore[valid-type]
        "satisfechos", description="Indicador (p. ej. satisfechos, recomiendan, mejora_adoptada)."
    )
    por: By = Field(  # type: ignore[valid-type]
        "centro", description="Desglose: centro, cadena, categoria, programa o anio."
    )
    anio: Annotated[int, Field(ge=1990, le=2100)] | None = Field(
        None, description="Año de término del servicio."
    )


class ResultRow(Schema):
    codigo: str
    nombre: str
    indicador: str
    muestra: int
    respondentes: int | None
    tasa_respuesta: float | None
    proporcion: float | None
    ic95_inferior: float | None
    ic95_superior: float | None
    suprimido: bool


@router.get(
    "/encuestas/resultados",
    response={200: list[ResultRow], 400: s.Error, 429: s.Error},
    summary="Resultados de las encuestas a las unidades atendidas",
    url_name="survey_results",
)
def survey_results(request: HttpRequest, params: Query[ResultsQuery]):
    """Proporciones ponderadas con su intervalo de confianza al 95 %, la muestra, las
    respuestas y la tasa de respuesta (docs/SURVEYS.md). Las filas con menos respuestas que
    el mínimo, y las que permitirían deducirlas restando otras cifras publicadas, dicen
    `suprimido: true` y solo traen la muestra (ni respuestas, ni tasa, ni proporción). Nunca
    se devuelve una respuesta individual, un comentario ni un dato de quien respondió."""
    return queries.published_results(indicator=params.indicador, by=params.por, year=params.anio)
