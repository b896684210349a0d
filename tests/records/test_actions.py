"""The actions behind every door: rules in Spanish, cancel keeps history, merges move services."""

from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from django.core.exceptions import ValidationError

from citesmart.geo.models import District
from citesmart.lib.identity import random_ruc, ruc_for_dni
from citesmart.network.models import CatalogueService, ServiceCategory
from citesmart.records.actions import (
    AttendedUnit,
    cancel_report,
    record_service_report,
    set_report_status,
)
from citesmart.records.models import AuditEntry, ReportStatus, Service, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit, merge_units
from citesmart.units.models import ProductiveUnit
from citesmart.units.queries import find_unit

YESTERDAY = date.today() - timedelta(days=1)


def capacitacion() -> ServiceCategory:
    return ServiceCategory.objects.get(code="capacitacion")


def enterprise(center, name: str, seed: int) -> ProductiveUnit:
    return get_or_create_unit(
        document_type="ruc",
        document_number=random_ruc(Random(seed)),
        name=name,
        client_type="empresa_formal",
        center=center,
    )[0]


def record(center, code: str, units: list[AttendedUnit], **fields):
    values = {"start_date": YESTERDAY, "end_date": YESTERDAY, "category": capacitacion()}
    values.update(fields)
    return record_service_report(center=center, code=code, units=units, **values)


@pytest.fixture
def unit(center_a) -> ProductiveUnit:
    return enterprise(center_a, "Olivícola Ilo SAC", 1)


def test_recording_creates_one_service_per_unit_and_an_audit_entry(center_a, unit, operator_a):
    other = enterprise(center_a, "Bodega Biondi SAC", 2)
    result = record(
        center_a, "MOQ-1", [AttendedUnit(unit, Decimal("5")), AttendedUnit(other)], actor=operator_a
    )
    assert result.outcome == "created" and result.report.services.count() == 2
    entry = AuditEntry.objects.get(object_type="servicereport", object_id=result.report.pk)
    assert entry.action == AuditEntry.Action.CREATE and entry.before is None
    assert entry.after["services"] == sorted([[unit.pk, "5.00"], [other.pk, "0.00"]])


def test_recording_again_is_idempotent(center_a, unit):
    record(center_a, "MOQ-1", [AttendedUnit(unit)])
    assert record(center_a, "MOQ-1", [AttendedUnit(unit)]).outcome == "unchanged"
    assert ServiceReport.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"end_date": YESTERDAY - timedelta(days=3)},
            "end_date",
            "La fecha de fin no puede ser anterior a la fecha de inicio.",
        ),
        (
            {"end_date": date.today() + timedelta(days=1)},
            "end_date",
            "La fecha no puede ser futura",
        ),
        ({"is_free": True, "amount": Decimal("3")}, "amount", "Un servicio gratuito tiene monto 0"),
        ({"amount": Decimal("-1")}, "amount", "El monto no puede ser negativo."),
        ({"category": None}, "category", "Indique la categoría del servicio"),
    ],
)
def test_broken_rules_raise_spanish_errors_and_write_nothing(
    center_a, unit, fields, field, message
):
    amount = fields.pop("amount", Decimal("0"))
    with pytest.raises(ValidationError) as raised:
        record(center_a, "MOQ-1", [AttendedUnit(unit, amount)], **fields)
    assert message in raised.value.message_dict[field][0]
    assert not ServiceReport.objects.exists() and not Service.objects.exists()


def test_a_unit_twice_on_one_report_is_refused(center_a, unit):
    with pytest.raises(ValidationError) as raised:
        record(center_a, "MOQ-1", [AttendedUnit(unit), AttendedUnit(unit)])
    assert raised.value.message_dict["units"] == [
        "Una unidad productiva figura más de una vez en el informe."
    ]


def test_another_centers_catalogue_service_is_refused(center_a, center_b, unit):
    shoes = CatalogueService.objects.create(
        center=center_b, name="Ensayo de calzado", category=capacitacion(), tariff=Decimal("80")
    )
    with pytest.raises(ValidationError) as raised:
        record(center_a, "MOQ-1", [AttendedUnit(unit)], catalogue_service=shoes)
    assert raised.value.message_dict["catalogue_service"] == [
        "El servicio no pertenece al catálogo de este centro."
    ]


def test_cancel_keeps_the_report_and_its_history(center_a, unit, manager_a):
    report = record(center_a, "MOQ-1", [AttendedUnit(unit, Decimal("40"))]).report
    cancel_report(report=report, reason="Servicio no prestado", actor=manager_a)
    report.refresh_from_db()
    assert report.status == ReportStatus.CANCELLED and report.services.count() == 1
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CANCEL, object_id=report.pk)
    assert entry.before["status"] == "registrado" and entry.after["status"] == "anulado"
    assert entry.changes["cancel_reason"] == ["", "Servicio no prestado"]
    assert entry.actor == manager_a and entry.center == center_a


def test_cancel_needs_a_reason(center_a, unit, manager_a):
    report = record(center_a, "MOQ-1", [AttendedUnit(unit)]).report
    with pytest.raises(ValidationError) as raised:
        cancel_report(report=report, reason="  ", actor=manager_a)
    assert raised.value.message_dict["cancel_reason"] == ["Indique el motivo de la anulación."]


def test_a_cancelled_report_cannot_be_validated(center_a, unit, manager_a):
    report = record(center_a, "MOQ-1", [AttendedUnit(unit)]).report
    cancel_report(report=report, reason="Duplicado", actor=manager_a)
    with pytest.raises(ValidationError):
        set_report_status(report=report, status=ReportStatus.VALIDATED, actor=manager_a)


def test_merge_moves_services_and_keeps_the_duplicate_with_history(
    center_a, center_b, national_admin
):
    survivor = enterprise(center_a, "Agroindustrias Moquegua SAC", 3)
    duplicate = enterprise(center_b, "AGROINDUSTRIAS MOQUEGUA S.A.C.", 4)
    both = record(
        center_a,
        "MOQ-1",
        [AttendedUnit(survivor, Decimal("10")), AttendedUnit(duplicate, Decimal("5"))],
    ).report
    only_dup = record(center_b, "TRU-1", [AttendedUnit(duplicate, Decimal("7"))]).report
    merge_units(
        survivor=survivor,
        duplicate=duplicate,
        actor=national_admin,
        reason="Mismo contribuyente con RUC mal digitado",
    )
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert list(both.services.values_list("unit", "amount")) == [(survivor.pk, Decimal("15"))]
    assert list(only_dup.services.values_list("unit", flat=True)) == [survivor.pk]
    entry = AuditEntry.objects.get(
        action=AuditEntry.Action.MERGE, object_id=duplicate.pk, object_type="productiveunit"
    )
    assert entry.before["merged_into"] is None and entry.after["merged_into"] == survivor.pk
    # The duplicate's document now leads to the survivor (it used to find nothing, so a
    # re-import of an old file created the duplicate again): it holds the services.
    assert find_unit("ruc", duplicate.document_number) == survivor
    again, created = get_or_create_unit(
        document_type="ruc",
        document_number=duplicate.document_number,
        name="Agroindustrias Moquegua",
        center=center_b,
    )
    assert again == survivor and not created


def test_ruc_10_and_dni_of_the_same_person_are_one_unit(center_a):
    by_dni, created = get_or_create_unit(
        document_type="dni",
        document_number="41234567",
        name="Rosa Mamani",
        client_type="emprendedor",
        center=center_a,
    )
    by_ruc, again = get_or_create_unit(
        document_type="ruc",
        document_number=ruc_for_dni("41234567"),
        name="Rosa Mamani",
        center=center_a,
    )
    assert created and not again and by_ruc.pk == by_dni.pk
    assert ProductiveUnit.objects.count() == 1
    assert find_unit("dni", "41234567").pk == by_dni.pk


def test_recording_the_same_report_again_writes_nothing(center_a, unit, operator_a):
    first = record(
        center_a,
        "MOQ-9",
        [AttendedUnit(unit, Decimal("12.5"))],
        hours=Decimal("3"),
        participants=4,
        actor=operator_a,
    ).report
    stamp = ServiceReport.objects.get(pk=first.pk).updated_at
    again = record(
        center_a,
        "MOQ-9",
        [AttendedUnit(unit, Decimal("12.50"))],
        hours=Decimal("3.0"),
        participants=4,
        actor=operator_a,
    )
    assert again.outcome == "unchanged"
    assert ServiceReport.objects.get(pk=first.pk).updated_at == stamp
    assert AuditEntry.objects.filter(object_type="servicereport", object_id=first.pk).count() == 1


def test_optional_fields_not_passed_keep_their_values(center_a, unit):
    district = District.objects.get(code="180101")
    first = record(
        center_a,
        "MOQ-10",
        [AttendedUnit(unit)],
        participants=25,
        hours=Decimal("8"),
        notes="Taller en campo",
        delivery_district=district,
    ).report
    changed = record(
        center_a,
        "MOQ-10",
        [AttendedUnit(unit)],
        end_date=YESTERDAY,
        start_date=YESTERDAY,
        chain=None,
    )
    report = ServiceReport.objects.get(pk=first.pk)
    assert changed.outcome == "unchanged"
    assert (report.participants, report.hours, report.notes) == (
        25,
        Decimal("8.0"),
        "Taller en campo",
    )
    assert report.delivery_district_id == district.pk
    record(center_a, "MOQ-10", [AttendedUnit(unit)], notes="")
    report.refresh_from_db()
    assert report.notes == "" and report.participants == 25
