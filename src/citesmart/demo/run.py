"""The demo history, year by year: plan the counts, make the clients, build reports, write."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from citesmart.demo import calibration, store
from citesmart.demo.calibration import Counts, Targets
from citesmart.demo.reports import CenterYear, PlanReport, build_center_year
from citesmart.demo.units import PlanUnit, UnitFactory, build_pools, pool_sizes
from citesmart.demo.world import (
    CatalogueItem,
    CenterInfo,
    Geography,
    Vocabulary,
    load_centers,
    load_geography,
    load_vocabulary,
)
from citesmart.ops.demo import mark_demo

FIRST_YEAR = min(calibration.profiles.GROWTH)


@dataclass(frozen=True)
class DemoParams:
    first_year: int = 2019
    last_year: int = calibration.LAST_YEAR
    seed: int = 2025
    scale: float = 1.0

    def validate(self, today: date) -> None:
        if not FIRST_YEAR <= self.first_year <= self.last_year <= calibration.LAST_YEAR:
            raise ValueError(
                f"Los años deben estar entre {FIRST_YEAR} y {calibration.LAST_YEAR}, en orden."
            )
        if date(self.last_year, 12, 31) >= today:
            raise ValueError(f"La historia debe terminar antes de hoy ({today:%d/%m/%Y}).")
        if not 0 < self.scale <= 1:
            raise ValueError("La escala debe ser mayor que 0 y como máximo 1.")

    def as_dict(self) -> dict:
        return {"years": [self.first_year, self.last_year], "seed": self.seed, "scale": self.scale}

    def label(self) -> str:
        years = f"{self.first_year}-{self.last_year}" if self.last_year > self.first_year else ""
        return f"años {years or self.first_year}, semilla {self.seed}, escala {self.scale:g}"

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


@dataclass
class World:
    """Everything the generator reads from the registry, once, plus what it carries over years."""

    centers: list[CenterInfo]
    geography: Geography
    vocab: Vocabulary
    catalogue: dict[int, list[CatalogueItem]]
    targets: Targets
    factory: UnitFactory
    history: dict[int, list[PlanUnit]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class YearPlan:
    year: int
    counts: Counts
    new_units: list[PlanUnit]
    reports: list[PlanReport]


def load_demo(
    params: DemoParams, *, force: bool = False, say: Callable[[str], None] = print
) -> list[store.YearSummary]:
    """Replace the demo history with a fresh one (or keep it if already loaded alike)."""
    params.validate(timezone.localdate())
    mark_demo("demo_data")  # also when already loaded: a database from before the mark
    if not force and store.already_loaded(params.as_dict()):
        say(f"Los datos de demostración ya están cargados ({params.label()}); no se cambió nada.")
        return []
    removed, _ = store.delete_demo_data()
    if removed:
        say(f"Se eliminaron {removed:,} informes de demostración anteriores.")
    world = open_world(params, catalogue=None)
    run = timezone.now().isoformat()
    summaries = []
    for year in params.years:
        plan = build_year(world, year, params)
        summary = store.write_year(
            year=year,
            units=plan.new_units,
            reports=plan.reports,
            centers={c.id: c for c in world.centers},
            vocab=world.vocab,
            params=params.as_dict(),
            run=run,
        )
        say(summary.line())
        summaries.append(summary)
    store.refresh_statistics()
    say("Para verlos en el portal, reconstruya el modelo analítico: citesmart analytics rebuild")
    return summaries


def open_world(params: DemoParams, *, catalogue: dict[int, list[CatalogueItem]] | None) -> World:
    """Read the registry; write the demo catalogue unless one is given (pure planning)."""
    centers = load_centers()
    vocab = load_vocabulary()
    geography = load_geography()
    return World(
        centers=centers,
        geography=geography,
        vocab=vocab,
        catalogue=catalogue if catalogue is not None else store.sync_catalogue(centers, vocab),
        targets=calibration.published_targets().scaled(params.scale),
        factory=UnitFactory(geography, store.used_documents()),
    )


def plan_counts(world: World, year: int, params: DemoParams) -> Counts:
    """Validated services per center and month of one year (pure; exact targets for 2025)."""
    rng = calibration.year_rng(params.seed, year, "counts")
    return calibration.plan_year(world.centers, year, world.targets, rng)


def build_year(world: World, year: int, params: DemoParams) -> YearPlan:
    """Counts, clients and reports of one year, in memory."""
    counts = plan_counts(world, year, params)
    services = sum(sum(months) for months in counts.values())
    target = calibration.unit_target(year, services, world.targets)
    rng = calibration.year_rng(params.seed, year, "units")
    pools, created = build_pools(
        year=year,
        centers=world.centers,
        sizes=pool_sizes(world.centers, counts, target),
        history=world.history,
        factory=world.factory,
        rng=rng,
    )
    rng = calibration.year_rng(params.seed, year, "reports")
    reports: list[PlanReport] = []
    for center in world.centers:
        job = CenterYear(
            center=center,
            year=year,
            months=counts[center.id],
            pool=pools[center.id],
            partners=_partners(center, world.centers, pools),
            catalogue=world.catalogue.get(center.id, []),
            last_year=year == params.last_year,
        )
        reports += build_center_year(job, world.vocab, rng)
    _first_dates(reports)
    return YearPlan(year=year, counts=counts, new_units=created, reports=reports)


def _partners(
    center: CenterInfo, centers: Sequence[CenterInfo], pools: dict[int, list[PlanUnit]]
) -> list[PlanUnit]:
    """Clients of other centers sharing a chain or the seat department (all, if none)."""
    related = [
        other
        for other in centers
        if other.id != center.id
        and (
            set(other.chain_ids) & set(center.chain_ids)
            or (center.department_id and other.department_id == center.department_id)
        )
    ]
    chosen = related if any(pools[o.id] for o in related) else centers
    return [unit for other in chosen if other.id != center.id for unit in pools[other.id]]


def _first_dates(reports: Sequence[PlanReport]) -> None:
    """A new unit's consent date: the start of its first service."""
    for report in reports:
        for unit in report.units:
            if unit.first_date is None or report.start < unit.first_date:
                unit.first_date = report.start
