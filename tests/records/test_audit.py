"""The audit trail in the back office: read-only, readable changes, history links, scoped."""

from datetime import date, timedelta
from decimal import Decimal
from random import Random

import pytest
from django.urls import reverse

from citesmart.lib.identity import random_ruc
from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, cancel_report, record_service_report
from citesmart.records.models import AuditEntry, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit

AUDIT_URL = reverse("admin:records_auditentry_changelist")
YESTERDAY = date.today() - timedelta(days=1)


def make_report(center, code: str, seed: int, actor=None) -> ServiceReport:
    unit, _ = get_or_create_unit(
        document_type="ruc",
        document_number=random_ruc(Random(seed)),
        name=f"Empresa {code}",
        client_type="empresa_formal",
        center=center,
        actor=actor,
    )
    return record_service_report(
        center=center,
        code=code,
        start_date=YESTERDAY,
        end_date=YESTERDAY,
        units=[AttendedUnit(unit, Decimal("10"))],
        category=ServiceCategory.objects.get(code="capacitacion"),
        actor=actor,
    ).report


@pytest.fixture
def report_a(center_a, operator_a) -> ServiceReport:
    return make_report(center_a, "MOQ-001", 1, operator_a)


@pytest.fixture
def report_b(center_b, operator_b) -> ServiceReport:
    return make_report(center_b, "TRU-001", 2, operator_b)


def test_center_staff_see_only_their_centers_audit_entries(
    client_for, manager_a, report_a, report_b
):
    page = client_for(manager_a).get(AUDIT_URL).content.decode()
    assert "MOQ-001" in page and "Empresa MOQ-001" in page
    assert "TRU-001" not in page


def test_an_audit_entry_of_another_center_answers_404(client_for, manager_a, report_b):
    entry = AuditEntry.objects.filter(center=report_b.center).first()
    url = reverse("admin:records_auditentry_change", args=[entry.pk])
    assert client_for(manager_a).get(url).status_code == 404


def test_national_staff_see_every_entry(client_for, analyst, report_a, report_b):
    page = client_for(analyst).get(AUDIT_URL).content.decode()
    assert "MOQ-001" in page and "TRU-001" in page


def test_the_audit_is_read_only_for_everyone(client_for, national_admin, report_a):
    entry = AuditEntry.objects.filter(object_type="servicereport").first()
    client = client_for(national_admin)
    assert client.get(reverse("admin:records_auditentry_add")).status_code == 403
    delete = reverse("admin:records_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_cancelling_shows_before_and_after_as_a_readable_table(client_for, manager_a, report_a):
    cancel_report(report=report_a, reason="Servicio no prestado", actor=manager_a)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CANCEL)
    page = (
        client_for(manager_a)
        .get(reverse("admin:records_auditentry_change", args=[entry.pk]))
        .content.decode()
    )
    assert "<th>Estado</th><td>Registrado</td><td>→</td><td>Anulado</td>" in page
    assert "<th>Motivo de anulación</th><td>—</td><td>→</td><td>Servicio no prestado</td>" in page


def test_the_creation_entry_names_related_objects_and_units(client_for, manager_a, report_a):
    entry = AuditEntry.objects.get(object_type="servicereport", action=AuditEntry.Action.CREATE)
    page = (
        client_for(manager_a)
        .get(reverse("admin:records_auditentry_change", args=[entry.pk]))
        .content.decode()
    )
    assert "<th>Categoría</th><td>—</td><td>→</td><td>Capacitación</td>" in page
    unit = report_a.services.get().unit
    assert f"RUC {unit.document_number} (S/ 10.00)" in page


def test_each_report_page_links_to_its_history(client_for, operator_a, report_a, report_b):
    client = client_for(operator_a)
    page = client.get(reverse("admin:records_servicereport_change", args=[report_a.pk]))
    link = f"{AUDIT_URL}?object_type=servicereport&amp;object_id={report_a.pk}"
    assert link in page.content.decode()
    history = client.get(AUDIT_URL, {"object_type": "servicereport", "object_id": report_a.pk})
    assert history.status_code == 200
    entries = list(history.context["cl"].result_list)
    assert [e.object_id for e in entries] == [report_a.pk]


def test_the_audit_list_filters_by_action_source_and_user(
    client_for, national_admin, operator_a, report_a
):
    cancel_report(report=report_a, reason="Duplicado", actor=national_admin)
    client = client_for(national_admin)
    cancelled = client.get(AUDIT_URL, {"action": "anular"}).context["cl"].result_list
    assert [e.reason for e in cancelled] == ["Duplicado"]
    by_operator = client.get(AUDIT_URL, {"actor__id__exact": operator_a.pk}).context["cl"]
    assert {e.object_type for e in by_operator.result_list} == {"servicereport", "productiveunit"}
    searched = client.get(AUDIT_URL, {"q": "MOQ-001", "source": "pantalla"}).context["cl"]
    assert {(e.object_type, e.object_id) for e in searched.result_list} == {
        ("servicereport", report_a.pk),
        ("productiveunit", report_a.services.get().unit_id),  # "Empresa MOQ-001"
    }
