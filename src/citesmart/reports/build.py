"""The content of a report, every figure asked of analytics.queries.figures().

build_report() gathers the numbers once (headline, tables, monthly series, targets); the
narrative and the three renderers (HTML, PDF, XLSX) only present them, so a figure in the
PDF is the very number the analytics interface answered for the report's filters.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from citesmart.analytics import vocabulary
from citesmart.analytics.filters import Filters
from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Figures, figures
from citesmart.analytics.vocabulary import MONTHS
from citesmart.network.models import Center
from citesmart.publications import queries as publications
from citesmart.records import closing
from citesmart.targets.models import Target
from citesmart.targets.queries import Progress, achievement

MEASURES = ("services", "units", "new_units", "amount")
TABLES = (
    # key, dimension, title, sheet name
    ("center", "center", "Servicios por centro", "Centros"),
    ("category", "category", "Servicios por categoría", "Categorías"),
    ("chain", "chain", "Servicios por cadena productiva", "Cadenas"),
    (
        "department",
        "department",
        "Servicios por departamento de la unidad productiva",
        "Departamentos",
    ),
    ("client_type", "client_type", "Servicios por tipo de cliente", "Tipo de cliente"),
    ("programme", "programme", "Servicios en el marco de programas", "Programas"),
)


class ReportError(ValueError):
    """Options that cannot make a report; the message is in Spanish."""


def spanish_date(day: date) -> str:
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


@dataclass(frozen=True)
class Period:
    year: int
    until: date
    full_year: bool

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def text(self) -> str:
        if self.full_year:
            return f"enero a diciembre de {self.year}"
        return f"1 de enero al {spanish_date(self.until)}"

    @property
    def previous(self) -> "Period":
        until = self.until.replace(year=self.year - 1, day=min(self.until.day, 28))
        if self.until.month != 2 or self.until.day < 29:
            until = self.until.replace(year=self.year - 1)
        return Period(self.year - 1, until, self.full_year)


@dataclass
class Table:
    key: str
    title: str
    sheet: str
    dimension_title: str
    answer: Figures
    rows: list[dict[str, Any]]
    total_services: int

    def share(self, row: dict[str, Any]) -> float | None:
        if row["services"] is None:  # suppressed
            return None
        return 100.0 * row["services"] / self.total_services if self.total_services else 0.0


@dataclass
class Report:
    period: Period
    center: Center | None
    filters: Filters
    previous_filters: Filters
    totals: dict[str, Any]
    previous_totals: dict[str, Any]
    reports: int
    tables: dict[str, Table]
    monthly: list[float]
    monthly_previous: list[float]
    targets: list[Progress]
    new_technical_units: list[dict[str, Any]]
    fresh_as_of: datetime
    threshold: int
    official_note: str = ""  # which months are official, and the publication that has them
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def subject(self) -> str:
        return self.center.name if self.center else "Red CITE"

    def change(self, measure: str) -> float | None:
        before = float(self.previous_totals.get(measure) or 0)
        return None if not before else 100.0 * (float(self.totals[measure]) - before) / before


def build_report(year: int, until: date | None = None, center: Center | None = None) -> Report:
    period = _period(year, until)
    base = Filters(
        date_from=period.start,
        date_to=period.until,
        centers=(center.code,) if center else (),
    )
    previous = replace(base, date_from=period.previous.start, date_to=period.previous.until)
    current = figures(base, measures=[*MEASURES, "reports"])
    before = figures(previous, measures=MEASURES)
    tables = {}
    for key, dimension, title, sheet in TABLES:
        if key == "center" and center is not None and not center.technical_units.exists():
            continue
        # Published tables go through the one door for public figures; a report's figures are
        # official (exact, with suppression and complementary suppression): `suppressed`.
        answer = public_figures(
            base, by=[dimension], measures=MEASURES, order_by="services", report=True
        )
        rows = [r for r in answer.rows if not (key == "programme" and not r["programme"])]
        tables[key] = Table(
            key, title, sheet, _dimension_title(dimension), answer, rows,
            int(current.totals["services"]),
        )  # fmt: skip
    return Report(
        period=period,
        center=center,
        filters=base,
        previous_filters=previous,
        totals=current.totals,
        previous_totals=before.totals,
        reports=int(current.totals["reports"]),
        tables=tables,
        monthly=_monthly(base, period),
        monthly_previous=_monthly(previous, period.previous),
        targets=_targets(period, center),
        new_technical_units=_new_technical_units(period, center),
        fresh_as_of=current.fresh_as_of,
        threshold=current.threshold,
        official_note=_official_note(year),
    )


def _period(year: int, until: date | None) -> Period:
    if not 1990 <= year <= 2100:
        raise ReportError(f"Año fuera de rango: {year}.")
    today = timezone.localdate()
    end = date(year, 12, 31)
    if until is None:
        until = min(today, end)
    if until.year != year:
        raise ReportError(f"La fecha de corte ({until:%d/%m/%Y}) debe estar dentro del año {year}.")
    if until > today:
        raise ReportError(f"La fecha de corte ({until:%d/%m/%Y}) es posterior a hoy.")
    return Period(year, until, until == end)


def _dimension_title(dimension: str) -> str:
    return vocabulary.title(dimension)


def _monthly(filters: Filters, period: Period) -> list[float]:
    answer = figures(filters, by=["month"], measures=["services"])
    months = [0.0] * 12
    for row in answer.rows:
        months[int(row["month"][5:7]) - 1] = float(row["services"])
    return months


def _targets(period: Period, center: Center | None) -> list[Progress]:
    targets = Target.objects.filter(year=period.year).select_related("center", "category", "chain")
    if center is None:
        targets = targets.filter(category__isnull=True, chain__isnull=True)
    else:
        targets = targets.filter(center__in=[center, *center.technical_units.all()])
    rows = achievement(targets.prefetch_related("versions"), period.until)
    return sorted(
        rows, key=lambda p: (p.target.center_id is not None, p.center_name, p.target.indicator)
    )


def _new_technical_units(period: Period, center: Center | None) -> list[dict[str, Any]]:
    units = Center.objects.filter(kind=Center.Kind.TECHNICAL_UNIT).select_related("parent")
    units = units.filter(active_from__year=period.year) | units.filter(
        active_from__isnull=True, created_year=period.year
    )
    if center is not None:
        units = units.filter(parent=center) | units.filter(pk=center.pk)
    return [
        {"name": u.name, "code": u.code, "parent": u.parent.name if u.parent_id else ""}
        for u in units.order_by("name")
    ]


def _official_note(year: int) -> str:
    """Which months are official, and the named publication of `year`'s official tables."""
    published = publications.covering(year)
    where = f" Publicación de cifras oficiales: «{published.title}»." if published else ""
    return closing.official_note() + where
