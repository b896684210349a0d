"""Error answers that never show a traceback: 503 while the database or the read model is
away, and 500.

When PostgreSQL restarts, requests in flight fail with OperationalError/InterfaceError. The
middleware (for errors raised by views) and `server_error` (handler500, for errors raised
anywhere else) turn them into a 503 with Retry-After — JSON for API clients, a short Spanish
page for people. Django discards a broken connection at the end of the request and
CONN_HEALTH_CHECKS makes the next request open a new one, so service resumes by itself.

A write refused because the database is read-only (SQLSTATE 25006: a standby not yet
promoted during a failover, or a primary frozen with default_transaction_read_only=on for a
planned switchover) gets the same kind of 503 with its own Spanish message: the request may
be sent again in a few seconds and nothing was written. On SQLite a read-only database
raises an OperationalError, so it is the plain "database unavailable" answer.

The same 503 answers a question for figures while this server has no readable read model
(none built yet, deleted, or damaged and being rebuilt: analytics.refresh.recover).
JSON bodies have the API's error shape, `{"error": {"code", "message", "fields"}}`.
"""

import errno
import logging
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from citesmart.analytics.connection import Unavailable as ReadModelUnavailable
from citesmart.ops import metrics

logger = logging.getLogger("citesmart.errors")
RETRY_AFTER = "5"
# No space left, quota exceeded, file size limit: the disk cannot take the file being written.
DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
READ_ONLY_SQLSTATE = "25006"  # read_only_sql_transaction


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith(("/api/", "/salud/", "/datos/")) or (
        "application/json" in accept and "text/html" not in accept
    )


def database_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    message = _(
        "El servicio no está disponible por un momento (base de datos). "
        "Vuelva a intentarlo en unos segundos."
    )
    return _retry_soon(request, error, "database_unavailable", message)


def database_read_only(request: HttpRequest, error: Exception) -> HttpResponse:
    message = _(
        "En este momento no se pueden guardar cambios: la base de datos está cambiando de "
        "servidor. No se guardó nada; vuelva a intentarlo en unos segundos."
    )
    return _retry_soon(request, error, "database_read_only", message)


LOGGED = {
    "database_unavailable": "Base de datos no disponible: %s",
    "database_read_only": "Base de datos en solo lectura: %s",
}


def _retry_soon(request: HttpRequest, error: Exception, code: str, message: str) -> HttpResponse:
    """A 503 that says to try again in a few seconds (the database is away or read-only)."""
    metrics.DATABASE_UNAVAILABLE.inc()
    logger.warning(LOGGED[code], (str(error).strip().splitlines() or ["?"])[0])
    response = _answer(request, 503, code, message, "ops/503.html")
    response["Retry-After"] = RETRY_AFTER
    return response


def read_model_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.warning("Modelo analítico no disponible: %s", type(error).__name__)
    message = _(
        "Las cifras se están recalculando y no se pueden mostrar en este momento. "
        "Vuelva a intentarlo en unos minutos."
    )
    response = _answer(request, 503, "cifras_no_disponibles", message, "ops/503.html")
    response["Retry-After"] = "60"
    return response


def is_database_unavailable(error: BaseException | None) -> bool:
    """Django's wrapped OperationalError/InterfaceError, or the driver's own: psycopg raises
    its unwrapped error where Django closes a cursor (a template iterating a queryset)."""
    driver = connection.Database
    kinds = (OperationalError, InterfaceError, driver.OperationalError, driver.InterfaceError)
    return isinstance(error, kinds)


def is_database_read_only(error: BaseException | None) -> bool:
    """PostgreSQL's read_only_sql_transaction (25006), wrapped by Django or not."""
    seen = 0
    while error is not None and seen < 5:  # Django keeps the driver's error as __cause__
        if getattr(error, "sqlstate", None) == READ_ONLY_SQLSTATE:
            return True
        error, seen = error.__cause__, seen + 1
    return False


def disk_full(request: HttpRequest, error: OSError) -> HttpResponse:
    """507: an export (or any file being written) did not fit; nothing half-written is sent."""
    logger.error("Disco lleno al escribir un archivo: %s", error)
    message = _(
        "No hay espacio en el disco del servidor para preparar el archivo, así que no se "
        "generó. Avise al equipo de soporte de la plataforma y vuelva a intentarlo más tarde."
    )
    return _answer(request, 507, "disk_full", message, "ops/500.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 when the cause was the database, else a plain 500 (no details)."""
    error = sys.exc_info()[1]
    if (answer := known_failure(request, error)) is not None:
        return answer
    message = _(
        "Ocurrió un error inesperado. Quedó registrado; si se repite, comuníquelo citando "
        "el código de la petición."
    )
    return _answer(request, 500, "server_error", message, "ops/500.html")


def known_failure(request: HttpRequest, error: BaseException | None) -> HttpResponse | None:
    """The clean answer to an outage this module knows (database, read model, full disk)."""
    if is_database_unavailable(error):
        return database_unavailable(request, error)  # type: ignore[arg-type]
    if is_database_read_only(error):
        return database_read_only(request, error)  # type: ignore[arg-type]
    if isinstance(error, ReadModelUnavailable):
        return read_model_unavailable(request, error)
    if isinstance(error, OSError) and error.errno in DISK_FULL:
        return disk_full(request, error)
    return None


def _answer(
    request: HttpRequest, status: int, code: str, message: str, template: str
) -> HttpResponse:
    request_id = getattr(request, "request_id", "-")
    if wants_json(request):
        body = {"error": {"code": code, "message": message, "fields": {}, "request_id": request_id}}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    # No context processors, no database: this page must render with the database down.
    html = loader.get_template(template).render(
        {"message": message, "request_id": request_id, "status": status}
    )
    return HttpResponse(html, status=status)
