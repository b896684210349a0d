"""Demo service reports of one center-year: filled to the planned counts, then given clients.

Validated reports hold exactly the planned services. Cancelled reports (and, at the end of the
data, reports still registered) are extra: they never count, so they do not move the totals.
"""

import calendar
import math
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from citesmart.demo import profiles
from citesmart.demo.calibration import apportion
from citesmart.demo.units import PlanUnit
from citesmart.demo.world import CatalogueItem, CenterInfo, Vocabulary

CODE_PREFIX = "DEMO-INF"
CANCELLED_SHARE = 0.012
REGISTERED_SHARE = 0.06  # of December's reports of the last year, still to be validated
REGISTERED_FROM_DAY = 10
ZERO = Decimal("0")


@dataclass(slots=True)
class PlanReport:
    center_id: int
    category: str
    chain_id: int | None
    start: date
    end: date
    size: int
    status: str = "validado"
    code: str = ""
    catalogue: CatalogueItem | None = None
    is_free: bool = False
    programme_id: int | None = None
    participants: int | None = None
    hours: int | None = None
    cancel_reason: str = ""
    units: list[PlanUnit] = field(default_factory=list)
    amounts: list[Decimal] = field(default_factory=list)


@dataclass
class CenterYear:
    """What one center needs to build its reports of a year."""

    center: CenterInfo
    year: int
    months: list[int]  # validated services per month
    pool: list[PlanUnit]
    partners: list[PlanUnit]  # other centers' clients of the year (same chain or place)
    catalogue: list[CatalogueItem]
    last_year: bool


def build_center_year(job: CenterYear, vocab: Vocabulary, rng: random.Random) -> list[PlanReport]:
    """All reports of a center-year, coded in date order."""
    cap = max(1, len(job.pool))
    reports = [
        report
        for month, services in enumerate(job.months, start=1)
        if services
        for report in _month_reports(job.center, job.year, month, services, cap, rng)
    ]
    reports.sort(key=lambda r: r.end)
    assign_units(reports, job.pool, job.partners, rng)
    reports += _extras(job, reports, rng)
    for report in reports:
        _price(report, job.catalogue, vocab, rng)
    reports.sort(key=lambda r: (r.end, r.start))
    for number, report in enumerate(reports, start=1):
        report.code = f"{CODE_PREFIX}-{job.year}-{number:06d}"
    return reports


def _month_reports(
    center: CenterInfo, year: int, month: int, services: int, cap: int, rng: random.Random
) -> list[PlanReport]:
    mix = profiles.CATEGORY_MIX[center.family]
    categories = list(mix)
    split = apportion(services, [mix[c] * rng.uniform(0.8, 1.2) for c in categories])
    reports = []
    for category, n in zip(categories, split, strict=True):
        for size in split_sizes(n, category, cap, rng):
            end = _day_in(year, month, rng)
            low, high = profiles.DURATION_DAYS[category]
            report = PlanReport(
                center_id=center.id,
                category=category,
                chain_id=_chain(center, rng),
                start=end - timedelta(days=rng.randint(low, high)),
                end=end,
                size=size,
            )
            _people(report, rng)
            reports.append(report)
    return reports


def split_sizes(services: int, category: str, cap: int, rng: random.Random) -> list[int]:
    """Units per report: groups for trainings and certifications, mostly one otherwise."""
    sizes = []
    if category not in profiles.GROUP_SIZES:
        while services > 0:
            size = rng.randint(2, 4) if rng.random() < profiles.SMALL_GROUP_SHARE else 1
            sizes.append(min(size, services, cap))
            services -= sizes[-1]
        return sizes
    low, high = profiles.GROUP_SIZES[category]
    high = min(high, cap)
    low = min(low, high)
    while services > 0:
        if services <= high:
            size = services
        else:
            size = rng.randint(low, high)
            if services - size < low:
                size = services - low
        sizes.append(size)
        services -= size
    return sizes


def _day_in(year: int, month: int, rng: random.Random, first: int = 1) -> date:
    """A working day of the month (Sundays move to the Saturday before, or the Monday after)."""
    last = calendar.monthrange(year, month)[1]
    day = date(year, month, rng.randint(first, last))
    if day.weekday() == 6:
        day += timedelta(days=-1 if day.day > first else 1)
    return day


def _chain(center: CenterInfo, rng: random.Random) -> int | None:
    if not center.chain_ids:
        return None
    return center.chain_ids[0 if rng.random() < 0.5 else rng.randrange(len(center.chain_ids))]


def _people(report: PlanReport, rng: random.Random) -> None:
    if report.category == profiles.CAP:
        report.participants = report.size + rng.randint(0, report.size)
        report.hours = rng.choice(profiles.TRAINING_HOURS)
    elif report.category == profiles.CERT:
        report.participants = report.size + rng.randint(0, report.size // 2)


def assign_units(
    reports: Sequence[PlanReport],
    pool: Sequence[PlanUnit],
    partners: Sequence[PlanUnit],
    rng: random.Random,
) -> None:
    """Give each report distinct units so that every pool unit gets at least one service.

    A slot takes a not-yet-served pool unit with probability uncovered/remaining slots, which
    spreads first services over the year and becomes certain when the two are equal; otherwise
    it repeats a client, weighted by activity, or now and then serves another center's client.
    """
    remaining = sum(r.size for r in reports)
    if len(pool) > remaining:
        raise ValueError("Un centro tiene más clientes que servicios en el año.")
    queue = list(pool)
    rng.shuffle(queue)
    in_pool = {u.key for u in pool}
    served: set[int] = set()
    cumulative = list(accumulate(u.activity for u in pool))
    position = 0
    for report in reports:
        taken: set[int] = set()
        for _ in range(report.size):
            uncovered = len(pool) - len(served)
            unit = None
            if (
                partners
                and remaining - 1 >= uncovered
                and rng.random() < profiles.CROSS_CENTER_SHARE
            ):
                unit = rng.choice(partners)
            if (
                (unit is None or unit.key in taken)
                and uncovered
                and (rng.random() * remaining < uncovered)
            ):
                while queue[position].key in served:
                    position += 1
                unit = queue[position]
            if unit is None or unit.key in taken:
                unit = _repeat_client(pool, cumulative, taken, partners, rng)
            taken.add(unit.key)
            if unit.key in in_pool:
                served.add(unit.key)
            report.units.append(unit)
            remaining -= 1
    if len(served) != len(pool):
        raise AssertionError("Quedaron clientes del año sin servicio.")


def _repeat_client(
    pool: Sequence[PlanUnit],
    cumulative: list[float],
    taken: set[int],
    partners: Sequence[PlanUnit],
    rng: random.Random,
) -> PlanUnit:
    candidates = pool or partners
    for _ in range(8):
        if pool:
            unit = pool[bisect(cumulative, rng.random() * cumulative[-1])]
        else:
            unit = rng.choice(partners)
        if unit.key not in taken:
            return unit
    start = rng.randrange(len(candidates))
    for offset in range(len(candidates)):
        unit = candidates[(start + offset) % len(candidates)]
        if unit.key not in taken:
            return unit
    raise ValueError("No hay unidades suficientes para un informe grupal.")


def _extras(job: CenterYear, reports: list[PlanReport], rng: random.Random) -> list[PlanReport]:
    """Cancelled reports over the year and, at the end of the data, reports still registered."""
    if not reports:
        return []
    extras = []
    for _ in range(_some(CANCELLED_SHARE * len(reports), rng)):
        template = rng.choice(reports)
        extra = _copy(template, template.end.month, job, rng, status="anulado")
        extra.cancel_reason = rng.choice(profiles.CANCEL_REASONS)
        extras.append(extra)
    if job.last_year:
        december = [r for r in reports if r.end.month == 12]
        for _ in range(math.ceil(REGISTERED_SHARE * len(december))):
            extras.append(_copy(rng.choice(december), 12, job, rng, status="registrado"))
    return extras


def _some(expected: float, rng: random.Random) -> int:
    """An integer with this expected value (small centers get one now and then)."""
    return int(expected) + (rng.random() < expected - int(expected))


def _copy(
    template: PlanReport, month: int, job: CenterYear, rng: random.Random, *, status: str
) -> PlanReport:
    first = REGISTERED_FROM_DAY if status == "registrado" else 1
    end = _day_in(job.year, month, rng, first=first)
    report = PlanReport(
        center_id=template.center_id,
        category=template.category,
        chain_id=template.chain_id,
        start=end - (template.end - template.start),
        end=end,
        size=template.size,
        status=status,
        participants=template.participants,
        hours=template.hours,
    )
    clients = job.pool if len(job.pool) >= template.size else template.units
    report.units = rng.sample(list(clients), template.size)
    return report


def _price(
    report: PlanReport, catalogue: list[CatalogueItem], vocab: Vocabulary, rng: random.Random
) -> None:
    """Catalogue service, programme and amounts: mostly the tariff; free services are 0."""
    offered = [
        item
        for item in catalogue
        if item.category == report.category
        and (item.valid_from is None or item.valid_from <= report.start)
    ]
    free = [item for item in offered if item.tariff is None]
    paid = [item for item in offered if item.tariff is not None]
    if free and rng.random() < profiles.FREE_SHARE:
        report.catalogue = rng.choice(free)
        report.is_free, report.programme_id = True, report.catalogue.programme_id
    elif paid and rng.random() < 0.85:
        report.catalogue = rng.choice(paid)
    if _voucher(report, vocab, rng):
        report.is_free = True
        report.programme_id = vocab.programmes[profiles.VOUCHER_PROGRAMME_CODE]
    if report.is_free:
        report.amounts = [ZERO] * len(report.units)
        return
    tariff = report.catalogue.tariff if report.catalogue else None
    if tariff is None:
        base = profiles.DEFAULT_TARIFF[report.category] * rng.choice((0.8, 1, 1, 1.25))
        tariff = Decimal(round(base, -1))
    report.amounts = [_amount(tariff, rng) for _ in report.units]


def _voucher(report: PlanReport, vocab: Vocabulary, rng: random.Random) -> bool:
    start, end = profiles.VOUCHER_MONTHS
    return (
        profiles.VOUCHER_PROGRAMME_CODE in vocab.programmes
        and start <= report.end <= end
        and report.category != profiles.INFO
        and rng.random() < profiles.VOUCHER_SHARE
    )


def _amount(tariff: Decimal, rng: random.Random) -> Decimal:
    draw = rng.random()
    if draw < 0.9:
        return tariff
    if draw < 0.97:
        return (tariff / 2).quantize(Decimal("0.01"))  # MYPE discount
    return ZERO  # exonerated
