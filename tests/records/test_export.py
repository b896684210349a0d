"""Exports: managers take their center's records out, ITP any center, operators none; safe cells."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from citesmart.lib.identity import random_ruc
from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report, set_report_status
from citesmart.records.export import HEADERS, export_rows
from citesmart.records.models import ReportStatus, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit

LIST_URL = reverse("admin:records_servicereport_changelist")
EXPORT_URL = reverse("admin:records_servicereport_export")
YESTERDAY = date.today() - timedelta(days=1)
HOSTILE_NAMES = ['=HYPERLINK("http://malo.example","clic")', "+51 cmd", "-2+3", "@SUMA(A1)"]


def make_report(center, code: str, names: list[str], seed: int) -> ServiceReport:
    rng = Random(seed)
    units = [
        get_or_create_unit(
            document_type="ruc",
            document_number=random_ruc(rng),
            name=name,
            client_type="empresa_formal",
            center=center,
        )[0]
        for name in names
    ]
    return record_service_report(
        center=center,
        code=code,
        start_date=YESTERDAY,
        end_date=YESTERDAY,
        units=[AttendedUnit(unit, Decimal("25.50")) for unit in units],
        category=ServiceCategory.objects.get(code="asistencia-tecnica"),
    ).report


@pytest.fixture
def report_a(center_a) -> ServiceReport:
    return make_report(center_a, "MOQ-001", ["Pisquera Moqueguana SAC", *HOSTILE_NAMES], seed=1)


@pytest.fixture
def report_b(center_b) -> ServiceReport:
    return make_report(center_b, "TRU-001", ["Calzados Trujillo SAC"], seed=2)


def download(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)  # the test client closes it at the end


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    return rows


def test_manager_exports_own_center_to_csv(client_for, manager_a, report_a, report_b):
    response = client_for(manager_a).get(EXPORT_URL, {"formato": "csv"})
    assert response["Content-Disposition"].startswith(
        'attachment; filename="informes-citeagroindustrial-moquegua-'
    )
    rows = csv_rows(download(response))
    assert rows[0] == HEADERS
    assert len(rows) == 1 + 5  # one row per service (attended unit)
    assert {row[0] for row in rows[1:]} == {"MOQ-001"}
    pisquera = next(row for row in rows if row[15] == "Pisquera Moqueguana SAC")
    assert pisquera[1] == "CITEagroindustrial Moquegua" and pisquera[2] == "Registrado"
    assert pisquera[13] == "RUC" and pisquera[19] == "25.50"


def test_manager_exports_own_center_to_xlsx(client_for, manager_a, report_a, report_b):
    rows = xlsx_rows(download(client_for(manager_a).get(EXPORT_URL, {"formato": "xlsx"})))
    assert list(rows[0]) == HEADERS
    assert {row[0] for row in rows[1:]} == {"MOQ-001"}
    assert len(rows) == 6
    assert rows[1][7] is not None and rows[1][7].date() == YESTERDAY  # a real date cell


def test_formula_injection_is_neutralised_in_both_formats(client_for, manager_a, report_a):
    client = client_for(manager_a)
    csv_names = {row[15] for row in csv_rows(download(client.get(EXPORT_URL, {"formato": "csv"})))}
    xlsx_names = {row[15] for row in xlsx_rows(download(client.get(EXPORT_URL)))}
    for name in HOSTILE_NAMES:
        assert "'" + name in csv_names and name not in csv_names
        assert "'" + name in xlsx_names and name not in xlsx_names


def test_national_staff_export_every_center(client_for, analyst, report_a, report_b):
    rows = csv_rows(download(client_for(analyst).get(EXPORT_URL, {"formato": "csv"})))
    assert {row[0] for row in rows[1:]} == {"MOQ-001", "TRU-001"}


def test_the_export_follows_the_lists_filters(client_for, national_admin, report_a, report_b):
    set_report_status(report=report_b, status=ReportStatus.VALIDATED, actor=national_admin)
    response = client_for(national_admin).get(EXPORT_URL, {"formato": "csv", "status": "validado"})
    assert {row[0] for row in csv_rows(download(response))[1:]} == {"TRU-001"}


def test_an_operator_cannot_export(client_for, operator_a, report_a):
    client = client_for(operator_a)
    assert client.get(EXPORT_URL, {"formato": "csv"}).status_code == 403
    page = client.get(LIST_URL).content.decode()
    assert "Exportar" not in page
    response = client.post(LIST_URL, {"action": "export_csv", "_selected_action": [report_a.pk]})
    # No list action is offered to an operator: the list comes back, without a file.
    assert response.status_code in (200, 302) and not response.has_header("Content-Disposition")


def test_manager_exports_selected_reports_with_the_list_action(client_for, manager_a, report_a):
    page = client_for(manager_a).get(LIST_URL).content.decode()
    assert "Exportar a Excel" in page
    response = client_for(manager_a).post(
        LIST_URL, {"action": "export_xlsx", "_selected_action": [report_a.pk]}
    )
    assert len(xlsx_rows(download(response))) == 6


def test_export_rows_are_one_per_service_with_spanish_labels(report_a, report_b):
    rows = list(export_rows(ServiceReport.objects.filter(pk=report_b.pk)))
    assert len(rows) == 1
    row = dict(zip(HEADERS, rows[0], strict=True))
    assert row["Unidad productiva"] == "Calzados Trujillo SAC"
    assert row["Tipo de cliente"] == "Empresa formal" and row["Gratuito"] == "No"
    assert row["Monto cobrado (S/)"] == Decimal("25.50")
