"""A small world for the one series: ITP's monthly services loaded through the loader for
2018-2020, and validated micro-records from each center's cut-over month on (issue 17, part 2).
"""

from dataclasses import dataclass
from datetime import date

from tests.analytics.analytics_world import make_unit, record
from tests.historic.cost_world import load

from citesmart.historic.models import TableKind
from citesmart.network.models import Center, ServiceCategory
from citesmart.records.models import ReportStatus

YEARS = (2018, 2019, 2020)


@dataclass
class SeriesWorld:
    cite: Center  # aggregates 2018-2020, records from 2019-04 (its 2020 aggregates overlap)
    technical_unit: Center  # aggregates 2018-2019, records from 2019-07
    other: Center  # aggregates 2018-2019, records from 2020-01 (a registered report 2019-05)
    historic_only: Center  # aggregates only
    categories: list[ServiceCategory]


def months(base: int, *, upto: int = 12) -> list[int]:
    return [base + n if n <= upto else 0 for n in range(1, 13)]


def build_series_world() -> SeriesWorld:
    get = Center.objects.get
    cite = get(code="citeagroindustrial-moquegua")
    world = SeriesWorld(
        cite=cite,
        technical_unit=cite.technical_units.first(),
        other=get(code="citecuero-y-calzado-trujillo"),
        historic_only=get(code="citeccal-lima"),
        categories=list(ServiceCategory.objects.order_by("code")[:2]),
    )
    first, second = world.categories
    rows = []
    plan = {
        world.cite: (2018, 2019, 2020),
        world.technical_unit: (2018, 2019),
        world.other: (2018, 2019),
        world.historic_only: (2018, 2019),
    }
    for number, (center, years) in enumerate(plan.items()):
        for year in years:
            rows.append([center.name, year, first.name, f"31/12/{year}", *months(10 * number)])
            rows.append([center.name, year, second.name, f"31/12/{year}", *months(year - 2015)])
    load(TableKind.SERVICES, [[str(v) for v in row] for row in rows])
    units = [make_unit(n) for n in range(8)]
    served = [
        (world.cite, date(2019, 4, 10), units[:6]),
        (world.cite, date(2019, 9, 20), units[1:8]),
        (world.cite, date(2020, 2, 14), units[:7]),
        (world.technical_unit, date(2019, 7, 3), units[2:8]),
        (world.other, date(2020, 1, 30), units[:8]),
        (world.other, date(2020, 11, 5), units[:6]),
    ]
    for number, (center, end, attended) in enumerate(served):
        record(center, f"SERIE-{number:02d}", attended, end=end, category=first)
    # A registered report is not a micro-record of the public series: no cut-over moves.
    registered = ReportStatus.REGISTERED
    record(world.other, "SERIE-REG", units[:5], end=date(2019, 5, 5), status=registered)
    return world
