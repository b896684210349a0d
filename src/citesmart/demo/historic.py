"""Demo institutional tables for 2016–2018, drawn from the demo records of 2019.

Each center's services per subcategory and month, clients per type and month, by CIIU class
and by taxpayer type are its 2019 figures scaled back by the network's growth
(demo.profiles.GROWTH) with a small deterministic variation per center and year.
Public CITEs (the ones ITP funds and staffs) also get a budget (PIM and its monthly execution
by funding source) and staff in proportion to their size, and the investment project that
built them. Budgets also cover the years of the demo records (2019 on, sized by each year's
validated services), so the cost per service (historic.cost) has a year to show.
Everything is written through the loader, as files in ITP's layout, in batches marked as
demonstration (`is_demo`, file name "demostración"); a rerun changes nothing.
"""

import hashlib
import io
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count
from django.db.models.functions import ExtractMonth, ExtractYear

from citesmart.demo.profiles import GROWTH, SEASON
from citesmart.historic.loader import LoadResult, load_table
from citesmart.historic.models import TableKind
from citesmart.historic.specs import SPECS
from citesmart.lib.spreadsheets import write_csv
from citesmart.network.models import Center
from citesmart.ops.demo import mark_demo
from citesmart.records.models import ReportStatus, Service
from citesmart.units.models import ClientType

BASE_YEAR = 2019
YEARS = (2016, 2017, 2018)
TAXPAYER_SPLIT = {
    "empresa_formal": (
        ("Sociedad anónima cerrada", 0.55),
        ("Empresa individual de responsabilidad limitada", 0.25),
        ("Sociedad comercial de responsabilidad limitada", 0.2),
    ),
    "persona_natural_negocio": (("Persona natural con negocio", 1.0),),
    "asociacion_cooperativa": (("Asociación", 0.7), ("Cooperativas, SAIS, CAPS", 0.3)),
}
SOURCES = (("Recursos ordinarios", 0.78), ("Recursos directamente recaudados", 0.22))
EXECUTION_SEASON = (*SEASON[:11], 2.2)  # public spending peaks in December
ASPECTS = (
    ("Proyecto", "Cerrado y liquidado"),
    ("Saneamiento físico", "Terreno saneado e inscrito"),
    ("Infraestructura", "Obra culminada"),
    ("Equipamiento", "Equipos instalados y operativos"),
    ("Suministro eléctrico", "Conectado, potencia contratada suficiente"),
    ("Suministro de agua", "Conectado a la red pública"),
    ("Aguas residuales", "Planta de tratamiento operativa"),
    ("Capacitación y asistencia técnica", "Culminado"),
    ("Fecha prevista de inauguración", "Inaugurado"),
)


def variation(*parts: object, low: float = 0.9, high: float = 1.1) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return low + (high - low) * int.from_bytes(digest[:4]) / 0xFFFFFFFF


def load_demo_historic(
    years: tuple[int, ...] = YEARS, say: Callable[[str], None] = print
) -> list[LoadResult]:
    """Load every demo table; raises ValueError if 2019 has no records or a table fails."""
    base = _Base(BASE_YEAR)
    if not base.services:
        raise ValueError(
            f"No hay servicios validados de {BASE_YEAR}: ejecute primero «citesmart demo_data»."
        )
    tables = {
        TableKind.SERVICES: base.services_rows(years),
        TableKind.CLIENTS: base.client_rows(years),
        TableKind.CLIENTS_CIIU: base.yearly_rows(base.ciiu, years),
        TableKind.CLIENTS_TAXPAYER: base.yearly_rows(base.taxpayers, years),
        TableKind.BUDGET: base.budget_rows((*years, *base.record_years)),
        TableKind.EXECUTION: base.execution_rows((*years, *base.record_years)),
        TableKind.STAFF: base.staff_rows(years),
        TableKind.PROJECTS: base.project_rows(),
    }
    results = []
    mark_demo("demo_historic")
    for kind, rows in tables.items():
        buffer = io.BytesIO()
        write_csv(buffer, SPECS[kind].headers, rows, delimiter=";")
        result = load_table(buffer, kind=kind, filename=f"demostracion-{kind}.csv", demo=True)
        if not result.ok:
            problems = "; ".join(map(str, result.errors[:5]))
            raise ValueError(f"{SPECS[kind].itp}: {result.summary} {problems}")
        say(f"{SPECS[kind].itp} ({kind}): {result.summary}")
        results.append(result)
    return results


class _Base:
    """The base year's figures per center, read once from the records."""

    def __init__(self, year: int) -> None:
        services = Service.objects.filter(
            report__status=ReportStatus.VALIDATED, report__end_date__year=year
        ).annotate(month=ExtractMonth("report__end_date"))
        self.services = self._group(
            services, ("report__center_id", "report__category__name", "month"), "pk"
        )
        self.clients = self._group(
            services, ("report__center_id", "unit__client_type", "month"), "unit_id"
        )
        self.ciiu = self._group(
            services.exclude(unit__ciiu=""), ("report__center_id", "unit__ciiu"), "unit_id"
        )
        by_type = self._group(services, ("report__center_id", "unit__client_type"), "unit_id")
        self.taxpayers: dict[tuple, int] = defaultdict(int)
        for (center_id, client_type), n in by_type.items():
            for name, share in TAXPAYER_SPLIT.get(client_type, ()):
                if round(n * share):
                    self.taxpayers[(center_id, name)] += round(n * share)
        ids = {key[0] for key in self.services}
        self.centers = {c.pk: c for c in Center.objects.filter(pk__in=ids)}
        self.size = defaultdict(int)
        for key, n in self.services.items():
            self.size[key[0]] += n
        # Validated services per (center, year) of every year of records, for the budgets.
        recorded = Service.objects.filter(
            report__status=ReportStatus.VALIDATED, report__end_date__year__gte=year
        ).annotate(year=ExtractYear("report__end_date"))
        self.recorded = self._group(recorded, ("report__center_id", "year"), "pk")
        self.record_years = tuple(sorted({y for _, y in self.recorded}))

    @staticmethod
    def _group(queryset, fields: tuple[str, ...], counted: str) -> dict[tuple, int]:
        rows = queryset.values(*fields).annotate(n=Count(counted, distinct=True))
        return {tuple(row[f] for f in fields): row["n"] for row in rows}

    def scaled(self, n: float, year: int, *salt: object) -> int:
        factor = GROWTH[year] / GROWTH[BASE_YEAR] * variation(*salt, year)
        return round(n * factor)

    def _monthly(self, figures: dict[tuple, int], years, first_cell: Callable) -> list[list]:
        lines: dict[tuple, list] = {}
        for (center_id, dimension, month), n in sorted(figures.items(), key=str):
            center = self.centers[center_id]
            for year in years:
                line = lines.setdefault(
                    (center_id, dimension, year), first_cell(center, year, dimension)
                )
                line[-12 + month - 1] = self.scaled(n, year, center.code, dimension)
        return list(lines.values())

    def services_rows(self, years) -> list[list]:
        return self._monthly(
            self.services, years, lambda c, y, d: [c.name, y, d, f"31/12/{y}", *[None] * 12]
        )

    def client_rows(self, years) -> list[list]:
        return self._monthly(
            self.clients,
            years,
            lambda c, y, d: [c.name, y, _client_label(d), f"31/12/{y}", "ITP", *[None] * 12],
        )

    def yearly_rows(self, figures: dict[tuple, int], years) -> list[list]:
        rows = []
        for (center_id, dimension), n in sorted(figures.items(), key=str):
            center = self.centers[center_id]
            for year in years:
                value = max(1, self.scaled(n, year, center.code, dimension))
                rows.append([center.name, dimension, year, value, f"31/12/{year}"])
        return rows

    def public(self) -> list[Center]:
        return [c for c in self.centers.values() if c.kind == Center.Kind.PUBLIC]

    def services_in(self, center: Center, year: int) -> int:
        if year >= BASE_YEAR:
            return self.recorded.get((center.pk, year), 0)
        return self.scaled(self.size[center.pk], year, center.code)

    def pim(self, center: Center, year: int) -> Decimal:
        services = self.services_in(center, year)
        value = (1_200_000 + 900 * services) * variation(center.code, "pim", year)
        return Decimal(round(value, -3))

    def budget_rows(self, years) -> list[list]:
        return [
            [c.name, year, f"{self.pim(c, year):,.2f}", f"31/12/{year}"]
            for c in self.public()
            for year in years
        ]

    def execution_rows(self, years) -> list[list]:
        rows = []
        weight = sum(EXECUTION_SEASON)
        for center in self.public():
            for year in years:
                spent = self.pim(center, year) * Decimal(
                    variation(center.code, "ejecucion", year, low=0.82, high=0.95)
                )
                for source, share in SOURCES:
                    months = [
                        f"{spent * Decimal(share * s / weight):,.2f}" for s in EXECUTION_SEASON
                    ]
                    rows.append([center.name, year, f"31/12/{year}", source, *months])
        return rows

    def staff_rows(self, years) -> list[list]:
        rows = []
        for center in self.public():
            for year in years:
                services = self.services_in(center, year)
                cas = [1, max(3, services // 180), max(1, services // 500)]
                cas += [2 + services // 1500, 1 + services // 1000]
                hired = [0, max(1, cas[1] // 2), cas[2] // 2, 0, 0]
                for modality, people in (("CAS", cas), ("Locación de servicios", hired)):
                    rows.append([center.name, year, modality, f"31/12/{year}", *people])
        return rows

    def project_rows(self) -> list[list]:
        rows = []
        for center in self.public():
            start = date(2014, 1, 1) + timedelta(
                days=int(variation(center.code, "inicio", low=0, high=700))
            )
            end = start + timedelta(days=int(variation(center.code, "fin", low=900, high=1300)))
            amount = Decimal(round(variation(center.code, "monto", low=6e6, high=2.2e7), -3))
            cui = str(2_000_000 + int(variation(center.code, "cui", low=0, high=399_999)))
            project = [center.name, cui, f"Creación de los servicios del {center.name}"]
            project += [f"{amount:,.2f}", start, end]
            for aspect, status in ASPECTS:
                rows.append([*project, aspect, status, end + timedelta(days=60)])
        return rows


def _client_label(value: str) -> str:
    return str(ClientType(value).label)
