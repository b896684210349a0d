"""Setting targets: every change adds a version; nothing is overwritten or deleted."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from citesmart.accounts.access import can_set_targets
from citesmart.network.models import Center, Chain, ServiceCategory
from citesmart.targets.models import Indicator, Phasing, Target, TargetVersion
from citesmart.targets.seasonality import EVEN, seasonal_shares

MAX_VALUE = Decimal("1e13")


def monthly_shares(phasing: str, year: int, indicator: str, **where) -> list[float]:
    if phasing == Phasing.SEASONAL:
        return seasonal_shares(year, indicator, **where)
    return list(EVEN)


@transaction.atomic
def set_target(
    user,
    *,
    center: Center | None,
    year: int,
    indicator: str,
    value: Decimal | int,
    phasing: str = Phasing.SEASONAL,
    reason: str = "",
    category: ServiceCategory | None = None,
    chain: Chain | None = None,
    shares: list[float] | None = None,
) -> TargetVersion:
    """Record a target, or a new version of it. A revision must say why.

    Returns the new version; an identical value and phasing adds nothing (returns current).
    """
    if not can_set_targets(user):
        raise PermissionDenied("Solo la administración nacional (ITP) registra metas.")
    _check(year, indicator, value, phasing, category, chain)
    target = _locked_target(center, year, indicator, category, chain)
    current = target.current
    value = Decimal(value).quantize(Decimal("0.01"))
    if current is not None:
        if current.value == value and current.phasing == phasing:
            return current
        if not reason.strip():
            raise ValidationError(
                {"reason": "Indique el motivo de la revisión de la meta (queda en el historial)."}
            )
    if shares is None:
        shares = monthly_shares(
            phasing,
            year,
            indicator,
            center=center.code if center else None,
            category=category.code if category else None,
            chain=chain.code if chain else None,
        )
    return TargetVersion.objects.create(
        target=target,
        number=(current.number + 1) if current else 1,
        value=value,
        phasing=phasing,
        monthly_shares=[round(s, 6) for s in shares],
        reason=reason.strip(),
        created_by=user,
    )


def _locked_target(center, year, indicator, category, chain) -> Target:
    """The target of these keys, locked for its new version (created when new)."""
    key = Target.make_key(
        center.pk if center else None,
        year,
        indicator,
        category.pk if category else None,
        chain.pk if chain else None,
    )
    defaults = {"center": center, "year": year, "indicator": indicator}
    target, _ = Target.objects.select_for_update().get_or_create(
        key=key, defaults=defaults | {"category": category, "chain": chain}
    )
    return target


def _check(year, indicator, value, phasing, category, chain) -> None:
    errors = {}
    if not 2000 <= int(year) <= 2100:
        errors["year"] = f"Año fuera de rango (2000 a 2100): {year}."
    if indicator not in Indicator.values:
        errors["indicator"] = f"Indicador desconocido «{indicator}»."
    if phasing not in Phasing.values:
        errors["phasing"] = f"Distribución mensual desconocida «{phasing}»."
    if value is None or Decimal(value) <= 0 or Decimal(value) >= MAX_VALUE:
        errors["value"] = "La meta debe ser un número mayor que cero."
    elif indicator != Indicator.AMOUNT and Decimal(value) != Decimal(value).to_integral_value():
        errors["value"] = "La meta de servicios o unidades debe ser un número entero."
    if category is not None and chain is not None:
        errors["chain"] = "Una meta se desglosa por categoría o por cadena, no por ambas."
    if errors:
        raise ValidationError(errors)
