"""ITP's monthly services by subcategory, fed to the read model (analytics.aggregates).

Registered from HistoricConfig.ready(): analytics sits below this app and never imports it,
so it asks the registered provider for the rows (copied into every generation of the read
model) and for a version that moves with every load or revert of the table.
"""

from collections.abc import Iterator

from django.db.models import Count, Max, Sum

from citesmart.analytics import aggregates
from citesmart.historic.models import HistoricServices


def rows() -> Iterator[aggregates.Row]:
    """(center code, year, month, category code, services) of every HistoricServices row."""
    yield from HistoricServices.objects.values_list(
        "center__code", "year", "month", "category__code", "services"
    ).order_by("center__code", "year", "month", "category__code")


def version() -> str:
    """Moves with any insert, delete or change of the table's rows (one aggregate query)."""
    found = HistoricServices.objects.aggregate(
        n=Count("pk"), services=Sum("services"), batches=Sum("batch_id"), last=Max("pk")
    )
    return f"{found['n']}:{found['services'] or 0}:{found['batches'] or 0}:{found['last'] or 0}"


def totals() -> dict[tuple[str, int], int]:
    """Services per (center code, year), summed by the database (for `analytics check`)."""
    found = HistoricServices.objects.values("center__code", "year").annotate(n=Sum("services"))
    return {(row["center__code"], row["year"]): row["n"] for row in found}


def models() -> list[type]:
    return [HistoricServices]


PROVIDER = aggregates.Provider(
    name="historic", rows=rows, version=version, totals=totals, models=models
)
