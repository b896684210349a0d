"""The frame and the stratified random draw of a follow-up wave (pure given the records).

Strata are center × chain. Sizes come from the target margin of error of each center's
estimate, with the finite population correction, allocated to the center's chains in
proportion to their size. The draw is `random.Random(seed)` over ids in a fixed order, so
the same frame and seed always give the same sample (docs/SURVEYS.md).
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from citesmart.records.models import ReportStatus, Service

Z95 = 1.959964


@dataclass
class FrameStratum:
    center_id: int
    chain_id: int | None
    # unit id -> report id of the unit's latest service in the period
    units: dict[int, int] = field(default_factory=dict)


def required_sample(population: int, margin: float, p: float = 0.5) -> int:
    """n for a proportion's 95 % margin `margin`, corrected for a finite population."""
    if population <= 0:
        return 0
    n0 = Z95**2 * p * (1 - p) / margin**2
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def allocate(sizes: dict, total: int) -> dict:
    """Proportional allocation of `total` over strata of `sizes`; at least 2 (or all) each."""
    population = sum(sizes.values())
    return {
        key: min(size, max(2, math.ceil(total * size / population))) for key, size in sizes.items()
    }


def frame(*, served_from: date, served_to: date, excluded_units: set[int]) -> list[FrameStratum]:
    """Units served by validated reports that ended in the period, each in the stratum of its
    latest such service; units in `excluded_units` (surveyed recently) are left out."""
    rows = (
        Service.objects.filter(
            report__status=ReportStatus.VALIDATED,
            report__end_date__range=(served_from, served_to),
            unit__merged_into__isnull=True,
        )
        .order_by("unit_id", "report__end_date", "report_id")
        .values_list("unit_id", "report_id", "report__center_id", "report__chain_id")
    )
    latest: dict[int, tuple[int, int, int | None]] = {}
    for unit_id, report_id, center_id, chain_id in rows:
        latest[unit_id] = (report_id, center_id, chain_id)  # ordered: the last one wins
    strata: dict[tuple[int, int | None], FrameStratum] = {}
    for unit, (report, center, chain) in latest.items():
        if unit in excluded_units:
            continue
        strata.setdefault((center, chain), FrameStratum(center, chain)).units[unit] = report
    return sorted(strata.values(), key=lambda s: (s.center_id, s.chain_id or 0))


def plan(strata: list[FrameStratum], *, margin: float, seed: int) -> dict[tuple, list[int]]:
    """The sampled unit ids of each stratum: reproducible from (frame, margin, seed)."""
    by_center: dict[int, dict[tuple, int]] = {}
    for stratum in strata:
        key = (stratum.center_id, stratum.chain_id)
        by_center.setdefault(stratum.center_id, {})[key] = len(stratum.units)
    sizes: dict[tuple, int] = {}
    for center_sizes in by_center.values():
        sizes |= allocate(center_sizes, required_sample(sum(center_sizes.values()), margin))
    rng = random.Random(seed)  # noqa: S311 - reproducible by design; the seed is recorded
    return {
        (s.center_id, s.chain_id): sorted(
            rng.sample(sorted(s.units), sizes[(s.center_id, s.chain_id)])
        )
        for s in strata
    }


def months_ago(today: date, months: int) -> date:
    return today - timedelta(days=round(months * 30.44))
