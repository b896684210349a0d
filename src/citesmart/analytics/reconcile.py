"""Reconciling the read model with the records: the `analytics check` command.

The expected side is computed with the Django ORM on the SQL tables, independently of the
extraction code, so a bug in the refresh cannot hide itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear

from citesmart.analytics import aggregates, refresh, surveyunits
from citesmart.records.models import ReportStatus, Service

Key = tuple[str, int, str]  # (status, year, center code)
Cell = tuple[int, int, Decimal]  # (services, distinct units, amount)


@dataclass(frozen=True)
class Difference:
    status: str
    year: int
    center: str
    records: Cell | None
    read_model: Cell | None

    def __str__(self) -> str:
        return (
            f"{self.status} {self.year} {self.center}: registros {_cell(self.records)}, "
            f"modelo analítico {_cell(self.read_model)}"
        )


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    return f"{cell[0]} servicios, {cell[1]} unidades, S/ {cell[2]}"


def from_records() -> dict[Key, Cell]:
    """Services, distinct units (after merges) and amounts by status × year × center (ORM)."""
    amount = Case(
        When(report__is_free=True, then=Value(Decimal(0))),
        default=F("amount"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    rows = (
        Service.objects.exclude(report__status=ReportStatus.CANCELLED)
        .values(
            status=F("report__status"),
            year=ExtractYear("report__end_date"),
            center=F("report__center__code"),
        )
        .annotate(
            services=Count("id"),
            units=Count(Coalesce("unit__merged_into_id", "unit_id"), distinct=True),
            amount=Sum(amount),
        )
    )
    return {
        (r["status"], r["year"], r["center"]): (r["services"], r["units"], _money(r["amount"]))
        for r in rows
    }


def from_read_model() -> dict[Key, Cell]:
    """The same figures from the current generation of the read model."""
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        rows = cursor.execute(
            "SELECT status, year, center_code, count(*), count(DISTINCT unit_id), "
            "sum(CASE WHEN is_free THEN 0 ELSE amount END) FROM facts GROUP BY ALL"
        ).fetchall()
    return {(s, int(y), c): (int(n), int(u), _money(a)) for s, y, c, n, u, a in rows}


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def differences() -> list[Difference]:
    """Every (status, year, center) where the records and the read model disagree."""
    records, model = from_records(), from_read_model()
    return [
        Difference(*key, records.get(key), model.get(key))
        for key in sorted(records.keys() | model.keys())
        if records.get(key) != model.get(key)
    ]


@dataclass(frozen=True)
class AggregateDifference:
    """A (center, year) whose historic services differ between ITP's tables and the model."""

    center: str
    year: int
    tables: int | None
    read_model: int | None

    def __str__(self) -> str:
        def shown(value: int | None) -> str:
            return "—" if value is None else f"{value} servicios"

        return (
            f"agregados históricos {self.year} {self.center}: cuadros del ITP "
            f"{shown(self.tables)}, modelo analítico {shown(self.read_model)}"
        )


def aggregate_differences() -> list[AggregateDifference]:
    """Every (center, year) where ITP's historic tables and the read model's copy disagree.

    The expected side is the providers' own SQL sums (analytics.aggregates.Provider.totals),
    not the rows a build copied."""
    return _differences(aggregates.stored_totals, aggregates.expected_totals, AggregateDifference)


def _differences(stored: Callable, expected: Callable, difference: type) -> list:
    """The keys where a copy in the read model (`stored`, read with a cursor) and its
    source's own totals (`expected`) disagree, as `difference`s (key..., source, copy)."""
    reader = refresh.ensure_fresh()
    with reader.cursor() as cursor:
        model = stored(cursor)
    tables = expected()
    return [
        difference(*key, tables.get(key), model.get(key))
        for key in sorted(tables.keys() | model.keys())
        if tables.get(key) != model.get(key)
    ]


@dataclass(frozen=True)
class SurveyDifference:
    """A (center, survey kind) whose invitations or answers differ between the surveys'
    tables and the read model's copy."""

    center: str
    kind: str
    tables: tuple[int, int] | None
    read_model: tuple[int, int] | None

    def __str__(self) -> str:
        def shown(value: tuple[int, int] | None) -> str:
            return "—" if value is None else f"{value[0]} invitaciones, {value[1]} respuestas"

        return (
            f"encuestas {self.kind} {self.center}: tablas de encuestas {shown(self.tables)}, "
            f"modelo analítico {shown(self.read_model)}"
        )


def survey_differences() -> list[SurveyDifference]:
    """Every (center, kind) where the survey tables and the read model's copy disagree.

    The expected side is the providers' own SQL counts (analytics.surveyunits.Provider.totals),
    not the rows a build copied."""
    return _differences(surveyunits.stored_totals, surveyunits.expected_totals, SurveyDifference)
