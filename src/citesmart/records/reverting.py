"""Undoing an import: reports it created are cancelled, reports it changed get their values
back, each through the same rules (status by role, month lock) and audit as any write."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from citesmart.accounts.access import cancel_refusal
from citesmart.network.models import Center
from citesmart.records.actions import (
    AttendedUnit,
    cancel_report,
    lock_reports,
    set_services,
    settle_status,
)
from citesmart.records.audit import record_audit
from citesmart.records.closing import check_months_open
from citesmart.records.models import AuditEntry, ImportBatch, ServiceReport
from citesmart.records.snapshots import snapshot_report
from citesmart.units.models import ProductiveUnit


@transaction.atomic
def revert_batch(*, batch: ImportBatch, actor) -> ImportBatch:
    """Undo an import: reports it created are cancelled, reports it changed get values back.

    Only who may cancel in the batch's center; a restored status goes through the same rule
    as any write (decide_status: with four eyes, a validated report restored by the person
    reverting lands "registrado")."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)  # one revert at a time
    if batch.status != ImportBatch.Status.COMMITTED:
        raise ValidationError("Solo se puede revertir un lote registrado y no revertido.")
    refusal = cancel_refusal(actor, batch.center)
    if refusal:
        raise ValidationError(f"No se puede revertir el lote #{batch.pk}: {refusal}.")
    entries = list(batch.audit_entries.filter(object_type="servicereport").order_by("-id"))
    _lock_for_revert(entries)
    for entry in entries:
        report = ServiceReport.objects.select_for_update().get(pk=entry.object_id)
        if entry.action == AuditEntry.Action.CREATE:
            cancel_report(
                report=report,
                reason=f"Reversión del lote #{batch.pk}",
                actor=actor,
                source=AuditEntry.Source.IMPORT,
                batch=None,
            )
        elif entry.before is not None:
            _restore(report, entry.before, actor=actor, batch=batch)
    batch.status, batch.reverted_by, batch.reverted_at = (
        ImportBatch.Status.REVERTED,
        actor,
        timezone.now(),
    )
    batch.save(update_fields=["status", "reverted_by", "reverted_at"])
    return batch


def _lock_for_revert(entries: list[AuditEntry]) -> None:
    """The batch's reports, then every month the revert will touch, in order (refused at
    once if one is closed or approved)."""
    ids = [entry.object_id for entry in entries]
    locked = {pk: (center_id, end) for pk, center_id, end in lock_reports(ids)}
    days: dict[int, set[date]] = defaultdict(set)
    for entry in entries:
        if entry.object_id in locked:
            center_id, end = locked[entry.object_id]
            days[center_id].add(end)
            if entry.before:
                days[center_id].add(date.fromisoformat(entry.before["end_date"]))
    for center in Center.objects.filter(pk__in=days).order_by("pk"):
        check_months_open(center, days[center.pk])


def _restore(report: ServiceReport, snapshot: dict, *, actor, batch: ImportBatch) -> None:
    check_months_open(report.center, [report.end_date, date.fromisoformat(snapshot["end_date"])])
    before = snapshot_report(report)
    for name, value in snapshot.items():
        if name == "services":
            continue
        field_name = f"{name}_id" if report._meta.get_field(name).is_relation else name
        setattr(report, field_name, value)
    services = [(uid, Decimal(amount)) for uid, amount in snapshot["services"]]
    decision = settle_status(report, before, services, requested=snapshot["status"], actor=actor)
    if decision.refusal:
        report.cancel_reason = ""
    report.full_clean(exclude=["created_by", "recorded_by"])
    report.save()
    set_services(report, [AttendedUnit(ProductiveUnit(pk=uid), amt) for uid, amt in services])
    reason = f"Reversión del lote #{batch.pk}"
    if decision.refusal:
        reason += f"; queda «registrado»: {decision.refusal}"
    record_audit(
        action=AuditEntry.Action.REVERT,
        source=AuditEntry.Source.IMPORT,
        obj=report,
        actor=actor,
        center=report.center,
        before=before,
        after=snapshot_report(report),
        reason=reason,
    )
