"""How many services each center delivers each month, landing exactly on the published figures.

The plan is integers decided top-down with largest-remainder apportionment, so the totals hold
by construction, whatever the seed:

- 2025, January-September: the published top four get their published counts; the other centers
  share the rest of the published national total, each capped below the fourth;
- 2025, October-December: the rest of the full-year total, shared by every center;
- earlier years: the 2025 total times a growth factor, shared by center weight and seasonality;
- each center's total is then apportioned over its active months.

Distinct units per year are sized the same way (see units.py).
"""

import csv
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from citesmart.demo import profiles
from citesmart.demo.world import CenterInfo
from citesmart.lib.text import fold
from citesmart.network.reference import DATA_DIR

# "More than 85,800 services" and "more than 13 thousand units": land a little above.
SERVICES_MARGIN = 12
UNITS_MARGIN = 204
LAST_YEAR = 2025
JAN_SEP = range(1, 10)
OCT_DEC = range(10, 13)

Counts = dict[int, list[int]]  # center id -> services per month (index 0 = January)


@dataclass(frozen=True)
class Targets:
    """The published 2025 figures (figures.csv), optionally scaled down for tests."""

    services: int
    units: int
    jan_sep: int
    top_jan_sep: tuple[tuple[str, int], ...]  # (center name as published, services), in order

    def scaled(self, scale: float) -> "Targets":
        if scale == 1:
            return self
        return Targets(
            services=round(self.services * scale),
            units=max(1, round(self.units * scale)),
            jan_sep=round(self.jan_sep * scale),
            top_jan_sep=tuple((name, round(n * scale)) for name, n in self.top_jan_sep),
        )


def published_targets(path: Path = DATA_DIR / "figures.csv") -> Targets:
    """Read the 2025 national totals and the January-September top four from figures.csv."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["year"] == str(LAST_YEAR)]
    services = [r for r in rows if r["metric"] == "services"]
    national = [r for r in services if r["scope"] == "national"]
    full_year = next(int(r["value"]) for r in national if "full year" in fold(r["period_note"]))
    jan_sep = next(int(r["value"]) for r in national if "jan-sep" in fold(r["period_note"]))
    units = next(
        int(r["value"])
        for r in rows
        if r["scope"] == "national" and r["metric"] == "productive_units"
    )
    top = [(r["scope"], int(r["value"])) for r in services if r["scope"] != "national"]
    top.sort(key=lambda item: -item[1])
    return Targets(
        services=full_year + SERVICES_MARGIN,
        units=units + UNITS_MARGIN,
        jan_sep=jan_sep,
        top_jan_sep=tuple(top),
    )


def apportion(total: int, weights: Sequence[float], caps: Sequence[int] | None = None) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder), under caps.

    Ties go to the earlier index, so the result is deterministic. Capped shares are fixed at
    their cap and the rest is shared again among the others.
    """
    result = [0] * len(weights)
    free = [i for i, w in enumerate(weights) if w > 0]
    remaining = total
    while remaining > 0:
        if not free:
            raise ValueError(f"No se pueden repartir {remaining} entre pesos nulos o topes.")
        weight_sum = sum(weights[i] for i in free)
        quotas = {i: remaining * weights[i] / weight_sum for i in free}
        shares = {i: int(q) for i, q in quotas.items()}
        left = remaining - sum(shares.values())
        for i in sorted(free, key=lambda i: (shares[i] - quotas[i], i))[:left]:
            shares[i] += 1
        over = [i for i in free if caps is not None and shares[i] > caps[i]]
        if not over:
            for i in free:
                result[i] = shares[i]
            return result
        for i in over:
            result[i] = caps[i] if caps is not None else 0
            remaining -= result[i]
            free.remove(i)
    return result


def month_weights(center: CenterInfo, year: int) -> list[float]:
    """Seasonality of one center-year; zero before the center started."""
    covid = profiles.COVID_2020 if year == 2020 else (1.0,) * 12
    weights = []
    for month in range(1, 13):
        first = date(year, month, 1)
        active = (center.start is None or first >= center.start.replace(day=1)) and (
            center.end is None or first <= center.end
        )
        weights.append(profiles.SEASON[month - 1] * covid[month - 1] if active else 0.0)
    return weights


def base_weight(center: CenterInfo) -> float:
    """A center's relative size: its kind and family, varied a little by its code (stable)."""
    weight: float
    if center.kind == "privado":
        weight = profiles.PRIVATE_WEIGHT
    elif center.kind == "unidad_tecnica":
        weight = profiles.TECHNICAL_UNIT_WEIGHT
    else:
        weight = profiles.FAMILY_WEIGHT[center.family]
    weight *= profiles.WEIGHT_FACTOR.get(center.code, 1.0)
    return weight * (0.8 + 0.4 * (zlib.crc32(center.code.encode()) % 1000) / 999)


def find_top_centers(centers: Sequence[CenterInfo], targets: Targets) -> list[CenterInfo]:
    """The published top four, matched by name ignoring case and accents."""
    by_name = {fold(c.name): c for c in centers}
    missing = [name for name, _ in targets.top_jan_sep if fold(name) not in by_name]
    if missing:
        raise ValueError(f"No se encontraron en la red los centros publicados: {missing}.")
    return [by_name[fold(name)] for name, _ in targets.top_jan_sep]


def plan_year(
    centers: Sequence[CenterInfo], year: int, targets: Targets, rng: random.Random
) -> Counts:
    """Services per center and month for one year."""
    if year == LAST_YEAR:
        return _plan_last_year(centers, targets, rng)
    total = round(targets.services * profiles.GROWTH[year])
    weights = [
        base_weight(c) * rng.uniform(0.88, 1.12) * sum(month_weights(c, year)) for c in centers
    ]
    totals = apportion(total, weights)
    return {
        c.id: apportion(n, month_weights(c, year)) for c, n in zip(centers, totals, strict=True)
    }


def _plan_last_year(centers: Sequence[CenterInfo], targets: Targets, rng: random.Random) -> Counts:
    top = find_top_centers(centers, targets)
    fixed = {c.id: n for c, (_, n) in zip(top, targets.top_jan_sep, strict=True)}
    seasons = {c.id: month_weights(c, LAST_YEAR) for c in centers}
    weights = {c.id: base_weight(c) * rng.uniform(0.9, 1.1) for c in centers}
    others = [c for c in centers if c.id not in fixed]
    jan_sep_others = apportion(
        targets.jan_sep - sum(fixed.values()),
        [weights[c.id] * _mass(seasons[c.id], JAN_SEP) for c in others],
        caps=[min(fixed.values()) - 1] * len(others),
    )
    jan_sep = dict(zip((c.id for c in others), jan_sep_others, strict=True)) | fixed
    # Centers keep their January-September pace into October-December.
    others_mass = sum(weights[c.id] * _mass(seasons[c.id], JAN_SEP) for c in others)
    pace_per_weight = sum(jan_sep_others) / others_mass if others_mass else 1.0
    pace = {
        c.id: jan_sep[c.id] / _mass(seasons[c.id], JAN_SEP)
        if _mass(seasons[c.id], JAN_SEP)
        else weights[c.id] * pace_per_weight
        for c in centers
    }
    oct_dec = apportion(
        targets.services - targets.jan_sep,
        [pace[c.id] * _mass(seasons[c.id], OCT_DEC) for c in centers],
    )
    plan: Counts = {}
    for center, late in zip(centers, oct_dec, strict=True):
        season = seasons[center.id]
        early = apportion(jan_sep[center.id], [season[m - 1] for m in JAN_SEP])
        plan[center.id] = early + apportion(late, [season[m - 1] for m in OCT_DEC])
    return plan


def _mass(season: Sequence[float], months: range) -> float:
    return sum(season[m - 1] for m in months)


def unit_target(year: int, services: int, targets: Targets) -> int:
    """Distinct units of a year: exactly the published figure for 2025."""
    if year == LAST_YEAR:
        return targets.units
    ratio = profiles.SERVICES_PER_UNIT.get(year, profiles.DEFAULT_SERVICES_PER_UNIT)
    return max(1, round(services / ratio))


def year_rng(seed: int, year: int, purpose: str) -> random.Random:
    """An independent, reproducible random stream per seed, year and purpose."""
    return random.Random(f"{seed}:{year}:{purpose}")
