"""Weighted proportions with 95 % intervals from a stratified sample with non-response.

The method (docs/SURVEYS.md): each respondent of stratum h weighs N_h / r_h — the design
weight N_h / n_h times the non-response adjustment n_h / r_h within the stratum. A domain's
proportion is a ratio of weighted sums; its variance is the stratified linearised variance
with the finite population correction; the interval is Wilson's on the effective sample size
(Korn & Graubard), which stays inside [0, 1] and behaves near 0 and 1. Django-free.

The indicators are 0/1, so a stratum enters the estimate through five counts (`Stratum`):
`analytics.surveyresults` gets them from the read model with one GROUP BY; `estimate` takes
the units one by one (the simulation test) and counts them the same way.
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
class Stratum:
    """What one stratum brings to a domain's estimate.

    `population`: N_h; `respondents`: r_h, its units that answered the item, in the domain
    or not (they carry the stratum's weight and its variance); `sampled`: its units in the
    domain; `yes` and `no`: its respondents in the domain answering 1 and 0.
    """

    population: int
    respondents: int
    sampled: int
    yes: int
    no: int


@dataclass(frozen=True)
class Estimate:
    sampled: int
    respondents: int | None  # None: suppressed (docs/SURVEYS.md, "Secrecy")
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
    counts: dict[object, list[int]] = {}  # stratum -> [r_h, sampled, yes, no]
    for unit in units:
        found = counts.setdefault(unit.stratum, [0, 0, 0, 0])
        found[0] += unit.value is not None
        if unit.in_domain:
            found[1] += 1
            if unit.value is not None:
                found[2 if unit.value else 3] += 1
    strata = [Stratum(populations[key], *found) for key, found in counts.items()]
    return estimate_strata(strata, minimum=minimum, z=z)


def estimate_strata(strata: Iterable[Stratum], *, minimum: int, z: float = Z95) -> Estimate:
    """The domain's weighted proportion from its strata's counts (every stratum of the
    survey, also those with no unit in the domain: their respondents count in r_h)."""
    strata = [s for s in strata if s.respondents or s.sampled]
    sampled = sum(s.sampled for s in strata)
    respondents = sum(s.yes + s.no for s in strata)
    rate = respondents / sampled if sampled else None
    if respondents < minimum or respondents == 0:
        return Estimate(sampled, respondents, rate, None, None, None, True)
    total_y = total_x = 0.0
    for s in strata:
        if s.respondents == 0:
            continue  # a stratum without respondents: nothing to weigh (documented bias)
        weight = s.population / s.respondents
        total_y += weight * s.yes
        total_x += weight * (s.yes + s.no)
    p = total_y / total_x
    variance = sum(_variance(s, p) for s in strata if s.respondents) / total_x**2
    if variance > 0 and 0 < p < 1:
        effective = min(respondents, p * (1 - p) / variance)
    else:
        effective = respondents
    low, high = wilson(p, effective, z)
    return Estimate(sampled, respondents, rate, p, low, high, False)


def _variance(s: Stratum, p: float) -> float:
    """N_h² (1 − r_h/N_h) s²_zh / r_h, z = (y − p)·[in domain] over the stratum's respondents:
    `yes` of them are 1 − p, `no` are −p, the others (outside the domain) 0."""
    r_h, outside = s.respondents, s.respondents - s.yes - s.no
    if r_h < 2:
        # One respondent gives no spread: take the largest a proportion can have (0.25).
        alone = (1 - p) if s.yes else (-p if s.no else 0.0)
        s2 = 0.25 if alone != 0 else 0.0
    else:
        mean = (s.yes * (1 - p) - s.no * p) / r_h
        squares = s.yes * (1 - p - mean) ** 2 + s.no * (p + mean) ** 2 + outside * mean**2
        s2 = squares / (r_h - 1)
    return s.population**2 * (1 - r_h / s.population) * s2 / r_h
