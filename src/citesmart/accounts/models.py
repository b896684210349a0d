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
