"""Demo targets, drawn around the demo history so the progress page shows a realistic mix.

A year the demo history covers gets goals between 85 % and 120 % of what each center did
(some end ahead, a few behind); a later year gets last year's figures plus a growth. The
factor comes from the center code, so the targets are deterministic; setting the same value
again adds no version; the national goals have one revision so the history page shows one.
"""

import hashlib
from collections.abc import Callable

from citesmart.analytics.queries import Filters, figures
from citesmart.network.models import Center
from citesmart.targets.actions import set_target
from citesmart.targets.models import Indicator, Phasing, Target
from citesmart.targets.seasonality import EVEN, history_filters, seasonal_shares_by_center

DEMO_REASON = "Meta de demostración, a partir del logro del año anterior."
REVISION_REASON = (
    "Revisión de demostración: se ajusta la meta tras la evaluación del primer semestre."
)
INDICATORS = [Indicator.SERVICES, Indicator.UNITS, Indicator.NEW_UNITS]


def growth(code: str, indicator: str, year: int, low: float, high: float) -> float:
    digest = hashlib.sha256(f"{code}:{indicator}:{year}".encode()).digest()
    return low + (high - low) * digest[0] / 255


def load_demo_targets(years: list[int], say: Callable[[str], None] = print) -> int:
    created = 0
    centers = {c.code: c for c in Center.objects.all()}
    for year in years:
        previous = figures(Filters(years=(year,)), by=["center"], measures=INDICATORS)
        low, high = 0.85, 1.20
        if not previous.totals["services"]:  # a year not yet lived: last year plus growth
            previous = figures(Filters(years=(year - 1,)), by=["center"], measures=INDICATORS)
            low, high = 1.0, 1.12
        history = history_filters(year, center=None, category=None, chain=None)
        profiles = {i: seasonal_shares_by_center(year, i, history) for i in INDICATORS}
        for row in previous.rows:
            center = centers.get(row["center"])
            if center is None or not row["services"]:
                continue
            for indicator in INDICATORS:
                value = round(row[indicator] * growth(center.code, indicator, year, low, high))
                shares = profiles[indicator].get(center.code, EVEN)
                if value > 0:
                    created += _set(center, year, indicator, value, DEMO_REASON, shares=shares)
        for indicator in INDICATORS:
            total = previous.totals[indicator]
            national = Target.make_key(None, year, indicator, None, None)
            if total and not Target.objects.filter(key=national).exists():
                first = round(total * low * 0.98, -2)
                created += _set(None, year, indicator, first, DEMO_REASON, Phasing.EVEN)
                second = round(total * (low + high) / 2 * 0.98, -2)
                created += _set(None, year, indicator, second, REVISION_REASON)
        say(f"Metas de demostración {year}: listas.")
    return created


def _set(center, year, indicator, value, reason, phasing=Phasing.SEASONAL, shares=None) -> int:
    version = set_target(
        None,
        center=center,
        year=year,
        indicator=indicator,
        value=value,
        phasing=phasing,
        reason=reason,
        shares=shares,
    )
    return 1 if version.reason == reason and version.value == value else 0
