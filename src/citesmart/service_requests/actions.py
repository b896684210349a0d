"""Writes on service requests: submission from the portal and the center's answers."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from citesmart.accounts.access import managers_emails
from citesmart.service_requests.models import (
    TRANSITIONS,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
)

# Unambiguous characters: no 0/O, 1/I/L. 10 of 31 symbols ≈ 50 bits: not guessable.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_PER_DOCUMENT_PER_DAY = 5
MAX_PER_CLIENT_PER_HOUR = 10


class RateLimited(Exception):
    """Too many requests from one place or for one document; the message says when to retry."""


def new_tracking_code() -> str:
    return "SOL-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def client_key(ip: str) -> str:
    """A keyed hash of the client's IP: enough to rate-limit, never stored in clear."""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _check_rate(*, document_number: str, key: str) -> None:
    now = timezone.now()
    recent = ServiceRequest.objects.filter
    if (
        recent(document_number=document_number, created_at__gte=now - timedelta(days=1)).count()
        >= MAX_PER_DOCUMENT_PER_DAY
    ):
        raise RateLimited(
            "Ya registramos varias solicitudes con este documento hoy. Inténtelo mañana."
        )
    if (
        recent(client_key=key, created_at__gte=now - timedelta(hours=1)).count()
        >= MAX_PER_CLIENT_PER_HOUR
    ):
        raise RateLimited("Demasiadas solicitudes desde su conexión. Inténtelo dentro de una hora.")


def _notify(request: ServiceRequest, base_url: str) -> None:
    """E-mail the requester about the request's current step (console back end by default)."""
    context = {
        "request": request,
        "status_url": base_url + reverse("portal:request_status", args=[request.tracking_code]),
    }
    send_mail(
        subject=f"Su solicitud {request.tracking_code}: {request.get_status_display()}",
        message=render_to_string("service_requests/email.txt", context),
        from_email=None,
        recipient_list=[request.email],
    )


def _notify_managers(request: ServiceRequest, base_url: str) -> None:
    """E-mail each active manager who reaches the request's center (its own, or its CITE's
    for a technical unit), one message each. Only the code, center, chain and district: the
    requester's name, document and contact stay in the back office."""
    center = request.center
    admin_url = base_url + reverse(
        "admin:service_requests_servicerequest_change", args=[request.pk]
    )
    context = {"request": request, "admin_url": admin_url}
    subject = f"Nueva solicitud de servicio {request.tracking_code} — {center.name}"
    body = render_to_string("service_requests/email_manager.txt", context)
    emails = managers_emails(center)
    send_mass_mail([(subject, body, None, [email]) for email in emails])


@transaction.atomic
def submit_request(*, data: dict, ip: str, base_url: str) -> ServiceRequest:
    """Create a request from validated form data, after the abuse checks; e-mails a receipt."""
    key = client_key(ip)
    _check_rate(document_number=data["document_number"], key=key)
    request = ServiceRequest(
        **data, client_key=key, consent_at=timezone.now(), tracking_code=new_tracking_code()
    )
    request.full_clean()
    request.save()
    RequestEvent.objects.create(
        request=request, status=RequestStatus.RECEIVED, message="Solicitud recibida."
    )
    transaction.on_commit(lambda: _notify(request, base_url))
    transaction.on_commit(lambda: _notify_managers(request, base_url))
    return request


def check_status_change(*, request: ServiceRequest, status: str, report, reason: str) -> None:
    """Raise ValidationError (Spanish, by field) if the request cannot move to `status`."""
    if status == request.status:
        return
    if status not in TRANSITIONS[RequestStatus(request.status)]:
        current, wanted = request.get_status_display(), RequestStatus(status).label
        raise ValidationError({"status": f"No se puede pasar de «{current}» a «{wanted}»."})
    if status == RequestStatus.DECLINED and not reason.strip():
        raise ValidationError({"decline_reason": "Indique el motivo por el que no se atenderá."})
    if status == RequestStatus.ATTENDED:
        if report is None:
            raise ValidationError(
                {"report": "Indique el informe de servicio con el que se atendió."}
            )
        if request.center_id not in (report.center_id, report.center.parent_id):
            raise ValidationError(
                {"report": "El informe debe ser del centro que recibió la solicitud."}
            )


@transaction.atomic
def change_status(
    *,
    request: ServiceRequest,
    status: str,
    actor,
    message: str = "",
    report=None,
    reason: str = "",
    base_url: str = "",
) -> ServiceRequest:
    """Move a request forward and tell the requester.

    received → in progress → attended / declined.
    """
    if status == request.status:
        return request
    check_status_change(request=request, status=status, report=report, reason=reason)
    request.status, request.report, request.decline_reason = status, report, reason.strip()
    if request.assigned_to is None and actor is not None:
        request.assigned_to = actor
    request.save()
    RequestEvent.objects.create(
        request=request, status=status, message=message or reason, actor=actor
    )
    transaction.on_commit(lambda: _notify(request, base_url))
    transaction.on_commit(lambda: _notify_managers(request, base_url))
    return request
