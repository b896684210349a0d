"""A small world for the cost per service: validated reports recorded through the actions and
ITP's budget, execution and investment tables loaded through the loader, as ITP sends them."""

import io
from dataclasses import dataclass
from datetime import date

from tests.analytics.analytics_world import make_unit, record

from citesmart.historic.loader import load_table
from citesmart.historic.models import TableKind
from citesmart.historic.specs import SPECS
from citesmart.lib.spreadsheets import write_csv
from citesmart.network.models import Center
from citesmart.records.models import ReportStatus

YEARS = (2023, 2024)


@dataclass
class CostWorld:
    cite: Center  # budget both years, many units; its technical unit is served apart
    technical_unit: Center  # services, no budget of its own
    other: Center  # budget both years
    small: Center  # budget, two natural persons: its cell is reserved
    unfunded: Center  # services, no budget at all
    pim_only: Center  # a PIM, no execution, no services
    idle: Center  # execution in 2024, no services


def load(kind: str, rows: list[list]) -> None:
    buffer = io.BytesIO()
    write_csv(buffer, SPECS[kind].headers, rows, delimiter=";")
    result = load_table(buffer, kind=kind, filename=f"prueba-{kind}.csv")
    assert result.ok, result.errors


def execution(center: Center, year: int, monthly: dict[str, list[str]]) -> list[list]:
    return [
        [center.name, year, f"31/12/{year}", source, *amounts]
        for source, amounts in monthly.items()
    ]


def build_cost_world() -> CostWorld:
    get = Center.objects.get
    cite = get(code="citeagroindustrial-moquegua")
    world = CostWorld(
        cite=cite,
        technical_unit=cite.technical_units.first(),
        other=get(code="citecuero-y-calzado-trujillo"),
        small=get(code="citemadera-y-del-mueble-lima"),
        unfunded=get(code="citeccal-lima"),
        pim_only=get(code="citetextil-camelidos-cusco"),
        idle=get(code="citeagroindustrial-chavimochic"),
    )
    units = [make_unit(n) for n in range(12)]
    served = {
        world.cite: {2023: units[:6], 2024: units[:9]},
        world.technical_unit: {2024: units[3:9]},
        world.other: {2023: units[4:11], 2024: units[5:12]},
        world.small: {2023: units[:2], 2024: units[10:12]},
        world.unfunded: {2023: units[:7], 2024: units[2:8]},
    }
    number = 0
    for center, years in served.items():
        for year, attended in years.items():
            for month in (3, 8):
                number += 1
                record(center, f"COSTO-{number:03d}", attended, end=date(year, month, 20))
    # Neither registered nor cancelled reports count: only validated ones.
    record(world.other, "COSTO-REG", units, end=date(2024, 5, 5), status=ReportStatus.REGISTERED)
    months = ["10,000.50"] * 11 + ["25,321.17"]
    load(
        TableKind.BUDGET,
        [
            [c.name, y, "2,450,000.00", f"31/12/{y}"]
            for c in (world.cite, world.other, world.small, world.pim_only)
            for y in YEARS
        ]
        + [[world.idle.name, 2024, "1,000,000.00", "31/12/2024"]],
    )
    rows = []
    for year in YEARS:
        rows += execution(
            world.cite,
            year,
            {"Recursos ordinarios": months, "Recursos directamente recaudados": ["1,234.56"] * 12},
        )
        rows += execution(
            world.other, year, {"Recursos ordinarios": [f"{year - 2000},003.33"] * 12}
        )
        rows += execution(world.small, year, {"Recursos ordinarios": ["500.00"] * 12})
    rows += execution(world.idle, 2024, {"Recursos ordinarios": ["7,000.00"] * 12})
    load(TableKind.EXECUTION, rows)
    load(
        TableKind.PROJECTS,
        [
            [world.cite.name, "2234567", "Creación de los servicios del CITE", "12,500,000.00",
             "15/03/2016", "30/12/2018", "Infraestructura", "Culminado", "01/10/2020"],
            [world.cite.name, "2456789", "Mejoramiento del laboratorio", "1,750,000.25",
             "01/02/2022", "", "Equipamiento", "En ejecución", ""],
        ],
    )  # fmt: skip
    return world
