"""The API under /api/v1/: django-ninja builds the OpenAPI 3 document from the type-annotated
endpoints and serves Swagger UI from the files its pip package ships (no CDN)."""

import copy
import logging
import threading
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from citesmart.api import costs, read, statistics, write
from citesmart.api import surveys as surveys_api
from citesmart.api.errors import validation_fields
from citesmart.api.http import ApiError, error_response
from citesmart.ops import errors
from citesmart.ops.clients import client_ip

logger = logging.getLogger(__name__)


class _SettingRate:
    """The rate comes from settings on every request, so it can change without a restart.

    django-ninja keeps one throttle object per operation and the state of the request being
    checked (client key, history, time) on it, while a worker's threads check requests at
    once: one client's history could be written under another's key. Each check works on
    its own copy, which `wait()` then reads in the same thread.
    """

    setting = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checks = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        check = copy.copy(self)
        self._checks.current = check
        check.rate = getattr(settings, self.setting)
        check.num_requests, check.duration = check.parse_rate(check.rate)  # type: ignore[attr-defined]
        return super(_SettingRate, check).allow_request(request)  # type: ignore[misc]

    def wait(self) -> float | None:
        return super(_SettingRate, self._checks.current).wait()  # type: ignore[misc]

    def get_ident(self, request: HttpRequest) -> str:
        """The client behind the trusted proxies (ops.clients), as for every per-client rule."""
        return client_ip(request)


class AnonymousLimit(_SettingRate, AnonRateThrottle):
    setting = "API_ANON_RATE"


class TokenLimit(_SettingRate, AuthRateThrottle):
    setting = "API_TOKEN_RATE"


class CiteApi(NinjaAPI):
    """Adds to the generated document what type hints cannot say: CSV and GeoJSON bodies."""

    def get_openapi_schema(self, *args, **kwargs):
        document = super().get_openapi_schema(*args, **kwargs)
        for path, operations in document["paths"].items():
            for operation in operations.values():
                ok = operation["responses"].get(200, operation["responses"].get("200"))
                if ok is None or "content" not in ok:
                    continue
                names = {p["name"] for p in operation.get("parameters", [])}
                if path.endswith(".geojson"):
                    ok["content"] = {"application/geo+json": ok["content"]["application/json"]}
                elif "format" in names:
                    ok["content"]["text/csv"] = {
                        "schema": {
                            "type": "string",
                            "description": "CSV UTF-8 con BOM: una fila por elemento.",
                        }
                    }
                ok.setdefault("headers", {}).update(VALIDATOR_HEADERS)
        return document


VALIDATOR_HEADERS = {
    "ETag": {
        "description": "Huella del contenido (use If-None-Match).",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "Tiempo de caché público.", "schema": {"type": "string"}},
    "X-Datos-Demostracion": {
        "description": "Solo en una instalación de demostración: las cifras son ficticias, "
        "generadas para mostrar el sistema; no son cifras oficiales del ITP.",
        "schema": {"type": "string"},
    },
}

api = CiteApi(
    title="API de la red CITE (citesmart)",
    version="1",
    description=(
        "Datos públicos de la red de Centros de Innovación Productiva y Transferencia "
        "Tecnológica (CITE) del Perú: registro de centros, catálogo, geografía y cifras de "
        "servicios; y registro de informes de servicio por los sistemas de los centros con "
        "su token. Ninguna respuesta contiene datos personales de personas naturales. "
        'Errores: `{"error": {"code", "message", "fields"}}` con mensajes en español. '
        "Guía en castellano con ejemplos (filtros, secreto estadístico, cifras oficiales): "
        "[/guia-api/](/guia-api/)."
    ),
    urls_namespace="api-v1",
    docs=Swagger(settings={"validatorUrl": None, "deepLinking": True}),
    docs_url="/docs/",
    openapi_url="/openapi.json",
    throttle=[AnonymousLimit("1/s"), TokenLimit("1/s")],
)
api.add_router("", read.router)
api.add_router("", read.geo_router)
api.add_router("", statistics.router)
api.add_router("", costs.router)
api.add_router("", write.router)
api.add_router("", surveys_api.router)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return error_response(error.status, error.code, error.message, error.fields)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields = validation_fields(error.errors)
    return error_response(
        400, "parametro_invalido", "La solicitud tiene valores inválidos.", fields
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: Exception) -> HttpResponse:
    response = error_response(
        401,
        "no_autenticado",
        "Falta un token de API válido y vigente (cabecera «Authorization: Bearer <token>»).",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    return error_response(
        429,
        "demasiadas_solicitudes",
        "Demasiadas solicitudes: espere los segundos que indica Retry-After y vuelva a intentar.",
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_response(404, "no_encontrado", "No existe el recurso pedido.")


_HTTP_ERRORS = {
    400: ("cuerpo_invalido", "El cuerpo de la solicitud no es JSON válido o no se puede leer."),
    405: ("metodo_no_permitido", "Método no permitido en esta dirección."),
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    code, message = _HTTP_ERRORS.get(
        error.status_code, ("error", "No se pudo atender la solicitud.")
    )
    return error_response(error.status_code, code, message)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    # An outage (database, read model being rebuilt, full disk): 503/507 as on every page.
    if (answer := errors.known_failure(request, error)) is not None:
        return answer
    logger.exception("API error on %s", request.path)
    return error_response(500, "error_interno", "Error interno; ya quedó registrado.")
