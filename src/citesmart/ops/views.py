"""/salud/ (health, for load balancers) and /metricas/ (Prometheus, restricted)."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from citesmart.ops import clients, metrics, queries


@never_cache
@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """200 when this server can serve correct figures, 503 when it cannot (see queries).

    The checks (engine, row counts, freshness) only for monitoring: METRICS_ALLOWED_IPS or
    the METRICS_TOKEN, as for /metricas/; anyone else gets just {"status": ...}.
    """
    status, body = queries.health()
    if not metrics_allowed(request):
        body = {"status": body["status"]}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, only for METRICS_ALLOWED_IPS or a `Bearer METRICS_TOKEN`."""
    if not metrics_allowed(request):
        return HttpResponse("Acceso denegado.\n", status=403, content_type="text/plain")
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def metrics_allowed(request: HttpRequest) -> bool:
    """The METRICS_TOKEN, or a client address known for sure (see clients.known_client_ip)
    inside METRICS_ALLOWED_IPS."""
    token = getattr(settings, "METRICS_TOKEN", "")
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    networks = getattr(settings, "METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"])
    address = clients.known_client_ip(request)  # None behind a proxy that is not trusted
    return address is not None and clients.in_networks(address, networks)
