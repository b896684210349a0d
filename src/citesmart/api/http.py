"""How the API answers: JSON or CSV, ETag/Last-Modified with 304, caching and CORS headers,
pagination, and the one error body `{"error": {"code", "message", "fields"}}`.

Endpoints build plain data validated by their response schema, then hand it to `respond`,
so the body always matches the OpenAPI document and conditional requests cost no rendering.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import http_date, parse_http_date_safe
from pydantic import BaseModel

from citesmart.lib.spreadsheets import safe_cell

CSV_TYPE = "text/csv; charset=utf-8"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, If-None-Match, If-Modified-Since",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After, X-Datos-Demostracion",
    "Access-Control-Max-Age": "86400",
}


class ApiError(Exception):
    """An answer other than 2xx, in the API's error body; messages in Spanish."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def wants_csv(request: HttpRequest, fmt: str | None) -> bool:
    if fmt:
        return fmt == "csv"
    accept = request.headers.get("Accept", "")
    return "text/csv" in accept and "application/json" not in accept


def respond(
    request: HttpRequest,
    payload: BaseModel,
    *,
    csv_rows: Sequence[dict[str, Any]] | None = None,
    csv_name: str = "datos",
    fmt: str | None = None,
    last_modified: datetime | None = None,
) -> HttpResponse:
    """JSON (or CSV when asked and `csv_rows` given), with validators; 304 when unchanged."""
    if csv_rows is not None and wants_csv(request, fmt):
        body = to_csv(csv_rows).encode("utf-8-sig")  # BOM: Excel opens UTF-8 correctly
        content_type = CSV_TYPE
    else:
        body = payload.model_dump_json(by_alias=True).encode()
        content_type = "application/json"
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.API_CACHE_SECONDS}",
        "Vary": "Accept",
    }
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified.timestamp())
    if _not_modified(request, etag, last_modified):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
        if content_type == CSV_TYPE:
            headers["Content-Disposition"] = f'attachment; filename="{csv_name}.csv"'
    for name, value in headers.items():
        response[name] = value
    return response


def _not_modified(request: HttpRequest, etag: str, last_modified: datetime | None) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return (
        last_modified is not None and since is not None and int(last_modified.timestamp()) <= since
    )


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer: csv.DictWriter | None = None
    for row in rows:
        flat = {key: _cell(value) for key, value in row.items()}
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(flat), lineterminator="\r\n")
            writer.writeheader()
        writer.writerow(flat)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Flat, Excel-safe text: lists joined by «|», no formula injection (safe_cell)."""
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    if isinstance(value, bool):
        return "sí" if value else "no"
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def paginate(items: Sequence[Any], page: int, page_size: int) -> tuple[list[Any], dict[str, Any]]:
    """The page's items and the envelope fields; a page past the end is a 404."""
    count = len(items)
    pages = max(1, -(-count // page_size))
    if page > pages:
        raise ApiError(
            404,
            "pagina_inexistente",
            f"La página {page} no existe: hay {pages} página(s).",
            {"page": f"Use un número entre 1 y {pages}."},
        )
    start = (page - 1) * page_size
    meta = {"count": count, "page": page, "page_size": page_size, "pages": pages}
    return list(items[start : start + page_size]), meta
