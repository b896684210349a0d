from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.roles import Role


class StaffProfile(models.Model):
    """Who a staff user is in the network: a role, and a center unless they work for ITP."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices)
    center = models.ForeignKey(
        "network.Center",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("centro"),
        help_text=_("Vacío para el personal del ITP (administradores nacionales y analistas)."),
    )

    class Meta:
        verbose_name = _("perfil de personal")
        verbose_name_plural = _("perfiles de personal")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=[Role.CENTER_MANAGER, Role.CENTER_OPERATOR], center__isnull=False)
                    | Q(role__in=[Role.NATIONAL_ADMIN, Role.ANALYST], center__isnull=True)
                ),
                name="staff_profile_center_matches_role",
                violation_error_message=_(
                    "El personal de un centro debe tener centro; el personal del ITP no."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class EnrolmentCode(models.Model):
    """A one-time code that lets an account enrol (or re-enrol) its TOTP device.

    Issued by another national administrator or from the command line and handed over
    outside the system, so a stolen password alone never yields a second factor. Only a
    digest is kept; the code is shown once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_codes"
    )
    digest = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Vacío: emitido desde la línea de comandos."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("código de inscripción de doble factor")
        verbose_name_plural = _("códigos de inscripción de doble factor")

    def __str__(self) -> str:
        return f"{self.user} — {self.created_at:%Y-%m-%d %H:%M}"
