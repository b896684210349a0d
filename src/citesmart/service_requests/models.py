"""Requests for a service sent by enterprises from the public portal, routed to a center."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citesmart.lib.identity import DocumentType


class RequestStatus(models.TextChoices):
    RECEIVED = "recibida", _("Recibida")
    IN_PROGRESS = "en_proceso", _("En proceso")
    ATTENDED = "atendida", _("Atendida")
    DECLINED = "rechazada", _("No atendida")


# Which status may follow which: a request never goes back to "received".
TRANSITIONS = {
    RequestStatus.RECEIVED: {
        RequestStatus.IN_PROGRESS,
        RequestStatus.ATTENDED,
        RequestStatus.DECLINED,
    },
    RequestStatus.IN_PROGRESS: {RequestStatus.ATTENDED, RequestStatus.DECLINED},
    RequestStatus.ATTENDED: set(),
    RequestStatus.DECLINED: set(),
}


class ServiceRequest(models.Model):
    """A request: who asks (personal data, back office only), for what, to which center."""

    tracking_code = models.CharField(
        _("código de seguimiento"), max_length=20, unique=True, editable=False
    )
    center = models.ForeignKey(
        "network.Center",
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("centro"),
    )
    catalogue_service = models.ForeignKey(
        "network.CatalogueService",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("servicio solicitado"),
    )
    document_type = models.CharField(
        _("tipo de documento"),
        max_length=10,
        choices=[(d.value, d.label) for d in (DocumentType.RUC, DocumentType.DNI)],
    )
    document_number = models.CharField(_("número de documento"), max_length=12)
    name = models.CharField(_("nombre o razón social"), max_length=200)
    email = models.EmailField(_("correo electrónico"))
    phone = models.CharField(_("teléfono"), max_length=30, blank=True)
    district = models.ForeignKey(
        "geo.District", on_delete=models.PROTECT, verbose_name=_("distrito")
    )
    chain = models.ForeignKey(
        "network.Chain",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("cadena productiva"),
    )
    need = models.TextField(_("¿qué necesita?"), max_length=2000)
    consent_at = models.DateTimeField(_("consentimiento otorgado el"))
    status = models.CharField(
        _("estado"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asignada a"),
    )
    answer = models.TextField(_("respuesta al solicitante"), blank=True)
    decline_reason = models.CharField(_("motivo (si no se atiende)"), max_length=300, blank=True)
    report = models.ForeignKey(
        "records.ServiceReport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("informe de servicio que la atendió"),
    )
    client_key = models.CharField(
        max_length=64, editable=False, db_index=True
    )  # keyed hash of the IP
    created_at = models.DateTimeField(_("recibida el"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("actualizada el"), auto_now=True)

    class Meta:
        verbose_name = _("solicitud de servicio")
        verbose_name_plural = _("solicitudes de servicio")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["document_number", "created_at"])]

    def __str__(self) -> str:
        return self.tracking_code


class RequestEvent(models.Model):
    """One step in a request's life, shown (without personal data) on its public status page."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("estado"), max_length=12, choices=RequestStatus.choices)
    message = models.TextField(_("mensaje"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("evento")
        verbose_name_plural = _("historial")

    def __str__(self) -> str:
        when = f" · {self.created_at:%d/%m/%Y %H:%M}" if self.created_at else ""
        return f"{self.get_status_display()}{when}"
