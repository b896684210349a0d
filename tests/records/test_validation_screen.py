"""The manager's validation screen: a center's registered reports of a month, the summary,
"validate all" under four eyes, cancelling one with a reason; scoped and audited."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from citesmart.network.models import ServiceCategory
from citesmart.records.actions import AttendedUnit, record_service_report
from citesmart.records.models import AuditEntry, ReportStatus, ServiceReport
from citesmart.records.unit_actions import get_or_create_unit

URL = reverse("admin:records_servicereport_validation")
LIST_URL = reverse("admin:records_servicereport_changelist")
V, R, C = ReportStatus.VALIDATED, ReportStatus.REGISTERED, ReportStatus.CANCELLED


def record(center, code, *, actor, units, amount="50", end=date(2025, 3, 7), is_free=False):
    return record_service_report(
        center=center,
        code=code,
        start_date=end.replace(day=1),
        end_date=end,
        units=[AttendedUnit(u, Decimal(amount)) for u in units],
        category=ServiceCategory.objects.get(code="asistencia-tecnica"),
        is_free=is_free,
        actor=actor,
    ).report


@pytest.fixture
def month(center_a, operator_a, manager_a):
    """March 2025 of center A: two reports by the operator, one by the manager, one of April."""
    company = get_or_create_unit(document_type="ruc", document_number="20131312955", name="Uno")[0]
    nameless = get_or_create_unit(
        document_type="ninguno", document_number="", name="Asociación de Ilo", center=center_a
    )[0]
    return {
        "op1": record(center_a, "MAR-1", actor=operator_a, units=[company, nameless]),
        "op2": record(center_a, "MAR-2", actor=operator_a, units=[company], amount="0"),
        "own": record(center_a, "MAR-3", actor=manager_a, units=[company], amount="25"),
        "april": record(center_a, "ABR-1", actor=operator_a, units=[company], end=date(2025, 4, 2)),
    }


def query(center) -> dict[str, str]:
    return {"centro": center.code, "mes": "2025-03"}


def test_the_list_links_the_screen_for_validators_only(client_for, manager_a, operator_a):
    assert URL in client_for(manager_a).get(LIST_URL).content.decode()
    assert URL not in client_for(operator_a).get(LIST_URL).content.decode()


def test_summary_of_the_months_registered_reports(client_for, manager_a, center_a, month):
    response = client_for(manager_a).get(URL, query(center_a))
    assert response.status_code == 200
    review = response.context["review"]
    assert [r.code for r in review.reports] == ["MAR-1", "MAR-2", "MAR-3"]
    assert (review.services, review.units, review.amount) == (4, 2, Decimal("125.00"))
    page = response.content.decode()
    assert "marzo de 2025" in page and "1 unidad(es) sin documento de identidad" in page
    assert "sin monto: el servicio no es gratuito y el monto es 0" in page
    assert review.warnings == 2


def test_validate_all_skips_and_lists_the_managers_own_under_four_eyes(
    client_for, manager_a, center_a, month, settings
):
    settings.RECORDS_FOUR_EYES = True
    shown = [month[k].pk for k in ("op1", "op2", "own")]
    client = client_for(manager_a)
    url = f"{URL}?centro={center_a.code}&mes=2025-03"
    page = client.post(url, {"validar_todo": "1", "informe": shown}, follow=True)
    statuses = dict(ServiceReport.objects.values_list("code", "status"))
    assert statuses == {"MAR-1": V, "MAR-2": V, "MAR-3": R, "ABR-1": R}
    text = page.content.decode()
    assert "Informes validados: 2." in text
    assert "Sin validar: No se puede validar el informe MAR-3: usted registró" in text
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.VALIDATE)
    assert sorted(entries.values_list("object_repr", flat=True)) == [
        f"MAR-1 — {center_a}",
        f"MAR-2 — {center_a}",
    ]
    assert {e.actor for e in entries} == {manager_a}


def test_validate_all_validates_only_what_was_shown(client_for, manager_a, center_a, month):
    url = f"{URL}?centro={center_a.code}&mes=2025-03"
    client_for(manager_a).post(url, {"validar_todo": "1", "informe": [month["op1"].pk]})
    statuses = dict(ServiceReport.objects.values_list("code", "status"))
    assert statuses == {"MAR-1": V, "MAR-2": R, "MAR-3": R, "ABR-1": R}


def test_cancel_one_needs_a_reason_and_is_audited(client_for, manager_a, center_a, month):
    url = f"{URL}?centro={center_a.code}&mes=2025-03"
    client = client_for(manager_a)
    refused = client.post(url, {"anular": month["op2"].pk, "reason": " "}, follow=True)
    assert "Informe MAR-2: indique el motivo de la anulación; no se anuló nada." in (
        refused.content.decode()
    )
    assert ServiceReport.objects.get(code="MAR-2").status == R
    client.post(url, {"anular": month["op2"].pk, "reason": "Servicio no prestado"})
    report = ServiceReport.objects.get(code="MAR-2")
    assert (report.status, report.cancel_reason) == (C, "Servicio no prestado")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CANCEL, object_id=report.pk)
    assert (entry.actor, entry.reason) == (manager_a, "Servicio no prestado")


def test_a_report_of_another_month_cannot_be_cancelled_from_here(
    client_for, manager_a, center_a, month
):
    url = f"{URL}?centro={center_a.code}&mes=2025-03"
    data = {"anular": month["april"].pk, "reason": "x"}
    page = client_for(manager_a).post(url, data, follow=True)
    assert "Ese informe ya no está registrado en este mes" in page.content.decode()
    assert ServiceReport.objects.get(code="ABR-1").status == R


@pytest.mark.parametrize("who", ["operator_a", "analyst", "operator_b"])
def test_roles_that_do_not_validate_are_refused(client_for, request, center_a, month, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(URL, query(center_a)).status_code == 403
    url = f"{URL}?centro={center_a.code}&mes=2025-03"
    assert client.post(url, {"validar_todo": "1", "informe": [month["op1"].pk]}).status_code == 403
    assert not ServiceReport.objects.filter(status=V).exists()


def test_another_centers_manager_gets_a_spanish_error_and_nothing_changes(
    client_for, manager_b, center_a, month
):
    client = client_for(manager_b)
    page = client.get(URL, query(center_a)).content.decode()
    assert "Ese centro no está entre los que usted valida: elija uno de la lista." in page
    url = f"{URL}?centro={center_a.code}&mes=2025-03"
    client.post(url, {"validar_todo": "1", "informe": [month["op1"].pk]})
    assert not ServiceReport.objects.filter(status=V).exists()


def test_bad_month_is_explained(client_for, manager_a, center_a):
    page = client_for(manager_a).get(URL, {"centro": center_a.code, "mes": "03/2025"})
    assert "Escriba el mes como AAAA-MM, por ejemplo 2025-03." in page.content.decode()


def test_national_admin_reviews_any_center(client_for, national_admin, center_b, center_a, month):
    response = client_for(national_admin).get(URL, query(center_a))
    assert len(response.context["review"].reports) == 3
    empty = client_for(national_admin).get(URL, query(center_b)).content.decode()
    assert "No hay informes registrados de este centro en el mes" in empty
