"""Service requests from the public: the form, and the status page reached by tracking code."""

from time import time as clock

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from citesmart.network.queries import current_catalogue
from citesmart.ops.clients import client_ip
from citesmart.portal.forms import ServiceRequestForm
from citesmart.service_requests.actions import RateLimited, client_key, submit_request
from citesmart.service_requests.models import ServiceRequest

STATUS_LOOKUPS_PER_MINUTE = 20


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    service = None
    if service_id := request.GET.get("servicio", ""):
        service = current_catalogue().filter(pk=service_id if service_id.isdigit() else 0).first()
    initial = {"center": service.center.code if service else request.GET.get("centro", "")}
    form = ServiceRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:  # honeypot filled: a bot; answer as if accepted, store nothing
            return redirect("portal:request_sent")
        fields = {
            k: data[k]
            for k in [
                "document_type",
                "document_number",
                "name",
                "email",
                "phone",
                "district",
                "chain",
                "center",
                "need",
            ]
        }
        fields["catalogue_service"] = (
            service if service and service.center == data["center"] else None
        )
        try:
            created = submit_request(
                data=fields, ip=client_ip(request), base_url=request.build_absolute_uri("/")[:-1]
            )
        except RateLimited as error:
            return render(
                request,
                "portal/request_new.html",
                {
                    "form": form,
                    "service": service,
                    "rate_error": str(error),
                    "answer_days": settings.SERVICE_REQUEST_ANSWER_DAYS,
                },
                status=429,
            )
        return redirect("portal:request_status", code=created.tracking_code)
    context = {
        "form": form,
        "service": service,
        "answer_days": settings.SERVICE_REQUEST_ANSWER_DAYS,
    }
    return render(request, "portal/request_new.html", context)


@require_GET
def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/request_sent.html")


def _too_many_lookups(request: HttpRequest) -> HttpResponse | None:
    """Every lookup by code counts against one per-client budget, so codes cannot be walked."""
    # One counter per client and clock minute, shared by the worker processes (the default
    # cache). A fixed window: a cache's incr may rewrite the entry with its default lifetime,
    # which must not stretch the window; a lost increment under a race only lets one more in.
    now = int(clock())
    key = f"request-lookups:{client_key(client_ip(request))}:{now // 60}"
    cache.add(key, 0, timeout=120)
    if cache.incr(key) <= STATUS_LOOKUPS_PER_MINUTE:
        return None
    response = render(request, "portal/rate_limited.html", status=429)
    response["Retry-After"] = str(60 - now % 60)
    return response


@require_GET
def request_lookup(request: HttpRequest) -> HttpResponse:
    """ "Seguir mi solicitud": the visitor types the code they were given."""
    code = request.GET.get("codigo", "").strip().upper()
    if not code:
        return render(request, "portal/request_lookup.html")
    if limited := _too_many_lookups(request):
        return limited
    if len(code) <= 20 and ServiceRequest.objects.filter(tracking_code=code).exists():
        return redirect("portal:request_status", code=code)
    error = gettext(
        "No encontramos una solicitud con ese código. Revise el código que le enviamos por correo."
    )
    return render(request, "portal/request_lookup.html", {"code": code, "error": error}, status=404)


@require_GET
def request_status(request: HttpRequest, code: str) -> HttpResponse:
    """Status by tracking code. Lookups are rate-limited per client to stop enumeration."""
    if limited := _too_many_lookups(request):
        return limited
    service_request = get_object_or_404(
        ServiceRequest.objects.select_related("center", "catalogue_service"),
        tracking_code=code.upper(),
    )
    events = service_request.events.all()
    return render(request, "portal/request_status.html", {"req": service_request, "events": events})
