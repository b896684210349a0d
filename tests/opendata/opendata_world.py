"""A small world for the open-data tests: natural persons with recognisable names and
documents, a person with RUC 10, and companies (RUC 20), served by two centers."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from citesmart.geo.models import District
from citesmart.lib.identity import random_dni, random_ruc
from citesmart.network.models import Center, ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ClientType, ProductiveUnit

FIRST = ["Florinda", "Teodomiro", "Eulalia", "Wenceslao", "Filomena", "Anacleto", "Rosaura"]
LAST = ["Quispecahuana", "Huamanttupa", "Ccoyllo", "Tintaya", "Yupanquiño", "Mamanchura"]


@dataclass
class World:
    persons: list[ProductiveUnit] = field(default_factory=list)
    companies: list[ProductiveUnit] = field(default_factory=list)
    reports: list = field(default_factory=list)
    lonely: ProductiveUnit | None = None  # a person alone in a district of her own

    @property
    def personal_documents(self) -> set[str]:
        found = set()
        for unit in self.persons:
            found.add(unit.document_number)
            if unit.person_dni:
                found.add(unit.person_dni)
        return found

    @property
    def person_names(self) -> set[str]:
        return {unit.name for unit in self.persons}


def build_world(seed: int = 11) -> World:
    rng = random.Random(seed)
    world = World()
    busy = District.objects.get(code="180101")  # Moquegua, Mariscal Nieto
    quiet = District.objects.get(code="230110")  # a district of Tacna: only `lonely` lives here
    city = District.objects.get(code="230101")  # Tacna, same province: the companies
    for number in range(12):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {LAST[number % len(LAST)]}"
        kind, document = ("dni", random_dni(rng)) if number % 3 else ("ruc", random_ruc(rng, "10"))
        unit, _ = get_or_create_unit(
            document_type=kind,
            document_number=document,
            name=name,
            client_type=ClientType.NATURAL_PERSON_BUSINESS,
            district=busy,
        )
        world.persons.append(unit)
    world.lonely, _ = get_or_create_unit(
        document_type="dni",
        document_number=random_dni(rng),
        name="Eduviges Pumacahua Sallo",
        client_type=ClientType.ENTREPRENEUR,
        district=quiet,
    )
    world.persons.append(world.lonely)
    for number in range(6):
        unit, _ = get_or_create_unit(
            document_type="ruc",
            document_number=random_ruc(rng, "20"),
            name=f"Agroexportadora Número {number} S.A.C.",
            client_type=ClientType.FORMAL_ENTERPRISE,
            district=city,
        )
        world.companies.append(unit)
    centers = [
        Center.objects.get(code="citeagroindustrial-moquegua"),
        Center.objects.get(code="citecuero-y-calzado-trujillo"),
    ]
    categories = list(ServiceCategory.objects.order_by("order")[:2])
    units = world.persons + world.companies
    for index in range(24):
        attended = rng.sample(units, rng.randint(1, 5))
        if index == 0:
            attended = [world.lonely]
        end = date(2024, 1, 10) + timedelta(days=rng.randint(0, 500))
        world.reports.append(
            record_service_report(
                center=centers[index % 2],
                code=f"OD-{index:03d}",
                start_date=end - timedelta(days=2),
                end_date=end,
                units=[AttendedUnit(u, Decimal(rng.randint(0, 300))) for u in attended],
                category=categories[index % 2],
                status=ReportStatus.VALIDATED,
                today=date(2025, 12, 31),
            ).report
        )
    return world
