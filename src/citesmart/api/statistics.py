"""Statistics over `analytics.public.public_figures`: the portal's filters, breakdowns and measures.

Codes go in and come out. Figures come through the one door for public figures
(`analytics.public.public_figures`), as on the portal and in the open data: official tables
are exact, a suppressed cell keeps its codes, says `suppressed: true` and has every measure
null; any other crossing is perturbed (cell key) and says `perturbed: true`.
"""

import re
from datetime import date
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router
from pydantic import BeforeValidator, StringConstraints

from citesmart.analytics import disclosure, public, vocabulary
from citesmart.analytics.conf import disclosure_threshold
from citesmart.analytics.filters import MAX_LIMIT, Filters, InvalidQuery
from citesmart.api import schemas as s
from citesmart.api.http import ApiError, respond
from citesmart.publications import queries as publications
from citesmart.records import closing

router = Router(tags=["Estadísticas"])

# The accepted values are the vocabulary's own, so the API and its OpenAPI enums never
# drift from analytics (same order: year, month, department, ...).
Dimension = Literal[tuple(vocabulary.DIMENSIONS)]  # type: ignore[valid-type]
Measure = Literal[vocabulary.MEASURES]  # type: ignore[valid-type]

# API parameter -> Filters field (the portal's names: cadena, departamento, centro...), as
# analytics.vocabulary declares them; each one is a field of StatisticsQuery below.
LIST_FILTERS = vocabulary.api_filters()


def _iso_date(value: Any) -> Any:
    # Pydantic would also take "0" as a Unix timestamp; the API takes AAAA-MM-DD only.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Fecha inválida: use AAAA-MM-DD.")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Year = Annotated[int, Field(ge=1990, le=2100)]
Month = Annotated[int, Field(ge=1, le=12)]
CatalogueId = Annotated[int, Field(ge=1)]


def _codes(description: str) -> Any:
    return Field(None, description=description + " Se puede repetir.", max_length=50)


class StatisticsQuery(s.Schema):
    desde: IsoDate | None = Field(None, description="Fecha inicial (AAAA-MM-DD), inclusive.")
    hasta: IsoDate | None = Field(None, description="Fecha final (AAAA-MM-DD), inclusive.")
    anio: list[Year] | None = Field(None, description="Año(s).", max_length=50)
    mes: list[Month] | None = Field(None, description="Mes(es) del año, 1 a 12.", max_length=12)
    centro: list[Code] | None = _codes("Código de centro (un CITE incluye sus unidades técnicas).")
    con_unidades_tecnicas: bool = Field(
        True, description="Si el código de un CITE incluye a sus unidades técnicas."
    )
    tipo_centro: list[Code] | None = _codes("Tipo de centro (publico, privado, unidad_tecnica).")
    cadena: list[Code] | None = _codes("Código de cadena productiva.")
    departamento: list[Code] | None = _codes("Ubigeo del departamento de la unidad productiva.")
    provincia: list[Code] | None = _codes("Ubigeo de la provincia de la unidad productiva.")
    categoria: list[Code] | None = _codes("Código de categoría de servicio.")
    servicio_catalogo: list[CatalogueId] | None = _codes("Id de servicio del catálogo.")
    programa: list[Code] | None = _codes("Código de programa.")
    tipo_cliente: list[Code] | None = _codes("Código de tipo de cliente.")
    tamano: list[Code] | None = _codes("Código de tamaño de la unidad productiva.")
    gratuito: bool | None = Field(None, description="true: solo gratuitos; false: solo pagados.")
    incluir_registrados: bool = Field(
        False, description="Contar también informes registrados aún no validados."
    )
    por: list[Dimension] | None = Field(
        None, description="Desglose: una o dos dimensiones.", max_length=2
    )
    medida: list[Measure] | None = Field(
        None, description="Medidas (por defecto todas).", max_length=5
    )
    orden: str | None = Field(
        None, max_length=20, description="Ordenar por una medida o dimensión pedida."
    )
    ascendente: bool = Field(False, description="Orden ascendente (por defecto descendente).")
    limite: int | None = Field(None, ge=1, le=MAX_LIMIT, description="Primeras N filas.")
    publicacion: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None,
        description="Responder desde una publicación de cifras oficiales (p. ej. «2025-anual», "
        "ver /publicaciones/): las cifras tal como se anunciaron ese día. Solo sus cuadros "
        "oficiales: un año de la publicación («anio»), ningún otro filtro y «por» vacío o una "
        "de month, center, department, chain, category; «medida» y «format» se aceptan. "
        "Otra consulta responde 400; una publicación que no existe, 404.",
    )
    format: Literal["json", "csv"] | None = s.FORMAT


def to_filters(params: StatisticsQuery) -> Filters:
    values: dict[str, Any] = {
        field: tuple(getattr(params, name) or ()) for name, field in LIST_FILTERS.items()
    }
    return Filters(
        date_from=params.desde,
        date_to=params.hasta,
        with_technical_units=params.con_unidades_tecnicas,
        free=params.gratuito,
        include_registered=params.incluir_registrados,
        **values,
    )


# Filters/figures field -> API parameter, to name the parameter in error bodies.
PARAMETER_OF = {field: name for name, field in LIST_FILTERS.items()} | {
    "date_from": "desde",
    "date_to": "hasta",
    "by": "por",
    "measures": "medida",
    "order_by": "orden",
    "limit": "limite",
}


@router.get(
    "/estadisticas/",
    response={200: s.StatisticsOut, **{400: s.Error, 404: s.Error, 429: s.Error}},
    summary="Cifras de la red (servicios, informes, unidades productivas, montos)",
    description=(
        "Las mismas cifras que el tablero del portal, contadas según docs/COUNTING.md: "
        "filtros por códigos, desglose en hasta dos dimensiones y medidas. Incluye la fecha de "
        "actualización (también en Last-Modified) y aplica el secreto estadístico: los cuadros "
        "oficiales (un año, sin otro filtro, por año, mes, departamento, centro, cadena o "
        "categoría) son exactos y sus celdas que podrían identificar a una persona natural se "
        "reservan (suppressed, medidas null); todo otro cruce se publica con un ajuste "
        "aleatorio fijo por celda (perturbed: true) y también reserva esas celdas. Con "
        "«publicacion=<nombre>» responde desde una publicación de cifras oficiales, para "
        "reproducir exactamente lo anunciado en su fecha (solo sus cuadros oficiales)."
    ),
)
def statistics(request: HttpRequest, params: Query[StatisticsQuery]) -> HttpResponse:
    by = tuple(params.por or ())
    measures = tuple(params.medida or vocabulary.MEASURES)
    if params.publicacion is not None:
        return _from_publication(request, params, by, measures)
    try:
        answer = public.public_figures(
            to_filters(params),
            by=by,
            measures=measures,
            order_by=params.orden,
            descending=not params.ascendente,
            limit=params.limite,
        )
    except InvalidQuery as error:
        fields = {PARAMETER_OF.get(k, k): v for k, v in error.errors.items()}
        raise ApiError(400, "consulta_invalida", "La consulta no es válida.", fields) from None
    rows = list(answer.rows)
    payload = s.StatisticsOut(
        by=list(answer.by),
        measures=list(answer.measures),
        fresh_as_of=answer.fresh_as_of,
        official_through=_official_through(),
        official_note=closing.official_note(),
        threshold=answer.threshold,
        truncated=answer.truncated,
        perturbed=answer.perturbed,
        rows=rows,
        totals=answer.totals,
        rules=disclosure.rules(answer.threshold),
    )
    return respond(
        request,
        payload,
        # Without a breakdown the answer is its totals: the file holds them as its one row
        # (it was empty: only the BOM, while the JSON had them).
        csv_rows=rows if by else [dict(answer.totals)],
        csv_name="estadisticas",
        fmt=params.format,
        last_modified=answer.fresh_as_of,
    )


# Parameters a question to a publication may carry; every other must keep its default.
PUBLICATION_PARAMETERS = {"publicacion", "anio", "por", "medida", "format"}


def _from_publication(
    request: HttpRequest, params: StatisticsQuery, by: tuple, measures: tuple
) -> HttpResponse:
    """The question answered from the publication's kept tables (publications.queries)."""
    publication = publications.by_slug(params.publicacion or "")
    if publication is None:
        message = f"No existe la publicación «{params.publicacion}»; vea /publicaciones/."
        raise ApiError(404, "no_encontrado", message, {"publicacion": message})
    wrong = [
        name
        for name, field in StatisticsQuery.model_fields.items()
        if name not in PUBLICATION_PARAMETERS and getattr(params, name) != field.default
    ]
    years = params.anio or []
    if len(years) != 1 or years[0] not in publication.years:
        wrong.append("anio")
    try:
        if wrong:
            raise ValueError(publications.kept_tables_text(publication))
        answer = publications.published_figures(
            publication, year=years[0], by=by, measures=measures
        )
    except ValueError as error:
        fields = {name: str(error) for name in wrong or ["por"]}
        raise ApiError(400, "consulta_invalida", str(error), fields) from None
    return _respond(request, params, answer, publication)


def _respond(request, params, answer, publication) -> HttpResponse:
    through = publication.official_through
    payload = s.StatisticsOut(
        by=list(answer.by),
        measures=list(answer.measures),
        fresh_as_of=publication.fresh_as_of,
        official_through=through or None,
        official_note=closing.note_for(_month(through)),
        threshold=disclosure_threshold(),
        truncated=False,
        perturbed=False,
        rows=answer.rows,
        totals=answer.totals,
        rules=disclosure.rules(disclosure_threshold()),
        publication=s.PublicationRef(
            slug=publication.slug,
            title=publication.title,
            published_at=publication.created_at,
            url=reverse("publications:detail", args=[publication.slug]),
        ),
    )
    return respond(
        request,
        payload,
        csv_rows=answer.rows,
        csv_name=f"estadisticas-{publication.slug}",
        fmt=params.format,
        last_modified=publication.created_at,
    )


def _month(through: str) -> tuple[int, int] | None:
    return (int(through[:4]), int(through[5:7])) if through else None


def _official_through() -> str | None:
    through = closing.official_through()
    return f"{through[0]}-{through[1]:02d}" if through else None
