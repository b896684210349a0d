"""Four eyes holds for reports written with an API token: the token's creator recorded
them, so they cannot validate them themselves in the back office."""

import importlib
import json
from datetime import date

import pytest
from django.apps import apps
from django.urls import reverse

from citesmart.api.tokens import create_token
from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import AuditEntry, ReportStatus, ServiceReport

pytestmark = pytest.mark.django_db

BODY = {
    "codigo": "API-4OJOS",
    "fecha_inicio": "2025-03-01",
    "fecha_fin": "2025-03-03",
    "categoria": "asistencia-tecnica",
    "unidades": [
        {
            "tipo_documento": "DNI",
            "numero_documento": "45871236",
            "razon_social": "María Quispe Mamani",
            "ubigeo": "180101",
        }
    ],
}


@pytest.fixture(autouse=True)
def _four_eyes(settings):
    settings.RECORDS_FOUR_EYES = True


def post_with_token(client, secret: str) -> int:
    response = client.post(
        "/api/v1/informes/",
        json.dumps(BODY),
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    return response.status_code


def test_manager_cannot_validate_a_report_written_with_their_own_token(
    client, client_for, manager_a, center_a
):
    secret = create_token(center=center_a, name="ERP", actor=manager_a)[1]
    assert post_with_token(client, secret) == 201
    report = ServiceReport.objects.get(code="API-4OJOS")
    assert report.recorded_by == manager_a

    url = reverse("admin:records_servicereport_validate", args=[report.pk])
    page = client_for(manager_a).post(url, follow=True).content.decode()

    report.refresh_from_db()
    assert report.status == ReportStatus.REGISTERED
    assert "control de cuatro ojos" in page
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VALIDATE).exists()


def test_another_validator_validates_a_report_written_with_a_token(
    client, client_for, manager_a, national_admin, center_a
):
    secret = create_token(center=center_a, name="ERP", actor=manager_a)[1]
    assert post_with_token(client, secret) == 201
    report = ServiceReport.objects.get(code="API-4OJOS")

    url = reverse("admin:records_servicereport_validate", args=[report.pk])
    client_for(national_admin).post(url, follow=True)

    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED


def test_migration_gives_old_token_reports_their_tokens_creator_as_recorder(
    client, manager_a, center_a
):
    backfill = importlib.import_module("citesmart.records.migrations.0006_token_recorders")
    secret = create_token(center=center_a, name="ERP", actor=manager_a)[1]
    assert post_with_token(client, secret) == 201
    screen = record_service_report(
        center=center_a,
        code="SIN-TOKEN",
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 7),
        units=[AttendedUnit(ServiceReport.objects.get().services.get().unit)],
        category=ServiceCategory.objects.get(code="asistencia-tecnica"),
        actor=None,  # the system itself: stays without recorder
    ).report
    ServiceReport.objects.update(recorded_by=None)  # as token writes were stored until now

    backfill.backfill(apps, None)

    assert ServiceReport.objects.get(code="API-4OJOS").recorded_by == manager_a
    screen.refresh_from_db()
    assert screen.recorded_by is None
