"""Request ids, access metrics, security headers and a clean 503 when the database is down.

`OpsMiddleware` goes first in MIDDLEWARE so that it sees every response, including the ones
built by the middleware after it (redirects, lock-outs, 404s).
"""

import logging
import re
import secrets
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import gzip
from django.utils.cache import patch_vary_headers
from django.utils.functional import empty

from citesmart.ops import clients, errors, logs, metrics

logger = logging.getLogger("citesmart.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


class OpsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        request.csp_nonce = secrets.token_urlsafe(16)  # type: ignore[attr-defined]
        token = logs.request_id.set(request_id)
        started = metrics.now()
        try:
            response = self.get_response(request)
            seconds = metrics.now() - started
            response["X-Request-ID"] = request_id
            _security_headers(request, response)
            route = _route(request)
            metrics.observe(request.method or "-", route, response.status_code, seconds)
            if route not in _QUIET_ROUTES:
                logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "route": route,
                        "status": response.status_code,
                        "ms": round(seconds * 1000, 1),
                        "user": _user(request),
                        "client": clients.client_ip(request),
                    },
                )
            return response
        finally:
            logs.request_id.reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return errors.known_failure(request, exception)


_QUIET_ROUTES = {"ops:health", "ops:metrics"}  # load balancer and Prometheus poll these


def _request_id(request: HttpRequest) -> str:
    """The proxy's id when it sent a sane one (so nginx and app logs match), else a new one."""
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match and match.view_name else "unmatched"


def _user(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    # Only look when authentication already ran: never touch the session (or the DB) here.
    if user is None or getattr(user, "_wrapped", None) is empty:
        return "-"
    return str(user.pk) if getattr(user, "is_authenticated", False) else "-"


def _security_headers(request: HttpRequest, response: HttpResponse) -> None:
    nonce = request.csp_nonce  # type: ignore[attr-defined]
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or default_policy()
    response.setdefault("Content-Security-Policy", policy.format(nonce=nonce))
    response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)


def default_policy() -> str:
    """No inline scripts or styles except the ones carrying this response's nonce, and no
    style attributes at all (issue 19): pages colour and size things with classes and SVG
    presentation attributes; scripts may still set element.style, which CSP allows.
    """
    return (
        "default-src 'self'; "
        "script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


class GZipMiddleware(gzip.GZipMiddleware):
    """Django's, except that a response carrying `precompressed` (gzip bytes of its body,
    made once by the page cache) is sent as those bytes instead of being compressed again."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        packed = getattr(response, "precompressed", None)
        if packed is None or response.streaming or response.has_header("Content-Encoding"):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Encoding",))
        if not gzip.re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        response.content = packed
        response.headers["Content-Length"] = str(len(packed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):  # RFC 9110 8.8.1, as Django's middleware does
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response
