"""The open data's survey results: the published aggregates of surveys.queries (no answer,
comment or respondent ever), one row per indicator, breakdown and domain. Part of
catalog.RESOURCES; built by `survey_results`."""

from typing import Any

from citesmart.opendata.fields import Resource, described
from citesmart.surveys import queries

BREAKDOWNS = tuple(queries.DIMENSIONS)

SURVEYS = Resource(
    "encuestas",
    "Resultados de las encuestas a las unidades productivas atendidas",
    "Proporción estimada de unidades atendidas con cada resultado (satisfacción, "
    "recomendación, mejoras adoptadas, productos nuevos, certificaciones, mercados, ventas y "
    "empleo), ponderada por estrato, con su intervalo de confianza al 95 %, la muestra, las "
    "respuestas y la tasa de respuesta, por centro, cadena, categoría, programa y año "
    "(método en la página de metodología y en docs/SURVEYS.md). Una fila con menos "
    "respuestas que el mínimo, o que permitiría deducir otra reservada restando cifras "
    "publicadas, se publica reservada: solo con su muestra. Nunca se publica una "
    "respuesta individual, un comentario ni quién respondió.",
    "cuadros",
    (
        described(
            "indicador",
            "string",
            "Indicador",
            "Código del indicador.",
            required=True,
            enum=tuple(queries.INDICATORS),
        ),
        described("indicador_nombre", "string", "Indicador (nombre)", "", required=True),
        described(
            "desglose",
            "string",
            "Desglose",
            "Por qué se agrupan las filas: centro, cadena, categoria, programa o anio.",
            required=True,
            enum=BREAKDOWNS,
        ),
        described(
            "codigo", "string", "Código", "Código del grupo (el año, si es por año).", required=True
        ),
        described("nombre", "string", "Nombre", "Nombre del grupo.", required=True),
        described("muestra", "integer", "Muestra", "Unidades invitadas a responder.", minimum=0),
        described(
            "respondentes",
            "integer",
            "Respuestas",
            "Unidades que respondieron; vacío si la fila está reservada.",
            minimum=0,
        ),
        described(
            "tasa_respuesta",
            "number",
            "Tasa de respuesta",
            "Entre 0 y 1; vacía si la fila está reservada.",
            minimum=0,
        ),
        described(
            "proporcion",
            "number",
            "Proporción estimada",
            "Entre 0 y 1, ponderada por estrato; vacía si la fila está reservada.",
            minimum=0,
        ),
        described("ic95_inferior", "number", "IC 95 % inferior", "Límite inferior.", minimum=0),
        described("ic95_superior", "number", "IC 95 % superior", "Límite superior.", minimum=0),
        described(
            "reservado",
            "boolean",
            "Fila reservada",
            "Verdadero cuando hay menos respuestas que el mínimo, o cuando la fila permitiría "
            "deducir otra reservada; la fila trae entonces solo la muestra.",
            required=True,
        ),
    ),
    primary_key=("indicador", "desglose", "codigo"),
)


def survey_results(context: Any) -> list[dict[str, Any]]:
    """Every indicator by every breakdown (all years together; by year is one breakdown),
    from one read of the read model's survey table."""
    asks = [(indicator, by) for indicator in queries.INDICATORS for by in BREAKDOWNS]
    found = queries.published_tables(asks)
    rows = []
    for indicator, by in asks:
        label = queries.INDICATORS[indicator][1]
        for row in found[(indicator, by)]:
            figures = {k: v for k, v in row.items() if k not in ("indicador", "suprimido")}
            rows.append(
                {"indicador": indicator, "indicador_nombre": label, "desglose": by}
                | figures
                | {"reservado": row["suprimido"]}
            )
    return rows
