"""Write API: a center's own system sends service reports with its API token.

A report in JSON becomes the rows of the import template and goes through the spreadsheet
importer (`records.imports.import_file`), so the API applies the very same parsing,
vocabularies, document checks, rules (`records.actions`) and audit as a file upload; the
importer's errors (row, column) are turned back into the JSON field they came from.
"""

import io
from typing import Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from citesmart.api import schemas as s
from citesmart.api.http import ApiError
from citesmart.api.models import ApiToken
from citesmart.api.tokens import authenticate
from citesmart.lib.spreadsheets import write_csv
from citesmart.network.models import Center
from citesmart.records.imports import ImportRefused, import_file
from citesmart.records.queries import report_status
from citesmart.records.template import HEADERS

router = Router(tags=["Registro de servicios (escritura)"])

MAX_UNITS = 2000


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; over HTTPS only, unless DEBUG or API_ALLOW_HTTP_TOKENS."""

    openapi_description = "Token de API del centro, creado por su gestor en el back office."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        insecure_ok = settings.DEBUG or settings.API_ALLOW_HTTP_TOKENS
        if not request.is_secure() and not insecure_ok:
            raise ApiError(403, "https_requerido", "Los tokens de API solo se aceptan por HTTPS.")
        return authenticate(token)


class UnitIn(Schema):
    tipo_documento: str = Field(
        max_length=20, description="RUC, DNI, CE o «ninguno» si no tiene documento."
    )
    numero_documento: str = Field(
        "", max_length=20, description="Número del documento; vacío si no tiene."
    )
    razon_social: str = Field(max_length=250, description="Razón social o nombre.")
    ubigeo: str = Field(
        max_length=6, description="Ubigeo INEI del distrito (6 dígitos) o departamento (2)."
    )
    tipo_cliente: str | None = Field(
        None, max_length=60, description="Tipo de cliente por código o nombre; vacío = Otros."
    )
    monto: str | None = Field(
        None, max_length=20, description="Monto cobrado en soles, p. ej. «150.00»."
    )


class ReportIn(Schema):
    codigo: str = Field(max_length=60, description="Código del informe, único en el centro.")
    centro: str | None = Field(
        None,
        max_length=80,
        description="Código del centro (por defecto el del token; puede ser una de sus "
        "unidades técnicas).",
    )
    fecha_inicio: str = Field(max_length=20, description="Fecha de inicio: AAAA-MM-DD.")
    fecha_fin: str = Field(max_length=20, description="Fecha de fin: AAAA-MM-DD.")
    categoria: str | None = Field(
        None, max_length=150, description="Categoría de servicio por código o nombre."
    )
    servicio: str | None = Field(
        None, max_length=200, description="Servicio del catálogo del centro, por nombre."
    )
    cadena: str | None = Field(None, max_length=120, description="Cadena productiva.")
    programa: str | None = Field(None, max_length=200, description="Programa.")
    estado: Literal["registrado", "validado"] | None = Field(
        None,
        description="Estado pedido (por defecto registrado). Un token de API solo registra: "
        "«validado» queda como «registrado» hasta que el gestor del centro lo valide.",
    )
    unidades: list[UnitIn] = Field(
        max_length=MAX_UNITS, description="Unidades productivas atendidas (una por servicio)."
    )


class ReportOut(Schema):
    codigo: str = Field(description="Código del informe.")
    centro: str = Field(description="Código del centro.")
    resultado: Literal["created", "updated", "unchanged"] = Field(
        description="Qué hizo la solicitud: created, updated o unchanged (idempotente)."
    )
    unidades_nuevas: int = Field(description="Unidades productivas creadas.")
    avisos: list[str] = Field(description="Advertencias que no impiden el registro.")
    estado: Literal["registrado", "validado", "anulado"] = Field(
        description="Estado con el que quedó el informe."
    )
    filas_registradas_por_regla: int = Field(
        description="Filas (unidades) del informe que quedaron como «registrado» aunque la "
        "solicitud pedía otro estado: un token de API registra, solo el gestor del centro valida."
    )
    motivo_estado: str | None = Field(
        description="Por qué el informe quedó como «registrado», o null si quedó como se pidió."
    )
    lote: int | None = Field(description="Lote de importación que registra la operación.")


# Template column -> JSON field (report level) and unit field.
REPORT_FIELDS = {
    "codigo_informe": "codigo",
    "fecha_inicio": "fecha_inicio",
    "fecha_fin": "fecha_fin",
    "categoria_servicio": "categoria",
    "servicio": "servicio",
    "cadena": "cadena",
    "programa": "programa",
    "estado": "estado",
}
UNIT_FIELDS = {
    "tipo_documento": "tipo_documento",
    "numero_documento": "numero_documento",
    "razon_social": "razon_social",
    "ubigeo": "ubigeo",
    "tipo_cliente": "tipo_cliente",
    "monto_soles": "monto",
}
WRITE_ERRORS = {400: s.Error, 401: s.Error, 403: s.Error, 413: s.Error, 429: s.Error}


def _center(token: ApiToken, code: str | None) -> Center:
    """The token's center, or one of its technical units when the body names it."""
    if not code or code == token.center.code:
        return token.center
    unit = Center.objects.filter(code=code, parent=token.center).first()
    if unit is None:
        raise ApiError(
            403,
            "centro_no_permitido",
            f"El token de «{token.center.name}» no puede registrar servicios de «{code}».",
            {"centro": "Use el código del centro del token o de una de sus unidades técnicas."},
        )
    return unit


def _as_rows(report: ReportIn) -> list[list[str]]:
    values = report.model_dump()
    rows = []
    for unit in report.unidades:
        row = {column: values[name] for column, name in REPORT_FIELDS.items()}
        row |= {column: getattr(unit, name) for column, name in UNIT_FIELDS.items()}
        rows.append([row.get(header) or "" for header in HEADERS])
    return rows


def record(request: HttpRequest, report: ReportIn) -> HttpResponse:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    center = _center(token, report.centro)
    if not report.unidades:
        raise ApiError(
            400,
            "informe_invalido",
            "El informe no es válido.",
            {"unidades": "El informe debe atender al menos a una unidad productiva."},
        )
    stream = io.BytesIO()
    write_csv(stream, HEADERS, _as_rows(report))
    stream.seek(0)
    try:
        result = import_file(
            stream,
            center=center,
            filename=f"api-{token.prefix}-{report.codigo[:40]}.csv",
            user=token.created_by,
            by_token=True,
            bulk=False,
        )
    except ImportRefused as refused:
        raise ApiError(403, "sin_permiso", refused.message) from None
    if result.fatal:
        raise ApiError(400, "informe_invalido", result.fatal)
    if result.errors:
        fields: dict[str, str] = {}
        for error in result.errors:
            fields.setdefault(_field_of(error.row, error.column), error.message)
        raise ApiError(400, "informe_invalido", "El informe no es válido.", fields)
    outcomes: tuple[Literal["created", "updated", "unchanged"], ...] = (
        "created",
        "updated",
        "unchanged",
    )
    outcome = next(o for o in outcomes if getattr(result, o))
    body = ReportOut(
        codigo=report.codigo.strip(),
        centro=center.code,
        resultado=outcome,
        unidades_nuevas=result.units_created,
        avisos=result.warnings,
        estado=report_status(center, report.codigo),
        filas_registradas_por_regla=result.kept_registered_rows,
        motivo_estado="; ".join(result.kept_reasons) or None,
        lote=result.batch.pk if result.batch else None,
    )
    return JsonResponse(
        body.model_dump(),
        status=201 if outcome == "created" else 200,
        json_dumps_params={"ensure_ascii": False},
    )


def _field_of(row: int, column: str) -> str:
    """The JSON field a template cell came from (data rows start on row 2, after headers)."""
    if column in UNIT_FIELDS:
        return f"unidades[{row - 2}].{UNIT_FIELDS[column]}"
    return REPORT_FIELDS.get(column, column)


@router.post(
    "/informes/",
    auth=TokenAuth(),
    response={200: ReportOut, 201: ReportOut, **WRITE_ERRORS},
    summary="Registrar un informe de servicio",
    description=(
        "Crea el informe o, si el centro ya tiene uno con ese código, lo actualiza "
        "(idempotente: repetir la misma solicitud no duplica nada). Se valida igual que la "
        "importación de planillas; los errores indican el campo."
    ),
)
def create_report(request: HttpRequest, report: ReportIn) -> HttpResponse:
    return record(request, report)


@router.put(
    "/informes/{codigo}/",
    auth=TokenAuth(),
    response={200: ReportOut, 201: ReportOut, **WRITE_ERRORS},
    summary="Crear o reemplazar el informe de servicio «codigo»",
)
def put_report(request: HttpRequest, codigo: str, report: ReportIn) -> HttpResponse:
    if report.codigo.strip() != codigo.strip():
        raise ApiError(
            400,
            "informe_invalido",
            "El código del cuerpo no coincide con el de la dirección.",
            {"codigo": f"Debe ser «{codigo}», como en la dirección."},
        )
    return record(request, report)
