"""A world for the secrecy attacker: three departments served by three centers in 2024.

In each department a first center serves companies and natural persons, a second six natural
persons, and a third a single natural person (a cell that must stay secret: one unit, a
natural person). Reports spread over months, chains and categories.
"""

import random
from collections import Counter
from datetime import date

from analytics_world import make_unit, record

from citesmart.geo.models import District
from citesmart.lib.identity import random_ruc
from citesmart.network.models import Center, Chain, ServiceCategory
from citesmart.records.models import ReportStatus, Service
from citesmart.records.unit_actions import get_or_create_unit
from citesmart.units.models import ClientType

DEPARTMENTS = ("18", "13", "23")


def centers() -> list[Center]:
    """Three CITEs without technical units (a center filter then selects one center)."""
    found = Center.objects.exclude(kind=Center.Kind.TECHNICAL_UNIT).filter(
        technical_units__isnull=True
    )
    return list(found.order_by("code")[:3])


def _company(number: int, district: District):
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number=random_ruc(random.Random(number), "20"),
        name=f"Empresa {number} SAC",
        client_type=ClientType.FORMAL_ENTERPRISE,
        district=district,
    )
    return unit


def build() -> list[Center]:
    rng = random.Random(5)
    chosen = centers()
    chains = list(Chain.objects.order_by("code")[:2])
    categories = list(ServiceCategory.objects.order_by("order")[:2])
    serial = iter(range(1000))
    for d_index, code in enumerate(DEPARTMENTS):
        district = District.objects.filter(department__code=code).order_by("code").first()
        people = [make_unit(100 * d_index + n, district=district) for n in range(10)]
        firms = [_company(100 * d_index + n, district) for n in range(4)]
        plan = [
            (chosen[0], firms + people[:3], range(1, 7)),
            (chosen[1], people[3:9], range(3, 10)),
            (chosen[2], people[9:], [2 + 3 * d_index]),
        ]
        for center, units, months in plan:
            for index, month in enumerate(months):
                extra = rng.sample(units, min(len(units), rng.randint(0, 2)))
                attended = list(dict.fromkeys([units[index % len(units)], *extra]))
                record(
                    center,
                    f"S-{next(serial):03d}",
                    attended,
                    end=date(2024, month, 10 + d_index),
                    category=rng.choice(categories),
                    chain=rng.choice(chains),
                )
    return chosen


def truth(key: str) -> Counter:
    """Services counted straight from the records (validated, 2024), by `key` of
    "center", "department", "month", "chain", or several joined by "+" (the counter's
    keys are tuples of codes in that order)."""
    services = Service.objects.filter(
        report__status=ReportStatus.VALIDATED, report__end_date__year=2024
    ).values_list(
        "report__center__code",
        "unit__district__department_id",
        "report__end_date",
        "report__chain__code",
    )
    counted: Counter = Counter()
    for center, department, end, chain in services:
        parts = {
            "center": center,
            "department": department,
            "month": f"{end:%Y-%m}",
            "chain": chain,
        }
        counted[tuple(parts[k] for k in key.split("+"))] += 1
    return counted
