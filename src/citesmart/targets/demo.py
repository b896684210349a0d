"""Demo targets: each center's goal is last year's achievement plus a growth it was asked for.

Deterministic (growth derived from the center code), idempotent (setting the same value again
adds no version), and with one revision so the history page has something to show.
"""

import hashlib
from collections.abc import Callable

from citesmart.analytics.queries import Filters, figures
from citesmart.network.models import Center
from citesmart.targets.actions import set_target
from citesmart.targets.models import Indicator, Phasing, Target

DEMO_REASON = "Meta de demostración, a partir del logro del año anterior."
REVISION_REASON = (
    "Revisión de demostración: se ajusta la meta tras la evaluación del primer semestre."
)
INDICATORS = (Indicator.SERVICES, Indicator.UNITS, Indicator.NEW_UNITS)


def growth(code: str, indicator: str, year: int) -> float:
    """Between -8 % and +12 %: some centers end up ahead of their goal, some behind."""
    digest = hashlib.sha256(f"{code}:{indicator}:{year}".encode()).digest()
    return 0.92 + 0.20 * digest[0] / 255


def load_demo_targets(years: list[int], say: Callable[[str], None] = print) -> int:
    created = 0
    centers = {c.code: c for c in Center.objects.all()}
    for year in years:
        previous = figures(Filters(years=(year - 1,)), by=["center"], measures=list(INDICATORS))
        for row in previous.rows:
            center = centers.get(row["center"])
            if center is None or not row["services"]:
                continue
            for indicator in INDICATORS:
                value = round(row[indicator] * growth(center.code, indicator, year))
                if value > 0:
                    created += _set(center, year, indicator, value, DEMO_REASON)
        for indicator in INDICATORS:
            total = previous.totals[indicator]
            national = Target.make_key(None, year, indicator, None, None)
            if total and not Target.objects.filter(key=national).exists():
                first = round(total * 1.02, -2)
                created += _set(None, year, indicator, first, DEMO_REASON, Phasing.EVEN)
                created += _set(None, year, indicator, round(total * 1.06, -2), REVISION_REASON)
        say(f"Metas de demostración {year}: listas.")
    return created


def _set(center, year, indicator, value, reason, phasing=Phasing.SEASONAL) -> int:
    version = set_target(
        None,
        center=center,
        year=year,
        indicator=indicator,
        value=value,
        phasing=phasing,
        reason=reason,
    )
    return 1 if version.reason == reason and version.value == value else 0
