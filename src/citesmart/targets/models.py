"""Yearly targets of the network and of each center, with every version kept.

A Target names what is aimed at (who, which year, which indicator, optionally one category
or chain); its values live in TargetVersion rows that are never changed or deleted, so a
revision keeps the earlier goal, who set it, when and why. The current goal is the latest
version. Achievement is never stored: it is counted through the analytics query interface.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from citesmart.network.models import Center, Chain, ServiceCategory


class Indicator(models.TextChoices):
    SERVICES = "services", _("Servicios brindados")
    UNITS = "units", _("Unidades productivas atendidas")
    NEW_UNITS = "new_units", _("Unidades productivas nuevas")
    AMOUNT = "amount", _("Monto cobrado (S/)")


class Phasing(models.TextChoices):
    EVEN = "uniforme", _("Uniforme (un doceavo por mes)")
    SEASONAL = "estacional", _("Estacional (según los años anteriores)")


class Target(models.Model):
    """What is aimed at; `center` empty means the whole network (national target)."""

    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("centro"),
        help_text=_("Vacío: meta nacional de toda la red."),
    )
    year = models.PositiveSmallIntegerField(_("año"))
    indicator = models.CharField(_("indicador"), max_length=20, choices=Indicator.choices)
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("categoría de servicio"),
    )
    chain = models.ForeignKey(
        Chain, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("cadena productiva")
    )
    # One row per (center, year, indicator, category, chain); NULLs make a plain unique
    # constraint useless on both databases, so the key is spelled out.
    key = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["year", "center__name", "indicator"]
        verbose_name = _("meta")
        verbose_name_plural = _("metas")

    def __str__(self) -> str:
        who = self.center.name if self.center_id else _("Red CITE (nacional)")
        return f"{who} · {self.year} · {self.get_indicator_display()}{self.breakdown_text}"

    def save(self, *args, **kwargs) -> None:
        self.key = self.make_key(
            self.center_id, self.year, self.indicator, self.category_id, self.chain_id
        )
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.category_id and self.chain_id:
            raise ValidationError(
                _("Una meta se desglosa por categoría o por cadena, no por ambas a la vez.")
            )

    @property
    def breakdown_text(self) -> str:
        if self.category_id:
            return f" · {self.category.name}"
        if self.chain_id:
            return f" · {self.chain.name}"
        return ""

    @staticmethod
    def make_key(center_id, year, indicator, category_id, chain_id) -> str:
        return f"{center_id or 0}:{year}:{indicator}:{category_id or 0}:{chain_id or 0}"

    @property
    def current(self) -> "TargetVersion | None":
        return self.versions.order_by("-number").first()


class TargetVersion(models.Model):
    """One value of a target, immutable: a revision adds a version, it never edits one."""

    target = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="versions", verbose_name=_("meta")
    )
    number = models.PositiveIntegerField(_("versión"))
    value = models.DecimalField(_("valor anual"), max_digits=16, decimal_places=2)
    phasing = models.CharField(_("distribución mensual"), max_length=12, choices=Phasing.choices)
    # Twelve monthly shares (summing to 1), frozen when the version was set, so the phased
    # target of a past version never changes when later data arrive.
    monthly_shares = models.JSONField(_("participación mensual"))
    reason = models.TextField(_("motivo"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrado por"),
    )
    created_at = models.DateTimeField(_("fecha de registro"), auto_now_add=True)

    class Meta:
        ordering = ["target", "-number"]
        verbose_name = _("versión de meta")
        verbose_name_plural = _("versiones de metas")
        constraints = [
            models.UniqueConstraint(fields=["target", "number"], name="target_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.target} · v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Las versiones de una meta no se modifican; registre otra."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Las versiones de una meta no se eliminan."))
