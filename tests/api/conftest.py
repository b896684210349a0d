"""A small world of validated reports recorded through the actions, with natural persons
(DNI, RUC 10) and a legal entity (RUC 20), and an API client."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from stdnum.pe import ruc

from citesmart.geo.models import District
from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ClientType

TODAY = date(2025, 6, 30)


def valid_ruc(prefix: str, body: str) -> str:
    base = (prefix + body)[:10]
    return base + ruc.calc_check_digit(base)


PERSONS = [("dni", "45871236", "María Quispe Mamani"), ("dni", "41236987", "Rosa Huamán Ccori")]
PERSON_RUC10 = ("ruc", valid_ruc("10", "45998877"), "Juan Carlos Condori Apaza")
COMPANY = ("ruc", valid_ruc("20", "60001234"), "Curtiembre Andina S.A.C.")


@pytest.fixture(autouse=True)
def _api_settings(settings, read_model):
    settings.API_ANON_RATE = "10000/min"
    settings.API_TOKEN_RATE = "10000/min"
    return read_model


@pytest.fixture
def world(center_a, center_b):
    """Center A: 12 units (enough for unflagged totals); center B: 2 natural persons."""
    district = District.objects.filter(department_id="18").first()
    category = ServiceCategory.objects.order_by("order").first()

    def unit(kind, number, name, client_type=ClientType.NATURAL_PERSON_BUSINESS):
        return get_or_create_unit(
            document_type=kind,
            document_number=number,
            name=name,
            client_type=client_type,
            district=district,
        )[0]

    many = [unit("dni", f"{47_000_000 + i}", f"Persona Natural Número {i}") for i in range(10)]
    many.append(unit(*PERSON_RUC10))
    many.append(unit(*COMPANY, client_type=ClientType.FORMAL_ENTERPRISE))
    few = [unit(*p) for p in PERSONS]

    def report(center, code, units, end):
        return record_service_report(
            center=center,
            code=code,
            start_date=end - timedelta(days=2),
            end_date=end,
            units=[AttendedUnit(u, Decimal("50")) for u in units],
            category=category,
            status=ReportStatus.VALIDATED,
            today=TODAY,
        ).report

    report(center_a, "A-001", many[:6], date(2025, 3, 10))
    report(center_a, "A-002", many[6:], date(2025, 4, 12))
    report(center_b, "B-001", few, date(2025, 5, 2))
    return {"many": many, "few": few, "category": category}
