"""The network over time, read from one in-memory registry: growth by year and its changes.

Both are derived from the dated facts the registry holds (activation and closing dates,
dated scope and modalities, legal acts, earlier names), so an edit in the back office shows
at once. A center whose activation date is unknown counts as active in every year (pages
say how many such centers there are).
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from citesmart.network.models import Center
from citesmart.network.registry import Registry

FIRST_YEAR = 2016  # the first year of ITP's institutional tables


@dataclass(frozen=True)
class Growth:
    """The network in one year."""

    year: int
    centers: tuple[Center, ...]  # active at some day of the year, by name
    cites: int
    technical_units: int
    departments: dict[str, int] = field(default_factory=dict)  # code -> centers with it in scope
    undated: int = 0  # active centers without a known activation date


def years(current: Registry) -> list[int]:
    known = [c.active_from.year for c in current.centers if c.active_from]
    known += [c.created_year for c in current.centers if c.created_year]
    return list(range(min([FIRST_YEAR, *known]), current.day.year + 1))


def growth(current: Registry, year: int) -> Growth:
    return current.memo("growth", size=64).get(year, lambda: _growth(current, year))


def _growth(current: Registry, year: int) -> Growth:
    active = tuple(c for c in current.centers if c.active_in(year))
    departments: dict[str, int] = {}
    for center in active:
        for code in {p.department_id for p in center.scope_periods if p.valid_in(year)}:
            departments[code] = departments.get(code, 0) + 1
    units = sum(1 for c in active if c.kind == Center.Kind.TECHNICAL_UNIT)
    return Growth(
        year=year,
        centers=active,
        cites=len(active) - units,
        technical_units=units,
        departments=departments,
        undated=sum(1 for c in active if not c.active_from and not c.created_year),
    )


@dataclass(frozen=True)
class Change:
    day: date | None  # None when only the year is known
    year: int
    center: Center
    text: str
    source: str = ""


def changes(current: Registry) -> list[tuple[int, list[Change]]]:
    """The network's dated changes grouped by year, newest year first."""
    return current.memo("changes", size=2).get("all", lambda: _by_year(current))


def _by_year(current: Registry) -> list[tuple[int, list[Change]]]:
    found = [change for center in current.centers for change in _center_changes(center)]
    found.sort(key=lambda c: (c.day or date(c.year, 1, 1), c.center.name))
    years_: dict[int, list[Change]] = {}
    for change in found:
        years_.setdefault(change.year, []).append(change)
    return sorted(years_.items(), reverse=True)


def _center_changes(center: Center) -> list[Change]:
    out = []
    if center.active_from:
        out.append(_change(center, center.active_from, _("Inicia actividades"), center.source_url))
    elif center.created_year:
        out.append(Change(None, center.created_year, center, _("Creación"), center.source_url))
    if center.active_to:
        out.append(_change(center, center.active_to, _("Cierra"), center.source_url))
    for period in center.scope_periods:
        if period.since and not _opening(center, period.since):
            text = _("Amplía su ámbito a %(d)s") % {"d": period.department.name}
            out.append(_change(center, period.since, text, period.source))
        if period.until:
            text = _("Deja de atender %(d)s") % {"d": period.department.name}
            out.append(_change(center, period.until, text, period.source))
    for held in center.modality_list:
        if held.since:
            text = _("Modalidad %(m)s") % {"m": held.modality.name}
            out.append(_change(center, held.since, text, held.source))
    for act in center.acts:
        text = f"{act.get_kind_display()} {act.number}"
        out.append(_change(center, act.date, text, act.document_url))
    return out


def _opening(center: Center, day: date) -> bool:
    return center.active_from == day and any(
        p.department_id == center.department_id for p in center.scope_periods if p.since == day
    )


def _change(center: Center, day: date, text: str, source: str) -> Change:
    # A date on 1 January is how a source that names only the year is stored (history.py).
    exact = not (day.month == 1 and day.day == 1)
    return Change(day if exact else None, day.year, center, text, source)
