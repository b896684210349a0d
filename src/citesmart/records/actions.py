"""Writes on service reports. The back office, the importer and the API all call these.

Every function validates with Spanish messages keyed by field, writes atomically and
leaves an audit entry (records/audit.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from citesmart.accounts.access import cancel_refusal, status_refusal, validation_refusal
from citesmart.network.models import CatalogueService, Center, ServiceCategory
from citesmart.records.audit import record_audit
from citesmart.records.closing import check_months_open
from citesmart.records.models import AuditEntry, ImportBatch, ReportStatus, Service, ServiceReport
from citesmart.records.snapshots import same_content, snapshot_report
from citesmart.units.models import ProductiveUnit


@dataclass(frozen=True)
class AttendedUnit:
    unit: ProductiveUnit
    amount: Decimal = Decimal("0")
    # The name the recorder typed ("" = keep the service's): shown instead of the unit's
    # stored name to staff who may not see it (accounts.access.units_with_visible_details).
    typed_name: str = ""


@dataclass
class RecordResult:
    report: ServiceReport
    outcome: str  # "created" | "updated" | "unchanged"
    warnings: list[str] = field(default_factory=list)
    # Why the status asked for was not kept (it landed "registrado"); "" when it was.
    status_refusal: str = ""


def check_report_rules(
    *,
    center: Center,
    category: ServiceCategory | None,
    catalogue_service: CatalogueService | None,
    start_date: date,
    end_date: date,
    units: list[AttendedUnit],
    is_free: bool,
    today: date | None = None,
) -> list[str]:
    """Raise ValidationError {field: message} for broken rules; return warnings otherwise."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if end_date < start_date:
        errors["end_date"] = "La fecha de fin no puede ser anterior a la fecha de inicio."
    if start_date > today or end_date > today:
        errors["end_date" if end_date > today else "start_date"] = (
            f"La fecha no puede ser futura (hoy es {today:%d/%m/%Y})."
        )
    if catalogue_service is not None:
        if (
            catalogue_service.center_id != center.pk
            and catalogue_service.center_id != center.parent_id
        ):
            errors["catalogue_service"] = "El servicio no pertenece al catálogo de este centro."
        elif category is not None and catalogue_service.category_id != category.pk:
            errors["category"] = (
                f"La categoría no corresponde al servicio «{catalogue_service.name}», "
                f"que es de «{catalogue_service.category}»."
            )
    if category is None and catalogue_service is None:
        errors["category"] = "Indique la categoría del servicio o un servicio del catálogo."
    if not units:
        errors["units"] = "El informe debe atender al menos a una unidad productiva."
    unit_ids = [a.unit.pk for a in units]
    if len(set(unit_ids)) != len(unit_ids):
        errors["units"] = "Una unidad productiva figura más de una vez en el informe."
    if is_free and any(a.amount for a in units):
        errors["amount"] = "Un servicio gratuito tiene monto 0: borre el monto o quite «gratuito»."
    if any(a.amount < 0 for a in units):
        errors["amount"] = "El monto no puede ser negativo."
    if errors:
        raise ValidationError(errors)
    warnings = []
    if catalogue_service is not None and catalogue_service.tariff is not None and not is_free:
        for attended in units:
            if attended.amount != catalogue_service.tariff:
                warnings.append(
                    f"El monto S/ {attended.amount} difiere de la tarifa del catálogo "
                    f"(S/ {catalogue_service.tariff}) para {attended.unit.document_label}."
                )
                break
    return warnings


class _Keep:
    """Default of the optional fields of record_service_report: keep what the report has."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()
_KEPT_DEFAULTS = {"participants": None, "hours": None, "notes": ""}


@dataclass(frozen=True)
class StatusDecision:
    """The status a write lands with; `refusal` says (in Spanish) why it is not the one
    asked for, "" when it is. `content_changed`: the writer becomes the report's recorder."""

    status: str
    refusal: str = ""
    content_changed: bool = True


def decide_status(
    *,
    actor,
    center: Center,
    requested: str,
    before: dict | None,
    after: dict,
    recorded_by_id: int | None = None,
    by_token: bool = False,
    memo: dict | None = None,
) -> StatusDecision:
    """The one rule of accounts.access applied to a write (screen, import, API, revert).

    A status the report already has is kept when its content does not change (re-sending
    the same data is no new validation); otherwise whoever changes the content is its
    recorder, and what they may not set lands "registrado". `memo`: answers kept by a
    caller deciding many reports of one center for one actor (the import planner).
    """
    changed = not same_content(before, after)
    if before is not None and not changed and requested == before["status"]:
        return StatusDecision(requested, "", False)
    # A token write is recorded by the token's creator (the actor an API write runs as), so
    # four eyes holds against them too.
    recorder = recorded_by_id if not changed else getattr(actor, "pk", None)
    memo = {} if memo is None else memo
    key = (requested, recorder)
    if key not in memo:
        memo[key] = effective_status(
            actor, center, requested, recorded_by_id=recorder, by_token=by_token
        )
    status, refusal = memo[key]
    return StatusDecision(status, refusal, changed)


def effective_status(
    user,
    center: Center,
    requested: str,
    *,
    recorded_by_id: int | None = None,
    by_token: bool = False,
) -> tuple[str, str]:
    """(status a write lands with, why it is not `requested` or ""): anything but
    "registrado" that the writer may not set (accounts.access) becomes "registrado"."""
    refusal = status_refusal(
        user,
        center,
        validating=requested == ReportStatus.VALIDATED,
        cancelling=requested == ReportStatus.CANCELLED,
        recorded_by_id=recorded_by_id,
        by_token=by_token,
    )
    return (ReportStatus.REGISTERED, refusal) if refusal else (requested, "")


def _report_values(report, center, fields: dict, optional: dict, delivery_district) -> dict:
    """The report's values: `fields` as given, `optional` (KEEP = keep) and the place."""
    values = dict(fields)
    if delivery_district is KEEP and report is not None:
        values["delivery_district_id"] = report.delivery_district_id or center.district_id
    elif delivery_district not in (None, KEEP):
        values["delivery_district_id"] = delivery_district.pk
    else:
        values["delivery_district_id"] = center.district_id
    for name, value in optional.items():
        if value is KEEP:
            value = getattr(report, name) if report is not None else _KEPT_DEFAULTS[name]
        values[name] = value
    return values


@transaction.atomic
def record_service_report(
    *,
    center: Center,
    code: str,
    start_date: date,
    end_date: date,
    units: list[AttendedUnit],
    category: ServiceCategory | None = None,
    catalogue_service: CatalogueService | None = None,
    chain=None,
    delivery_district=KEEP,
    status: str = ReportStatus.REGISTERED,
    is_free: bool = False,
    programme=None,
    participants: int | None = KEEP,
    hours: Decimal | None = KEEP,
    notes: str = KEEP,
    actor=None,
    by_token: bool = False,
    source: str = AuditEntry.Source.SCREEN,
    batch: ImportBatch | None = None,
    today: date | None = None,
) -> RecordResult:
    """Create the report `code` of `center`, or bring an existing one in line (idempotent).

    The attended units become exactly `units`: one Service each (the counting unit).
    participants, hours, notes and delivery_district not passed keep the report's values
    (empty, and the center's seat, when new; None: the seat). `status` is what is asked for:
    decide_status says what it lands as (`by_token`: an API token wrote it). Nothing changed,
    nothing written (no save, audit entry or new updated_at). actor=None: the system."""
    if not (code := code.strip()):
        raise ValidationError({"code": "Indique el código del informe."})
    warnings = check_report_rules(
        center=center, category=category, catalogue_service=catalogue_service, units=units,
        start_date=start_date, end_date=end_date, is_free=is_free, today=today,
    )  # fmt: skip
    fields = {
        "category": category or catalogue_service.category,
        "catalogue_service": catalogue_service,
        "chain": chain,
        "start_date": start_date,
        "end_date": end_date,
        "status": status,
        "is_free": is_free,
        "programme": programme,
    }
    optional = {"participants": participants, "hours": hours, "notes": notes}
    report, before = _prepared(center, code, fields, optional, delivery_district, actor, batch)
    services = [(a.unit.pk, a.amount) for a in units]
    decision = settle_status(
        report, before, services, requested=status, actor=actor, by_token=by_token
    )
    report.full_clean(exclude=["created_by", "recorded_by"])
    after = snapshot_report(report, services)
    if before == after:
        return RecordResult(report, "unchanged", warnings, decision.refusal)
    check_months_open(center, [end_date, before and date.fromisoformat(before["end_date"])])
    _save(report, units, before, after, actor=actor, source=source, batch=batch)
    outcome = "created" if before is None else "updated"
    return RecordResult(report, outcome, warnings, decision.refusal)


def _prepared(center, code, fields, optional, delivery_district, actor, batch):
    """The report `code` of `center`, locked (or a new one), with its new values set; and
    its snapshot before them (None when new)."""
    report = ServiceReport.objects.select_for_update().filter(center=center, code=code).first()
    values = _report_values(report, center, fields, optional, delivery_district)
    before = snapshot_report(report) if report else None
    if report is None:
        report = ServiceReport(center=center, code=code, created_by=actor, import_batch=batch)
    for name, value in values.items():
        setattr(report, name, value)
    return report, before


def _save(report, units, before, after, *, actor, source, batch) -> None:
    """Write the report and its services, and the audit entry of the change."""
    report.save()
    set_services(report, units)
    record_audit(
        action=AuditEntry.Action.CREATE if before is None else AuditEntry.Action.UPDATE,
        source=source,
        obj=report,
        actor=actor,
        center=report.center,
        batch=batch,
        before=before,
        after=after,
    )


def settle_status(
    report: ServiceReport,
    before: dict | None,
    services: list,
    *,
    requested: str,
    actor,
    by_token: bool = False,
) -> StatusDecision:
    """Decide the status of `report` (its new values set, not saved) and set it, with the
    cancel reason and the recorder that go with it. `before`: its snapshot as saved."""
    decision = decide_status(
        actor=actor,
        center=report.center,
        requested=requested,
        before=before,
        after=snapshot_report(report, services),
        recorded_by_id=report.recorded_by_id,
        by_token=by_token,
    )
    report.status = decision.status
    was_cancelled = before is not None and before["status"] == ReportStatus.CANCELLED
    if was_cancelled and decision.status != ReportStatus.CANCELLED:
        report.cancel_reason = ""  # brought back: the reason no longer applies
    if decision.content_changed:
        report.recorded_by = actor  # for a token write, the token's creator
    return decision


def set_services(report: ServiceReport, units: list[AttendedUnit]) -> None:
    wanted = {a.unit.pk: a for a in units}
    existing = {s.unit_id: s for s in report.services.all()}
    report.services.exclude(unit_id__in=wanted).delete()
    for unit_id, attended in wanted.items():
        service = existing.get(unit_id)
        name = " ".join(attended.typed_name.split())[:250]
        if service is None:
            Service.objects.create(
                report=report, unit_id=unit_id, amount=attended.amount, typed_name=name
            )
            continue
        changed = {"amount": attended.amount, "typed_name": name or service.typed_name}
        changed = {k: v for k, v in changed.items() if getattr(service, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(service, key, value)
            service.save(update_fields=list(changed))


def _refuse(what: str, report: ServiceReport, refusal: str) -> None:
    if refusal:
        message = f"No se puede {what} el informe {report.code}: {refusal}."
        raise ValidationError({"status": message})


@transaction.atomic
def cancel_report(
    *,
    report: ServiceReport,
    reason: str,
    actor,
    source: str = AuditEntry.Source.SCREEN,
    batch: ImportBatch | None = None,
) -> ServiceReport:
    """Cancel (never delete) a report: it stops counting and keeps its history.

    Only who may cancel in the report's center (accounts.access.cancel_refusal)."""
    _refuse("anular", report, cancel_refusal(actor, report.center))
    if not reason.strip():
        raise ValidationError({"cancel_reason": "Indique el motivo de la anulación."})
    check_months_open(report.center, [report.end_date])
    before = snapshot_report(report)
    report.status, report.cancel_reason = ReportStatus.CANCELLED, reason.strip()[:300]
    report.save(update_fields=["status", "cancel_reason", "updated_at"])
    record_audit(
        action=AuditEntry.Action.CANCEL,
        source=source,
        obj=report,
        actor=actor,
        center=report.center,
        batch=batch,
        before=before,
        after=snapshot_report(report),
        reason=reason,
    )
    return report


@transaction.atomic
def set_report_status(
    *, report: ServiceReport, status: str, actor, source: str = AuditEntry.Source.SCREEN
) -> ServiceReport:
    """Validate a registered report (or send a validated one back to registered).

    Validating follows accounts.access.validation_refusal (role, center, four eyes against
    the report's recorder); sending back, cancel_refusal. Refused: ValidationError, nothing
    changed."""
    # The report's row only (not its center's: `of`), then its month: the order of every write.
    locked = ServiceReport.objects.select_for_update(of=("self",)).select_related("center")
    report = locked.get(pk=report.pk)
    if report.status == ReportStatus.CANCELLED:
        raise ValidationError({"status": f"El informe {report.code} está anulado: no se valida."})
    if status == ReportStatus.VALIDATED:
        refusal = validation_refusal(actor, report.center, recorded_by_id=report.recorded_by_id)
        _refuse("validar", report, refusal)
    elif status == ReportStatus.REGISTERED:
        _refuse("devolver a «registrado»", report, cancel_refusal(actor, report.center))
    else:
        raise ValidationError({"status": "Para anular un informe indique el motivo (Anular)."})
    if report.status == status:
        return report
    check_months_open(report.center, [report.end_date])
    before = snapshot_report(report)
    report.status = status
    report.save(update_fields=["status", "updated_at"])
    record_audit(
        action=AuditEntry.Action.VALIDATE
        if status == ReportStatus.VALIDATED
        else AuditEntry.Action.UPDATE,
        source=source,
        obj=report,
        actor=actor,
        center=report.center,
        before=before,
        after=snapshot_report(report),
    )
    return report


@dataclass
class Validation:
    """What validating several reports did: validated, and skipped with the reason."""

    validated: list[ServiceReport] = field(default_factory=list)
    skipped: list[tuple[ServiceReport, str]] = field(default_factory=list)


@transaction.atomic
def validate_reports(*, reports: list[ServiceReport], actor) -> Validation:
    """Validate each report that `actor` may validate; skip (and say why) the others, e.g.
    those they recorded themselves under four eyes. Each validation is audited."""
    outcome = Validation()
    lock_reports([report.pk for report in reports])
    for report in reports:
        try:
            validated = set_report_status(report=report, status=ReportStatus.VALIDATED, actor=actor)
        except ValidationError as error:
            outcome.skipped.append((report, " ".join(error.messages)))
        else:
            outcome.validated.append(validated)
    return outcome


def lock_reports(ids: Iterable[int]) -> list[tuple[int, int, date]]:
    """Lock reports' rows in id order, before any month (closing.lock_month): every write
    takes reports first, then months, so two writes wait for each other, never deadlock.
    Returns (id, center id, end date) of each."""
    rows = ServiceReport.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")
    return list(rows.values_list("pk", "center_id", "end_date"))
