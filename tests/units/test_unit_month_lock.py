"""A unit's attributes that count in figures cannot change while it has services in an
approved month: the page refuses in Spanish, naming the month and the center."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from tests.records.test_validation_by_role import rows_csv

from citesmart.lib.identity import ruc_for_dni
from citesmart.network.models import ServiceCategory
from citesmart.records import imports
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.closing import approve_month, close_month, reopen_month
from citesmart.records.models import ReportStatus
from citesmart.records.unit_actions import get_or_create_unit

pytestmark = pytest.mark.django_db


def served_in_approved_march(center, kind="ruc", number="20131312955"):
    unit = get_or_create_unit(
        document_type=kind,
        document_number=number,
        name="Pisquera SAC",
        client_type="empresa_formal",
    )[0]
    record_service_report(
        center=center,
        code="MAR-001",
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 7),
        units=[AttendedUnit(unit, Decimal("10"))],
        category=ServiceCategory.objects.get(code="capacitacion"),
        status=ReportStatus.VALIDATED,
    )
    close_month(center=center, year=2025, month=3, actor=None)
    approve_month(center=center, year=2025, month=3, actor=None)
    return unit


def edit(client, unit, **changes):
    data = {"name": unit.name, "client_type": unit.client_type, "size_class": unit.size_class}
    return client.post(reverse("admin:units_productiveunit_change", args=[unit.pk]), data | changes)


def test_changing_the_client_type_of_a_unit_of_an_approved_month_is_refused(
    client_for, national_admin, operator_a, center_a
):
    unit = served_in_approved_march(center_a)
    for who in (operator_a, national_admin):
        response = edit(client_for(who), unit, client_type="persona_natural_negocio")
        assert response.status_code == 200
        page = response.content.decode()
        assert "tipo de cliente" in page and f"marzo de 2025 de {center_a}" in page
        assert "reabrir esos meses" in page
        unit.refresh_from_db()
        assert unit.client_type == "empresa_formal"


def test_contact_data_and_name_may_still_be_corrected(client_for, operator_a, center_a):
    unit = served_in_approved_march(center_a)
    response = edit(client_for(operator_a), unit, name="Pisquera S.A.C.", email="a@b.example")
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.name, unit.email) == ("Pisquera S.A.C.", "a@b.example")


def test_once_reopened_the_change_goes_through(client_for, national_admin, center_a):
    unit = served_in_approved_march(center_a)
    reopen_month(center=center_a, year=2025, month=3, actor=None, reason="Corregir cliente")
    response = edit(client_for(national_admin), unit, size_class="pequena")
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.size_class == "pequena"


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "actions"])
def test_an_import_may_still_give_a_persons_ruc_10_same_figures(
    center_a, operator_a, bulk, settings, tmp_path
):
    """The RUC 10 of a person known by DNI is the same natural person: no figure changes."""
    settings.MEDIA_ROOT = tmp_path
    unit = served_in_approved_march(center_a, kind="dni", number="41234567")
    april = {"fecha_inicio": "01/04/2025", "fecha_fin": "04/04/2025", "estado": "registrado"}
    data = rows_csv({"numero_documento": ruc_for_dni("41234567"), "codigo_informe": "ABR"} | april)
    result = imports.import_file(
        io.BytesIO(data), center=center_a, filename="a.csv", user=operator_a, bulk=bulk
    )
    assert result.written and not result.errors
    unit.refresh_from_db()
    assert (unit.document_type, unit.person_dni) == ("ruc", "41234567")
