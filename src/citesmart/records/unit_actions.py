"""Writes on productive units: find-or-create by identity, and merging duplicates.

They live with the records, not in `units`: a merge moves services and both write the
records' audit trail (the units app holds only the model and the lookups by identity).
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction

from citesmart.accounts.access import merge_refusal
from citesmart.lib.identity import (
    DocumentType,
    InvalidDocument,
    clean_document,
    dni_from_ruc,
    is_natural_person_ruc,
)
from citesmart.records.audit import record_audit
from citesmart.records.closing import check_months_open
from citesmart.records.models import AuditEntry, Service
from citesmart.records.snapshots import unit_snapshot
from citesmart.units.models import ClientType, ProductiveUnit
from citesmart.units.queries import find_unit


def _person_dni(document_type: str, number: str) -> str:
    if document_type == DocumentType.DNI:
        return number
    if document_type == DocumentType.RUC and is_natural_person_ruc(number):
        return dni_from_ruc(number)
    return ""


@transaction.atomic
def get_or_create_unit(
    *,
    document_type: str,
    document_number: str,
    name: str,
    client_type: str = ClientType.OTHER,
    size_class: str = "",
    district=None,
    department=None,
    center=None,
    actor=None,
    source: str = AuditEntry.Source.SCREEN,
    batch=None,
) -> tuple[ProductiveUnit, bool]:
    """The unit with this identity, created if new. Raises ValidationError in Spanish.

    A RUC 10 given for a person known by DNI upgrades that unit to the RUC (same person).
    """
    document_type = DocumentType(document_type)
    try:
        number = (
            clean_document(document_type, document_number)
            if document_type != DocumentType.NONE
            else ""
        )
    except InvalidDocument as error:
        raise ValidationError({"document_number": str(error)}) from error
    unit = find_unit(document_type, number, name=name, district=district, center=center)
    if unit is not None:
        # Only the same person's RUC 10 (a survivor found through a merged unit may differ).
        same_person = unit.person_dni == _person_dni(document_type, number)
        upgrade = (unit.document_type, document_type) == (DocumentType.DNI, DocumentType.RUC)
        if upgrade and same_person:
            _upgrade_to_ruc(unit, number, source=source, actor=actor, center=center, batch=batch)
        return unit, False
    unit = ProductiveUnit(
        document_type=document_type,
        document_number=number,
        person_dni=_person_dni(document_type, number),
        name=" ".join(name.split()),
        client_type=client_type,
        size_class=size_class or "sin_dato",
        district=district,
        department=department or (district.department if district else None),
        registered_by=center,
    )
    unit.full_clean()
    unit.save()
    record_audit(
        action=AuditEntry.Action.CREATE,
        source=source,
        obj=unit,
        actor=actor,
        center=center,
        batch=batch,
        after=unit_snapshot(unit),
    )
    return unit, True


def _upgrade_to_ruc(unit: ProductiveUnit, ruc: str, *, source: str, actor, center, batch) -> None:
    """A person known by DNI now gives their RUC 10: the unit takes it, audited."""
    before = unit_snapshot(unit)
    unit.document_type, unit.document_number = DocumentType.RUC, ruc
    unit.save(update_fields=["document_type", "document_number", "updated_at"])
    record_audit(
        action=AuditEntry.Action.UPDATE,
        source=source,
        obj=unit,
        actor=actor,
        center=center,
        batch=batch,
        before=before,
        after=unit_snapshot(unit),
        reason="RUC 10 de la misma persona",
    )


@transaction.atomic
def merge_units(
    *, survivor: ProductiveUnit, duplicate: ProductiveUnit, actor, reason: str
) -> ProductiveUnit:
    """Move the duplicate's services to the survivor and mark it merged; history stays.

    Where both attended the same report, the survivor's service stays and the amounts add up.
    Only ITP administrators merge (accounts.access.merge_refusal); no report's status changes.
    """
    refusal = merge_refusal(actor)
    if refusal:
        raise ValidationError(f"No se puede fusionar: {refusal}.")
    if survivor.pk == duplicate.pk or duplicate.merged_into_id is not None:
        raise ValidationError("No se puede fusionar una unidad consigo misma ni una ya fusionada.")
    moving: dict = defaultdict(list)  # a merge may not move services of a locked month
    for service in Service.objects.filter(unit=duplicate).select_related("report__center"):
        moving[service.report.center].append(service.report.end_date)
    for center, days in moving.items():
        check_months_open(center, days, field=None)
    for service in Service.objects.filter(unit=duplicate).select_for_update():
        twin = Service.objects.filter(report=service.report_id, unit=survivor).first()
        if twin is None:
            service.unit = survivor
            service.save(update_fields=["unit"])
        else:
            twin.amount += service.amount
            twin.save(update_fields=["amount"])
            service.delete()
    before = unit_snapshot(duplicate)
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["merged_into", "updated_at"])
    record_audit(
        action=AuditEntry.Action.MERGE,
        source=AuditEntry.Source.MERGE,
        obj=duplicate,
        actor=actor,
        before=before,
        after=unit_snapshot(duplicate),
        reason=reason,
    )
    record_audit(
        action=AuditEntry.Action.MERGE,
        source=AuditEntry.Source.MERGE,
        obj=survivor,
        actor=actor,
        before=unit_snapshot(survivor),
        after=unit_snapshot(survivor),
        reason=f"Recibe los servicios de la unidad #{duplicate.pk}: {reason}",
    )
    return survivor
