"""Builders for analytics tests: a small world of reports recorded the real way (actions)."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from citesmart.analytics import connection, refresh
from citesmart.geo.models import Department, District
from citesmart.network.models import CatalogueService, Center, Chain, Programme, ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ClientType, ProductiveUnit, SizeClass

TODAY = date(2025, 6, 30)


def make_unit(
    number: int,
    *,
    district=None,
    department=None,
    client_type=ClientType.OTHER,
    size_class=SizeClass.MICRO,
    center=None,
) -> ProductiveUnit:
    unit, _ = get_or_create_unit(
        document_type="dni",
        document_number=f"{40_000_000 + number}",
        name=f"Unidad {number}",
        client_type=client_type,
        size_class=size_class,
        district=district,
        department=department,
        center=center,
    )
    return unit


def twin_of(unit: ProductiveUnit, number: int = 1000) -> ProductiveUnit:
    """A new natural person whose id equals `unit`'s modulo 64: both set the same natural bit
    (analytics.recordkey), so a cell holding both has one more natural person than its bits
    tell (units are made, one id after another, until one matches)."""
    for n in range(number, number + 200):
        made = make_unit(n)
        if made.pk != unit.pk and made.pk % 64 == unit.pk % 64:
            return made
    raise AssertionError("no unit id equal modulo 64 in 200 new units")


def record(
    center: Center,
    code: str,
    units: list[ProductiveUnit],
    *,
    end: date,
    amounts: list[Decimal] | None = None,
    status: str = ReportStatus.VALIDATED,
    category: ServiceCategory | None = None,
    **values,
):
    """Record a report attending `units` (one service each), validated unless said otherwise."""
    amounts = amounts or [Decimal(0)] * len(units)
    attended = [AttendedUnit(u, a) for u, a in zip(units, amounts, strict=True)]
    return record_service_report(
        center=center,
        code=code,
        start_date=end - timedelta(days=3),
        end_date=end,
        units=attended,
        category=category or ServiceCategory.objects.first(),
        status=status,
        today=TODAY,
        **values,
    ).report


@dataclass
class World:
    centers: list[Center]
    units: list[ProductiveUnit]
    chains: list[Chain]
    categories: list[ServiceCategory]
    programmes: list[Programme]
    catalogue: CatalogueService
    reports: list


def build_world(seed: int = 7, reports: int = 36) -> World:
    """~36 reports over 2022-2025 in a CITE, its technical unit and another CITE."""
    rng = random.Random(seed)
    cite = Center.objects.get(code="citeagroindustrial-moquegua")
    technical_unit = cite.technical_units.first()
    other = Center.objects.get(code="citecuero-y-calzado-trujillo")
    centers = [cite, technical_unit, other]
    chains = list(Chain.objects.order_by("code")[:3])
    categories = list(ServiceCategory.objects.order_by("order")[:4])
    programmes = list(Programme.objects.order_by("code")[:2])
    catalogue = CatalogueService.objects.create(
        center=cite, name="Análisis de laboratorio", category=categories[0], tariff=Decimal(50)
    )
    districts = list(District.objects.filter(department__code__in=["18", "13", "23"])[:6])
    units = []
    for number in range(14):
        located = number % 5
        units.append(
            make_unit(
                number,
                district=districts[number % len(districts)] if located > 1 else None,
                department=Department.objects.get(code="04") if located == 1 else None,
                client_type=rng.choice(ClientType.values),
                size_class=rng.choice(SizeClass.values),
            )
        )
    made = []
    for index in range(reports):
        center = rng.choice(centers)
        attended = rng.sample(units, rng.randint(1, 4))
        free = rng.random() < 0.3
        use_catalogue = center != other and rng.random() < 0.3
        made.append(
            record(
                center,
                f"INF-{index:03d}",
                attended,
                end=date(2022, 1, 1) + timedelta(days=rng.randint(0, 1200)),
                amounts=[Decimal(0) if free else Decimal(rng.randint(10, 400)) for _ in attended],
                status=rng.choice([ReportStatus.VALIDATED] * 3 + [ReportStatus.REGISTERED]),
                category=catalogue.category if use_catalogue else rng.choice(categories),
                catalogue_service=catalogue if use_catalogue else None,
                chain=rng.choice([*chains, None]),
                is_free=free,
                programme=rng.choice([*programmes, None]) if free else None,
            )
        )
    return World(centers, units, chains, categories, programmes, catalogue, made)


def facts_snapshot() -> list[tuple]:
    """Every fact row of the current generation, in a stable order."""
    reader = connection.reader(refresh.conf.directory())
    with reader.cursor() as cursor:
        return cursor.execute("SELECT * FROM facts ORDER BY service_id").fetchall()
