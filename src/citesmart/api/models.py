"""Per-center API tokens for the write API: only a hash is stored, the secret is shown once."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citesmart.network.models import Center


class ApiToken(models.Model):
    """A center's system writes service reports with this token (`Authorization: Bearer ...`)."""

    center = models.ForeignKey(
        Center, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("centro")
    )
    name = models.CharField(
        _("nombre"), max_length=120, help_text=_("Para qué sistema es, p. ej. «ERP del CITE».")
    )
    prefix = models.CharField(_("prefijo"), max_length=12, editable=False, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("creado por"),
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("último uso"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revocado"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("token de API")
        verbose_name_plural = _("tokens de API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
