"""Monthly closing: the way a center's month becomes official (issue 15).

    abierto --close (manager, nothing left "registrado")--> cerrado
    cerrado --approve (ITP)--> aprobado        cerrado --return (ITP, reason)--> devuelto
    aprobado --reopen (ITP, reason)--> reabierto

A closed or approved month is locked: `check_months_open` refuses any write that would
touch a report ending in it, and every write action calls it, so the back office, the
import, the API, batch reverts and unit merges obey the same lock.

Concurrency: both a closing and a write take the month's row FOR UPDATE (creating it if
missing), so a closing and an import of the same month serialize: either the import
commits first and the closing then sees its registered reports, or the closing commits
first and the import is refused.
"""

import time
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from citesmart.accounts.access import can_approve_months, can_close_month
from citesmart.lib.months import month_label
from citesmart.network.models import Center
from citesmart.records.audit import record_audit
from citesmart.records.models import (
    AuditEntry,
    MonthClosing,
    MonthStatus,
    ReportStatus,
    Service,
    ServiceReport,
)

# --- the lock --------------------------------------------------------------------------


def lock_month(center: Center, year: int, month: int) -> MonthClosing:
    """The month's row, created open if missing, locked until the transaction ends."""
    MonthClosing.objects.get_or_create(center=center, year=year, month=month)  # race-safe
    return MonthClosing.objects.select_for_update().get(center=center, year=year, month=month)


def check_months_open(
    center: Center, days: Iterable[date | None], field: str | None = "end_date"
) -> None:
    """Refuse (ValidationError on `field`, or general) a write touching a locked month.

    `days` are the end dates the write reads or writes (a report moved from March to April
    touches both). Must run inside the write's transaction.
    """
    for year, month in sorted({(day.year, day.month) for day in days if day is not None}):
        closing = lock_month(center, year, month)
        if closing.locked:
            message = locked_message(center, closing)
            raise ValidationError({field: message} if field else message)


def locked_message(center: Center, closing: MonthClosing) -> str:
    state = "aprobado" if closing.status == MonthStatus.APPROVED else "cerrado"
    return (
        f"El mes de {month_label(closing.year, closing.month)} de {center} está {state}: "
        "sus informes no pueden cambiar. Pida al ITP que lo "
        + ("reabra" if state == "aprobado" else "devuelva")
        + ", indicando el motivo."
    )


# --- the lock on units: their attributes count in the figures of approved months ------

UNIT_FIGURE_FIELDS = {
    "document_type": "tipo de documento",
    "document_number": "número de documento",
    "person_dni": "DNI de la persona",
    "client_type": "tipo de cliente",
    "size_class": "tamaño",
    "department": "departamento",
    "district": "distrito",
}


def unit_figure_changes(before: dict, after: dict) -> list[str]:
    """The attributes counted in figures (breakdowns by place, client type, size, natural
    or legal person) that differ between two unit snapshots, as Spanish labels.

    A RUC 10 given for a person known by DNI is the same person: the natural-person flag
    and every breakdown stay, so it is no change of figures.
    """
    same_person = bool(before.get("person_dni")) and before.get("person_dni") == after.get(
        "person_dni"
    )
    identity = {"document_type", "document_number", "person_dni"}
    return [
        label
        for name, label in UNIT_FIGURE_FIELDS.items()
        if before.get(name) != after.get(name) and not (same_person and name in identity)
    ]


def approved_months_of_units(unit_ids: Iterable[int]) -> list[MonthClosing]:
    """Approved months (any center) in which one of the units has a service."""
    served = Service.objects.filter(
        unit__in=list(unit_ids),
        report__center=OuterRef("center"),
        report__end_date__year=OuterRef("year"),
        report__end_date__month=OuterRef("month"),
    )
    return list(
        MonthClosing.objects.filter(Exists(served), status=MonthStatus.APPROVED)
        .select_related("center")
        .order_by("year", "month", "center__name")
    )


def check_unit_change(unit, before: dict, after: dict) -> None:
    """Refuse (ValidationError, in Spanish) a change of `unit`'s attributes that count in
    figures while it has services in an approved month: those figures are official. A
    national administrator reopens the month(s) first, like for any other change."""
    changes = unit_figure_changes(before, after)
    if not changes or unit.pk is None:
        return
    months = approved_months_of_units([unit.pk])
    if not months:
        return
    where = "; ".join(f"{month_label(m.year, m.month)} de {m.center}" for m in months)
    raise ValidationError(
        f"No se puede cambiar {', '.join(changes)} de la unidad productiva "
        f"{unit.document_label}: tiene "
        f"servicios en meses aprobados ({where}), cuyas cifras son oficiales. Un "
        "administrador nacional del ITP debe reabrir esos meses antes de corregirla."
    )


# --- actions ---------------------------------------------------------------------------


@transaction.atomic
def close_month(*, center: Center, year: int, month: int, actor) -> MonthClosing:
    """The manager's closing: refused while any report of the month is "registrado"."""
    if actor is not None and not can_close_month(actor, center):  # None: the system
        raise PermissionDenied("Solo el gestor del centro o el ITP cierran un mes del centro.")
    today = timezone.localdate()
    if not (2000, 1) <= (year, month) < (today.year, today.month):
        raise ValidationError(
            f"No se puede cerrar {month_label(year, month)}: solo se cierran meses ya terminados."
        )
    closing = lock_month(center, year, month)
    if closing.locked:
        raise ValidationError(f"{month_label(year, month).capitalize()} ya está {closing.status}.")
    pending = _reports(center, year, month).filter(status=ReportStatus.REGISTERED).count()
    if pending:
        raise ValidationError(
            f"No se puede cerrar {month_label(year, month)}: quedan {pending} informe(s) "
            "en estado «registrado». Valídelos o anúlelos primero."
        )
    now = timezone.now()
    return _move(closing, MonthStatus.CLOSED, actor, closed_by=actor, closed_at=now)


@transaction.atomic
def approve_month(*, center: Center, year: int, month: int, actor) -> MonthClosing:
    """ITP approves a closed month: its figures become official."""
    closing = _national(center, year, month, actor)
    if closing.status != MonthStatus.CLOSED:
        raise ValidationError(
            f"Solo se aprueba un mes cerrado; {month_label(year, month)} está {closing.status}."
        )
    now = timezone.now()
    return _move(closing, MonthStatus.APPROVED, actor, approved_by=actor, approved_at=now)


@transaction.atomic
def return_month(*, center: Center, year: int, month: int, actor, reason: str) -> MonthClosing:
    """ITP sends a closed month back to the center, saying why."""
    closing = _national(center, year, month, actor)
    if closing.status != MonthStatus.CLOSED:
        raise ValidationError(
            f"Solo se devuelve un mes cerrado; {month_label(year, month)} está {closing.status}."
        )
    return _move(closing, MonthStatus.RETURNED, actor, reason=_reason(reason, "devolver"))


@transaction.atomic
def reopen_month(*, center: Center, year: int, month: int, actor, reason: str) -> MonthClosing:
    """ITP reopens an approved month so that it can be corrected, saying why."""
    closing = _national(center, year, month, actor)
    if closing.status != MonthStatus.APPROVED:
        raise ValidationError(
            f"Solo se reabre un mes aprobado; {month_label(year, month)} está {closing.status}."
        )
    return _move(closing, MonthStatus.REOPENED, actor, reason=_reason(reason, "reabrir"))


def _national(center: Center, year: int, month: int, actor) -> MonthClosing:
    if actor is not None and not can_approve_months(actor):  # None: the system
        raise PermissionDenied("Solo un administrador nacional del ITP aprueba, devuelve o reabre.")
    return lock_month(center, year, month)


def _reason(reason: str, verb: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": f"Indique el motivo para {verb} el mes."})
    return reason.strip()[:300]


ACTIONS = {
    MonthStatus.CLOSED: AuditEntry.Action.CLOSE,
    MonthStatus.APPROVED: AuditEntry.Action.APPROVE,
    MonthStatus.RETURNED: AuditEntry.Action.RETURN,
    MonthStatus.REOPENED: AuditEntry.Action.REOPEN,
}


def _move(closing: MonthClosing, status: str, actor, **values) -> MonthClosing:
    before = {"status": closing.status}
    closing.status = status
    for name, value in values.items():
        setattr(closing, name, value)
    closing.save()
    record_audit(
        action=ACTIONS[status],
        source=AuditEntry.Source.SCREEN,
        obj=closing,
        actor=actor,
        center=closing.center,
        before=before,
        after={"status": status},
        reason=values.get("reason", ""),
    )
    return closing


# --- queries ---------------------------------------------------------------------------


def _reports(center: Center, year: int, month: int):
    return ServiceReport.objects.filter(center=center, end_date__year=year, end_date__month=month)


@dataclass(frozen=True)
class Cell:
    status: str
    pending: int  # reports still "registrado"

    @property
    def label(self) -> str:
        return MonthStatus(self.status).label


def calendar(centers: Iterable[Center], years: list[int]) -> dict[tuple[int, int, int], Cell]:
    """(center id, year, month) -> state and reports left to validate, in two queries."""
    ids = [center.pk for center in centers]
    pending = (
        ServiceReport.objects.filter(
            center__in=ids, status=ReportStatus.REGISTERED, end_date__year__in=years
        )
        .values_list("center_id", "end_date__year", "end_date__month")
        .annotate(n=Count("id"))
    )
    counts = {(c, y, m): n for c, y, m, n in pending}
    states = MonthClosing.objects.filter(center__in=ids, year__in=years).values_list(
        "center_id", "year", "month", "status"
    )
    cells = {(c, y, m): Cell(s, counts.get((c, y, m), 0)) for c, y, m, s in states}
    for key, count in counts.items():
        cells.setdefault(key, Cell(MonthStatus.OPEN, count))
    return cells


# --- what the public is told -----------------------------------------------------------

_official_cache: dict[str, tuple[float, tuple[int, int] | None]] = {}
OFFICIAL_CACHE_SECONDS = 30.0


def official_through(*, cached: bool = True) -> tuple[int, int] | None:
    """The last (year, month) up to which every month is approved for every center active
    in it; None before any. Public pages ask often: kept OFFICIAL_CACHE_SECONDS per process."""
    now = time.monotonic()
    hit = _official_cache.get("value")
    if cached and hit is not None and now - hit[0] < OFFICIAL_CACHE_SECONDS:
        return hit[1]
    value = _official_through()
    _official_cache["value"] = (now, value)
    return value


def forget_official_through() -> None:
    _official_cache.clear()


def _official_through() -> tuple[int, int] | None:
    approved: dict[tuple[int, int], set[int]] = defaultdict(set)
    rows = MonthClosing.objects.filter(status=MonthStatus.APPROVED)
    for center_id, year, month in rows.values_list("center_id", "year", "month"):
        approved[(year, month)].add(center_id)
    if not approved:
        return None
    centers = list(Center.objects.values_list("pk", "active_from", "active_to"))
    last = None
    for year, month in _months(min(approved), _previous_month(timezone.localdate())):
        start, end = date(year, month, 1), date(year, month, monthrange(year, month)[1])
        active = {
            pk
            for pk, since, until in centers
            if (since is None or since <= end) and (until is None or until >= start)
        }
        if not active <= approved.get((year, month), set()):
            break
        last = (year, month)
    return last


def _months(first: tuple[int, int], last: tuple[int, int]) -> Iterable[tuple[int, int]]:
    year, month = first
    while (year, month) <= last:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def official_note(through: tuple[int, int] | None = None) -> str:
    """The sentence shown beside every freshness stamp (portal, API, open data)."""
    return note_for(official_through() if through is None else through)


def note_for(through: tuple[int, int] | None) -> str:
    """The note for figures official up to `through` (None: none official yet)."""
    if through is None:
        return "Cifras preliminares: aún no hay meses aprobados por el ITP."
    year, month = through
    following = month_label(*_next(through))
    return f"Cifras oficiales hasta {month_label(year, month)}; desde {following}, preliminares."


def _next(month: tuple[int, int]) -> tuple[int, int]:
    year, number = month
    return (year + 1, 1) if number == 12 else (year, number + 1)
