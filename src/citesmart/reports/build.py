"""The content of a report, every published figure asked of analytics.public.public_figures().

build_report() gathers the numbers once (headline, tables, monthly series, targets); the
narrative and the three renderers (HTML, PDF, XLSX) only present them, so a figure in the
PDF is the very number the one door for public figures answered for the report's filters
(`report=True`: exact, with suppression). A reserved figure is None (its row or totals say
`suppressed`): the renderers write «reservado» and compute no share or variation from it.
Targets' achievement is management data (targets.queries, exact); an achieved figure the
public door reserves is marked in `reserved_targets` and shown as reserved too.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from citesmart.analytics import vocabulary
from citesmart.analytics.filters import Filters
from citesmart.analytics.public import public_figures
from citesmart.analytics.queries import Figures
from citesmart.analytics.vocabulary import MONTHS
from citesmart.network.models import Center
from citesmart.publications import queries as publications
from citesmart.records import closing
from citesmart.targets.models import Target
from citesmart.targets.queries import INDICATORS, Progress, achievement

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
    total_services: int | None  # None: the table's total is reserved

    def share(self, row: dict[str, Any]) -> float | None:
        if row["services"] is None or self.total_services is None:  # suppressed
            return None
        return 100.0 * row["services"] / self.total_services if self.total_services else 0.0


@dataclass
class Report:
    period: Period
    center: Center | None
    filters: Filters
    previous_filters: Filters
    totals: dict[str, Any]  # measures None when `suppressed` (reserved)
    previous_totals: dict[str, Any]
    reports: int | None
    tables: dict[str, Table]
    monthly: list[float | None]  # None: a reserved month
    monthly_previous: list[float | None]
    targets: list[Progress]
    reserved_targets: frozenset[int]  # ids of targets whose achieved figure is reserved
    new_technical_units: list[dict[str, Any]]
    fresh_as_of: datetime
    threshold: int
    official_note: str = ""  # which months are official, and the publication that has them
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def subject(self) -> str:
        return self.center.name if self.center else "Red CITE"

    def change(self, measure: str) -> float | None:
        """The variation against last year; None when either figure is reserved or zero."""
        now, before = self.totals.get(measure), self.previous_totals.get(measure)
        if now is None or not before:
            return None
        return 100.0 * (float(now) - float(before)) / float(before)

    def is_reserved(self, progress: Progress) -> bool:
        return progress.target.pk in self.reserved_targets


def build_report(year: int, until: date | None = None, center: Center | None = None) -> Report:
    period = _period(year, until)
    targets = _targets(period, center)
    base = Filters(
        date_from=period.start,
        date_to=period.until,
        centers=(center.code,) if center else (),
    )
    previous = replace(base, date_from=period.previous.start, date_to=period.previous.until)
    # Every published figure through the one door; a report's are official (exact, with
    # suppression and complementary suppression): `suppressed`, measures None.
    current = public_figures(base, measures=[*MEASURES, "reports"], report=True)
    before = public_figures(previous, measures=MEASURES, report=True)
    tables = {}
    for key, dimension, title, sheet in TABLES:
        if key == "center" and center is not None and not center.technical_units.exists():
            continue
        answer = public_figures(
            base, by=[dimension], measures=MEASURES, order_by="services", report=True
        )
        rows = [r for r in answer.rows if not (key == "programme" and not r["programme"])]
        tables[key] = Table(
            key, title, sheet, _dimension_title(dimension), answer, rows,
            answer.totals["services"],
        )  # fmt: skip
    return Report(
        period=period,
        center=center,
        filters=base,
        previous_filters=previous,
        totals=current.totals,
        previous_totals=before.totals,
        reports=current.totals["reports"],
        tables=tables,
        monthly=_monthly(base, period),
        monthly_previous=_monthly(previous, period.previous),
        targets=targets,
        reserved_targets=_reserved_targets(targets),
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


def _monthly(filters: Filters, period: Period) -> list[float | None]:
    answer = public_figures(filters, by=["month"], measures=["services"], report=True)
    months: list[float | None] = [0.0] * 12
    for row in answer.rows:
        value = row["services"]
        months[int(row["month"][5:7]) - 1] = None if value is None else float(value)
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


def _reserved_targets(targets: list[Progress]) -> frozenset[int]:
    """The targets whose achieved figure (targets.queries, exact) the public door reserves:
    the same filters as targets.queries._actuals, by center, through public_figures."""
    answers: dict[tuple, Figures] = {}
    reserved = set()
    for progress in targets:
        target = progress.target
        group = (
            target.year,
            progress.as_of,
            target.category.code if target.category is not None else None,
            target.chain.code if target.chain is not None else None,
        )
        if group not in answers:
            year, when, category, chain = group
            filters = Filters(
                years=(year,),
                date_to=when,
                categories=(category,) if category else (),
                chains=(chain,) if chain else (),
            )
            answers[group] = public_figures(
                filters, by=["center"], measures=INDICATORS, report=True
            )
        answer = answers[group]
        if target.center is None:
            row: dict[str, Any] | None = answer.totals
        else:
            code = target.center.code
            row = next((r for r in answer.rows if r["center"] == code), None)
        if row is not None and row["suppressed"]:
            reserved.add(target.pk)
    return frozenset(reserved)


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
