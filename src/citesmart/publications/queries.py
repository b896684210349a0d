"""Reading publications: their tables, and what changed between two of them and why."""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from citesmart.analytics.vocabulary import MONTHS
from citesmart.publications.actions import TABLES
from citesmart.publications.models import Publication, PublishedCell
from citesmart.records.models import AuditEntry

COMPARED = ("services", "units", "new_units", "amount")
REASONS_PER_CELL = 3


def latest() -> Publication | None:
    return Publication.objects.order_by("-created_at", "-id").first()


def covering(year: int) -> Publication | None:
    """The newest publication whose tables include `year`."""
    for publication in Publication.objects.order_by("-created_at", "-id"):
        if year in publication.years:
            return publication
    return None


def cells(publication: Publication, year: int | None = None) -> list[PublishedCell]:
    found = publication.cells.order_by("table", "year", "month", "label")
    return list(found.filter(year=year) if year else found)


@dataclass
class Revision:
    """One official cell whose published figures differ between two publications."""

    table: str
    code: str
    label: str
    year: int
    month: int
    before: dict
    after: dict
    reasons: list[str] = field(default_factory=list)

    @property
    def services_delta(self):
        return self.delta("services")

    def delta(self, measure: str):
        old, new = self.before.get(measure), self.after.get(measure)
        return None if old is None or new is None else new - old


def revisions(old: Publication, new: Publication) -> list[Revision]:
    """Cells of both publications (their common years) whose figures or reserve changed,
    each with the reasons the audit trail gives for changes made between the two."""
    years = sorted(set(old.years) & set(new.years))
    before = _by_key(old, years)
    found = []
    for key, cell in _by_key(new, years).items():
        previous = before.pop(key, None)
        if previous is None or _values(previous) != _values(cell):
            found.append(_revision(cell, previous, cell))
    found += [_revision(cell, cell, None) for cell in before.values()]
    _explain(found, old, new)
    return sorted(found, key=lambda r: (r.year, r.table, r.month, r.label))


def _by_key(publication: Publication, years: list[int]) -> dict[tuple, PublishedCell]:
    return {(c.table, c.code, c.year, c.month): c for c in publication.cells.filter(year__in=years)}


def _values(cell: PublishedCell | None) -> dict:
    if cell is None:
        return {}
    return {m: getattr(cell, m) for m in COMPARED} | {"suppressed": cell.suppressed}


def _revision(cell: PublishedCell, old: PublishedCell | None, new: PublishedCell | None):
    return Revision(
        cell.table, cell.code, cell.label, cell.year, cell.month, _values(old), _values(new)
    )


def _explain(found: list[Revision], old: Publication, new: Publication) -> None:
    """Reasons from the audit trail between the two publications: reopenings of months and
    changes to reports, by the center and year they touched."""
    if not found:
        return
    entries = AuditEntry.objects.filter(
        Q(object_type="servicereport") | Q(object_type="monthclosing"),
        created_at__gt=old.created_at,
        created_at__lte=new.created_at,
    ).select_related("center")[:5000]
    by_center: dict[tuple[str, int], list[str]] = defaultdict(list)
    by_year: dict[int, list[str]] = defaultdict(list)
    for entry in entries:
        year = _year(entry)
        if year is None:
            continue
        text = _reason(entry)
        code = entry.center.code if entry.center else ""
        if text not in by_center[(code, year)]:
            by_center[(code, year)].append(text)
        if text not in by_year[year]:
            by_year[year].append(text)
    for revision in found:
        pool = by_center[(revision.code, revision.year)] if revision.table == "centro" else []
        revision.reasons = (pool or by_year[revision.year])[:REASONS_PER_CELL]


def _year(entry: AuditEntry) -> int | None:
    for snapshot in (entry.after, entry.before):
        if snapshot and snapshot.get("end_date"):
            return int(str(snapshot["end_date"])[:4])
    closing = entry.object_type == "monthclosing"
    found = _CLOSING_MONTH.search(entry.object_repr) if closing else None
    return int(found[2]) if found else None


_CLOSING_MONTH = re.compile(r" (\d{2})/(\d{4}): [^:]*$")  # MonthClosing.__str__'s end


def _reason(entry: AuditEntry) -> str:
    """What happened, in fixed words: never the free text of a reason, a report code or a
    unit, which staff type and which may name a person (this is a public page)."""
    where = entry.center.name if entry.center else "la red"
    if entry.object_type == "monthclosing":
        found = _CLOSING_MONTH.search(entry.object_repr)
        month = f" {found[1]}/{found[2]}" if found else ""
        return f"{entry.get_action_display()}{month} de {where}"
    return f"{entry.get_action_display()} de un informe de {where}"


# --- answering the API's statistics from a publication ---------------------------------------

# Analytics breakdown -> the published table that keeps it ("" = no breakdown: the total).
TABLE_OF = {dimension: table for table, dimension in TABLES.items()}


def by_slug(slug: str) -> Publication | None:
    return Publication.objects.filter(slug=slug).first()


def kept_tables_text(publication: Publication) -> str:
    """In Spanish: which questions a publication answers (for error messages)."""
    years = ", ".join(str(year) for year in publication.years)
    breakdowns = ", ".join(d for d in TABLE_OF if d)
    return (
        f"La publicación «{publication.slug}» guarda solo sus cuadros oficiales: un año "
        f"({years}), sin ningún otro filtro, y sin desglose o por una de estas dimensiones: "
        f"{breakdowns}. Quite «publicacion» para consultar las cifras actuales."
    )


@dataclass
class PublishedAnswer:
    """An official table of a publication, in the shape of analytics.public's answers."""

    publication: Publication
    by: tuple[str, ...]
    measures: tuple[str, ...]
    rows: list[dict]
    totals: dict


def published_figures(
    publication: Publication, *, year: int, by: tuple[str, ...], measures: tuple[str, ...]
) -> PublishedAnswer:
    """The table `by` (none or one official breakdown) of `year` as `publication` keeps it.
    Raises ValueError when the publication does not keep that table."""
    if year not in publication.years or len(by) > 1 or (by and by[0] not in TABLE_OF):
        raise ValueError(kept_tables_text(publication))
    dimension = by[0] if by else ""
    found = publication.cells.filter(year=year, table__in=("total", TABLE_OF[dimension]))
    rows, totals = [], {}
    for cell in found:
        shaped = _shaped(cell, measures)
        if cell.table == "total":
            totals = shaped
        else:
            rows.append(_keys(cell, dimension) | shaped)
    rows.sort(key=lambda row: (row[dimension] is None, row[dimension] or ""))
    return PublishedAnswer(publication, tuple(by), tuple(measures), rows, totals)


def _shaped(cell: PublishedCell, measures: tuple[str, ...]) -> dict:
    values = {m: getattr(cell, m) for m in measures}
    return values | {"flagged": cell.flagged, "suppressed": cell.suppressed, "perturbed": False}


def _keys(cell: PublishedCell, dimension: str) -> dict:
    if dimension == "month":
        code = f"{cell.year:04d}-{cell.month:02d}"
        return {"month": code, "month_label": f"{MONTHS[cell.month - 1]} {cell.year}"}
    return {dimension: cell.code or None, f"{dimension}_label": cell.label}
