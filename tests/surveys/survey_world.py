"""Small builders for the survey tests: validated reports of units with contact data."""

import itertools
from datetime import date

from citesmart.network.models import Center, Chain, ServiceCategory
from citesmart.records.models import ReportStatus, Service, ServiceReport
from citesmart.units.models import ProductiveUnit

_numbers = itertools.count(10000000)


def person(name: str, *, email: str = "", center: Center | None = None) -> ProductiveUnit:
    """A natural person (DNI): name, document and e-mail are personal data."""
    dni = str(next(_numbers))
    return ProductiveUnit.objects.create(
        document_type="dni",
        document_number=dni,
        person_dni=dni,
        name=name,
        client_type="persona_natural_negocio",
        email=email,
        registered_by=center,
    )


def served(
    center: Center,
    units: list[ProductiveUnit],
    *,
    end: date = date(2025, 3, 20),
    chain: Chain | None = None,
    status: str = ReportStatus.VALIDATED,
    code: str | None = None,
) -> ServiceReport:
    report = ServiceReport.objects.create(
        center=center,
        code=code or f"INF-{next(_numbers)}",
        category=ServiceCategory.objects.order_by("code").first(),
        chain=chain,
        start_date=end.replace(day=1),
        end_date=end,
        status=status,
    )
    for unit in units:
        Service.objects.create(report=report, unit=unit)
    return report
