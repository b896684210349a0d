"""Weighted proportions with 95 % intervals from a stratified sample with non-response.

The method (docs/SURVEYS.md): each respondent of stratum h weighs N_h / r_h — the design
weight N_h / n_h times the non-response adjustment n_h / r_h within the stratum. A domain's
proportion is a ratio of weighted sums; its variance is the stratified linearised variance
with the finite population correction; the interval is Wilson's on the effective sample size
(Korn & Graubard), which stays inside [0, 1] and behaves near 0 and 1. Django-free.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959964


@dataclass(frozen=True)
class Unit:
    """One sampled unit: its stratum, whether it answered the item, and its answer (0/1)."""

    stratum: object
    value: bool | None  # None: did not answer (non-response)
    in_domain: bool = True


@dataclass(frozen=True)
class Estimate:
    sampled: int
    respondents: int
    response_rate: float | None
    proportion: float | None
    low: float | None
    high: float | None
    suppressed: bool


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    if n <= 0:
        return 0.0, 1.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate(units: Iterable[Unit], populations: dict, *, minimum: int, z: float = Z95) -> Estimate:
    """The domain's weighted proportion; `populations` gives N_h of every stratum."""
    by_stratum: dict[object, list[Unit]] = {}
    for unit in units:
        by_stratum.setdefault(unit.stratum, []).append(unit)
    sampled = sum(u.in_domain for units_h in by_stratum.values() for u in units_h)
    answered = [
        u for units_h in by_stratum.values() for u in units_h if u.in_domain and u.value is not None
    ]
    respondents = len(answered)
    rate = respondents / sampled if sampled else None
    if respondents < minimum or respondents == 0:
        return Estimate(sampled, respondents, rate, None, None, None, True)
    total_y = total_x = 0.0
    weights: dict[object, float] = {}
    for key, units_h in by_stratum.items():
        r_h = sum(u.value is not None for u in units_h)
        if r_h == 0:
            continue  # a stratum without respondents: nothing to weigh (documented bias)
        weights[key] = populations[key] / r_h
        for u in units_h:
            if u.in_domain and u.value is not None:
                total_y += weights[key] * u.value
                total_x += weights[key]
    p = total_y / total_x
    variance = _variance(by_stratum, populations, weights, p) / total_x**2
    if variance > 0 and 0 < p < 1:
        effective = min(respondents, p * (1 - p) / variance)
    else:
        effective = respondents
    low, high = wilson(p, effective, z)
    return Estimate(sampled, respondents, rate, p, low, high, False)


def _variance(by_stratum, populations, weights, p: float) -> float:
    """Σ_h N_h² (1 − r_h/N_h) s²_zh / r_h, z = (y − p)·[in domain] over the respondents."""
    total = 0.0
    for key, units_h in by_stratum.items():
        if key not in weights:
            continue
        z = [(u.value - p) if u.in_domain else 0.0 for u in units_h if u.value is not None]
        r_h, n_pop = len(z), populations[key]
        if r_h < 2:
            # One respondent gives no spread: take the largest a proportion can have (0.25).
            s2 = 0.25 if z[0] != 0 else 0.0
        else:
            mean = sum(z) / r_h
            s2 = sum((v - mean) ** 2 for v in z) / (r_h - 1)
        total += n_pop**2 * (1 - r_h / n_pop) * s2 / r_h
    return total
