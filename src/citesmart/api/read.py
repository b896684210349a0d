"""Read endpoints over the registry, geography and public catalogue (no personal data here:
centers, places and services are institutional)."""

from typing import Any, Literal

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router

from citesmart.api import schemas as s
from citesmart.api.http import ApiError, paginate, respond
from citesmart.geo.models import Department, District, Province
from citesmart.lib.text import fold
from citesmart.network.models import Center, Chain, LegalAct, Programme, ServiceCategory
from citesmart.network.queries import (
    current_catalogue,
    in_scope,
    modalities_on,
    public_centers,
    scope_on,
)

router = Router(tags=["Registro"])
geo_router = Router(tags=["Geografía"])

ERRORS = {400: s.Error, 404: s.Error, 429: s.Error}
ORDER = Literal["code", "-code", "name", "-name"]


def _order(queryset: QuerySet, ordering: str) -> QuerySet:
    return queryset.order_by(ordering, "code" if ordering.lstrip("-") != "code" else "pk")


def _page(request, params, rows: list[dict[str, Any]], page_schema, name: str) -> HttpResponse:
    items, meta = paginate(rows, params.page, params.page_size)
    payload = page_schema(**meta, results=items)
    return respond(request, payload, csv_rows=items, csv_name=name, fmt=params.format)


# --- centers --------------------------------------------------------------------------------


class CenterQuery(s.Page):
    tipo: Literal["publico", "privado", "unidad_tecnica"] | None = Field(
        None, description="Tipo de centro."
    )
    departamento: str | None = Field(
        None, max_length=2, description="Ubigeo del departamento de la sede."
    )
    ambito: str | None = Field(
        None, max_length=2, description="Ubigeo de un departamento del ámbito."
    )
    cadena: str | None = Field(None, max_length=60, description="Código de cadena productiva.")
    cite: str | None = Field(
        None, max_length=80, description="Código de un CITE: él y sus unidades técnicas."
    )
    q: str | None = Field(None, max_length=100, description="Texto en el nombre (sin tildes).")
    ordering: ORDER = Field("code", description="Orden: code, name; con «-» descendente.")


def _centers() -> QuerySet[Center]:
    return public_centers().prefetch_related(
        "technical_units",
        "names",
        Prefetch("legal_acts", queryset=LegalAct.objects.order_by("date", "pk")),
    )


def _period(code: str, period) -> dict[str, Any]:
    return {"code": code, "since": period.since, "until": period.until, "source": period.source}


def center_data(center: Center) -> dict[str, Any]:
    point = center.seat_point
    return {
        "code": center.code,
        "name": center.name,
        "kind": center.kind,
        "kind_label": center.get_kind_display(),
        "parent": center.parent.code if center.parent else None,
        "technical_units": sorted(u.code for u in center.technical_units.all()),
        "operator": center.operator,
        "department": center.department_id,
        "district": center.district_id,
        "locality": center.locality,
        "address": center.address,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "territory": scope_on(center, timezone.localdate()),
        "chains": sorted(c.code for c in center.chains.all()),
        "modalities": modalities_on(center, timezone.localdate()),
        "territory_periods": [_period(p.department_id, p) for p in center.scope.all()],
        "modality_periods": [_period(p.modality.code, p) for p in center.modality_periods.all()],
        "created_year": center.created_year,
        "active_from": center.active_from,
        "active_to": center.active_to,
        "email": center.email,
        "phone": center.phone,
        "website": center.website,
        "legal_acts": [
            {
                "kind": act.kind,
                "kind_label": act.get_kind_display(),
                "number": act.number,
                "date": act.date,
                "summary": act.summary,
                "document_url": act.document_url,
            }
            for act in center.legal_acts.all()
        ],
        "names": [
            {"name": n.name, "valid_from": n.valid_from, "valid_to": n.valid_to}
            for n in center.names.all()
        ],
    }


@router.get(
    "/centros/",
    response={200: s.CenterPage, **ERRORS},
    summary="Centros CITE y unidades técnicas",
    description="Registro de la red: sede, ámbito, cadenas, unidades técnicas y actos legales.",
)
def centers(request: HttpRequest, params: Query[CenterQuery]) -> HttpResponse:
    queryset = _centers()
    if params.tipo:
        queryset = queryset.filter(kind=params.tipo)
    if params.departamento:
        queryset = queryset.filter(department_id=params.departamento)
    if params.ambito:
        queryset = queryset.filter(in_scope(params.ambito, timezone.localdate())).distinct()
    if params.cadena:
        queryset = queryset.filter(chains__code=params.cadena)
    if params.cite:
        queryset = queryset.filter(Q(code=params.cite) | Q(parent__code=params.cite))
    if params.q:
        queryset = queryset.filter(search_name__contains=fold(params.q))
    rows = [center_data(c) for c in _order(queryset.distinct(), params.ordering)]
    return _page(request, params, rows, s.CenterPage, "centros")


@router.get(
    "/centros/{code}/",
    response={200: s.CenterOut, **ERRORS},
    summary="Un centro por su código",
)
def center(request: HttpRequest, code: str) -> HttpResponse:
    found = _centers().filter(code=code).first()
    if found is None:
        raise ApiError(404, "no_encontrado", f"No existe el centro «{code}».")
    data = center_data(found)
    return respond(request, s.CenterOut(**data))


# --- vocabularies ---------------------------------------------------------------------------


class VocabularyQuery(s.Page):
    ordering: ORDER = Field("code", description="Orden: code, name; con «-» descendente.")


@router.get("/cadenas/", response={200: s.ChainPage, **ERRORS}, summary="Cadenas productivas")
def chains(request: HttpRequest, params: Query[VocabularyQuery]) -> HttpResponse:
    rows = list(_order(Chain.objects.all(), params.ordering).values("code", "name"))
    return _page(request, params, rows, s.ChainPage, "cadenas")


@router.get(
    "/categorias/",
    response={200: s.CategoryPage, **ERRORS},
    summary="Categorías de servicio (subcategorías ITP)",
)
def categories(request: HttpRequest, params: Query[VocabularyQuery]) -> HttpResponse:
    queryset = _order(ServiceCategory.objects.all(), params.ordering)
    rows = list(queryset.values("code", "name", "description", "is_active"))
    return _page(request, params, rows, s.CategoryPage, "categorias")


@router.get("/programas/", response={200: s.ProgrammePage, **ERRORS}, summary="Programas")
def programmes(request: HttpRequest, params: Query[VocabularyQuery]) -> HttpResponse:
    fields = ("code", "name", "funders", "themes", "description", "starts_on", "ends_on")
    rows = list(_order(Programme.objects.all(), params.ordering).values(*fields))
    return _page(request, params, rows, s.ProgrammePage, "programas")


# --- catalogue ------------------------------------------------------------------------------


class CatalogueQuery(s.Page):
    centro: str | None = Field(None, max_length=80, description="Código del centro.")
    categoria: str | None = Field(None, max_length=60, description="Código de categoría.")
    cadena: str | None = Field(None, max_length=60, description="Código de cadena productiva.")
    programa: str | None = Field(None, max_length=60, description="Código de programa.")
    gratuito: bool | None = Field(None, description="true: solo gratuitos; false: solo pagados.")
    q: str | None = Field(None, max_length=100, description="Texto en el nombre del servicio.")
    ordering: Literal["name", "-name", "id", "-id"] = Field(
        "name", description="Orden: name, id; con «-» descendente."
    )


@router.get(
    "/catalogo/",
    response={200: s.CataloguePage, **ERRORS},
    summary="Catálogo público de servicios vigentes",
)
def catalogue(request: HttpRequest, params: Query[CatalogueQuery]) -> HttpResponse:
    queryset = current_catalogue()
    for value, lookup in (
        (params.centro, "center__code"),
        (params.categoria, "category__code"),
        (params.cadena, "chains__code"),
        (params.programa, "programme__code"),
        (params.gratuito, "is_free"),
    ):
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
    if params.q:
        queryset = queryset.filter(name__icontains=params.q)
    queryset = queryset.distinct().order_by(params.ordering, "pk")
    rows = [
        {
            "id": service.pk,
            "name": service.name,
            "description": service.description,
            "center": service.center.code,
            "category": service.category.code,
            "chains": sorted(c.code for c in service.chains.all()),
            "unit_of_sale": service.unit_of_sale,
            "is_free": service.is_free,
            "tariff": service.tariff,
            "programme": service.programme.code if service.programme else None,
            "valid_from": service.valid_from,
            "valid_to": service.valid_to,
        }
        for service in queryset
    ]
    return _page(request, params, rows, s.CataloguePage, "catalogo")


# --- geography ------------------------------------------------------------------------------


@geo_router.get(
    "/departamentos/",
    response={200: s.DepartmentPage, **ERRORS},
    summary="Departamentos (ubigeo INEI)",
)
def departments(request: HttpRequest, params: Query[VocabularyQuery]) -> HttpResponse:
    fields = ("code", "name", "capital", "iso_3166_2", "centroid_lat", "centroid_lon")
    rows = list(_order(Department.objects.all(), params.ordering).values(*fields))
    return _page(request, params, rows, s.DepartmentPage, "departamentos")


@geo_router.get(
    "/departamentos.geojson",
    response={200: s.FeatureCollection, **ERRORS},
    summary="Límites de los departamentos (GeoJSON)",
    description="FeatureCollection con un Feature por departamento (id = ubigeo).",
)
def department_boundaries(request: HttpRequest) -> HttpResponse:
    features = [
        s.Feature(
            type="Feature",
            id=d.code,
            properties={"code": d.code, "name": d.name},
            geometry=d.boundary,
        )
        for d in Department.objects.order_by("code")
    ]
    payload = s.FeatureCollection(type="FeatureCollection", features=features)
    response = respond(request, payload)
    if response.status_code == 200:
        response["Content-Type"] = "application/geo+json"
    return response


class ProvinceQuery(VocabularyQuery):
    departamento: str | None = Field(None, max_length=2, description="Ubigeo del departamento.")


@geo_router.get("/provincias/", response={200: s.ProvincePage, **ERRORS}, summary="Provincias")
def provinces(request: HttpRequest, params: Query[ProvinceQuery]) -> HttpResponse:
    queryset = Province.objects.all()
    if params.departamento:
        queryset = queryset.filter(department_id=params.departamento)
    fields = ("code", "name", "department", "region", "centroid_lat", "centroid_lon")
    rows = list(_order(queryset, params.ordering).values(*fields))
    return _page(request, params, rows, s.ProvincePage, "provincias")


class DistrictQuery(ProvinceQuery):
    provincia: str | None = Field(None, max_length=4, description="Ubigeo de la provincia.")


@geo_router.get("/distritos/", response={200: s.DistrictPage, **ERRORS}, summary="Distritos")
def districts(request: HttpRequest, params: Query[DistrictQuery]) -> HttpResponse:
    queryset = District.objects.all()
    if params.departamento:
        queryset = queryset.filter(department_id=params.departamento)
    if params.provincia:
        queryset = queryset.filter(province_id=params.provincia)
    rows = list(_order(queryset, params.ordering).values("code", "name", "province", "department"))
    return _page(request, params, rows, s.DistrictPage, "distritos")
