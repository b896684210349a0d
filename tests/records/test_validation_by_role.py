"""Validation by role at every door: the authorization matrix of statuses.

Every door (back office over HTTP, `citesmart import --user`, the write API with a center's
token) x every role (national admin, analyst, manager and operator of center A, manager and
operator of center B, token) x {validate, cancel, edit, revert, merge, import with
estado=validado, API with estado validado}. Only center A's manager and the national
administrator validate or cancel A's reports; nothing an operator or a token writes lands
validated; with four eyes, nobody validates what they recorded.
"""

import csv
import importlib
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from citesmart.api.tokens import create_token
from citesmart.network.models import ServiceCategory
from citesmart.records import imports
from citesmart.records.actions import (
    AttendedUnit,
    record_service_report,
    set_report_status,
)
from citesmart.records.models import AuditEntry, ImportBatch, ReportStatus, ServiceReport
from citesmart.records.template import HEADERS
from citesmart.records.unit_actions import get_or_create_unit, merge_units

ROLES = ["national_admin", "analyst", "manager_a", "operator_a", "manager_b", "operator_b"]
VALIDATORS_OF_A = {"national_admin", "manager_a"}
IMPORTERS_OF_A = {"national_admin", "manager_a", "operator_a"}
EDITORS_OF_A = {"national_admin", "manager_a", "operator_a"}
RUC_A, RUC_B = "20131312955", "20100047218"
ONLY_MANAGER = "solo el gestor del centro puede validar"
FOUR_EYES = "control de cuatro ojos"
V, R, C = ReportStatus.VALIDATED, ReportStatus.REGISTERED, ReportStatus.CANCELLED


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(params=[False, True], ids=["two-eyes", "four-eyes"])
def four_eyes(request, settings) -> bool:
    settings.RECORDS_FOUR_EYES = request.param
    return request.param


@pytest.fixture
def people(national_admin, analyst, manager_a, operator_a, manager_b, operator_b):
    return {
        "national_admin": national_admin,
        "analyst": analyst,
        "manager_a": manager_a,
        "operator_a": operator_a,
        "manager_b": manager_b,
        "operator_b": operator_b,
    }


def unit(number: str = RUC_A, name: str = "Empresa Uno S.A.C."):
    return get_or_create_unit(document_type="ruc", document_number=number, name=name)[0]


def record(center, code="INF-001", *, actor, amount="50", units=None, status=R):
    units = units or [unit()]
    return record_service_report(
        center=center,
        code=code,
        start_date=date(2025, 3, 3),
        end_date=date(2025, 3, 7),
        units=[AttendedUnit(u, Decimal(amount)) for u in units],
        category=ServiceCategory.objects.get(code="asistencia-tecnica"),
        status=status,
        actor=actor,
    )


def validated(center, people, code="INF-001"):
    """A report of `center` recorded by its operator and validated by ITP."""
    report = record(center, code, actor=people["operator_a"]).report
    return set_report_status(report=report, status=V, actor=people["national_admin"])


def status_of(report) -> str:
    report.refresh_from_db()
    return report.status


def rows_csv(*rows: dict) -> bytes:
    """A template file whose rows (default values, changed by each dict) say "validado"."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS)
    writer.writeheader()
    for values in rows or [{}]:
        writer.writerow(_template_row(values))
    return out.getvalue().encode()


def _template_row(values: dict) -> dict:
    return (
        dict.fromkeys(HEADERS, "")
        | {
            "codigo_informe": "INF-001",
            "fecha_inicio": "03/03/2025",
            "fecha_fin": "07/03/2025",
            "categoria_servicio": "Asistencia técnica",
            "ubigeo": "180101",
            "tipo_documento": "RUC",
            "numero_documento": RUC_A,
            "razon_social": "Empresa Uno S.A.C.",
            "monto_soles": "50",
            "estado": "validado",
        }
        | values
    )


def an_import_with_validado_lands(role: str, four_eyes: bool) -> str | None:
    """The status an import asking "validado" must land with (None: refused, no report)."""
    if role not in IMPORTERS_OF_A:
        return None
    return V if role in VALIDATORS_OF_A and not four_eyes else R


# --- back office (HTTP) ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_back_office_validate(client_for, people, center_a, role, four_eyes):
    report = record(center_a, actor=people["operator_a"]).report
    url = reverse("admin:records_servicereport_validate", args=[report.pk])
    response = client_for(people[role]).post(url)
    assert response.status_code in (302, 403, 404)
    assert status_of(report) == (V if role in VALIDATORS_OF_A else R)


@pytest.mark.parametrize("role", ["manager_a", "national_admin"])
def test_back_office_validate_own_report_obeys_four_eyes(
    client_for, people, center_a, role, four_eyes
):
    report = record(center_a, actor=people[role]).report
    url = reverse("admin:records_servicereport_validate", args=[report.pk])
    page = client_for(people[role]).post(url, follow=True).content.decode()
    assert status_of(report) == (R if four_eyes else V)
    assert (FOUR_EYES in page) == four_eyes
    if four_eyes:
        assert f"No se puede validar el informe {report.code}: usted registró" in page
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.VALIDATE).exists()


@pytest.mark.parametrize("role", ROLES)
def test_back_office_cancel(client_for, people, center_a, role):
    report = record(center_a, actor=people["operator_a"]).report
    url = reverse("admin:records_servicereport_cancel", args=[report.pk])
    client_for(people[role]).post(url, {"confirmar": "1", "reason": "Duplicado"})
    assert status_of(report) == (C if role in VALIDATORS_OF_A else R)


def edit_data(report, amount: str) -> dict:
    return {
        "category": report.category_id,
        "start_date": "03/03/2025",
        "end_date": "07/03/2025",
        "unidades-TOTAL_FORMS": 1,
        "unidades-INITIAL_FORMS": 1,
        "unidades-MIN_NUM_FORMS": 0,
        "unidades-MAX_NUM_FORMS": 1000,
        "unidades-0-document_type": "ruc",
        "unidades-0-document_number": RUC_A,
        "unidades-0-amount": amount,
    }


@pytest.mark.parametrize("role", ROLES)
def test_back_office_edit_of_a_validated_report(client_for, people, center_a, role, four_eyes):
    report = validated(center_a, people)
    url = reverse("admin:records_servicereport_change", args=[report.pk])
    response = client_for(people[role]).post(url, edit_data(report, "75"))
    amount = report.services.get().amount
    if role not in EDITORS_OF_A:
        assert response.status_code in (403, 404) or response.status_code == 200
        assert (amount, status_of(report)) == (Decimal("50.00"), V)
        return
    assert response.status_code == 302 and amount == Decimal("75.00")
    keeps = role in VALIDATORS_OF_A and not four_eyes
    assert status_of(report) == (V if keeps else R)
    assert report.recorded_by == people[role]


@pytest.mark.parametrize("role", ROLES)
def test_back_office_import_with_estado_validado(client_for, people, center_a, role, four_eyes):
    upload = reverse("admin:records_importbatch_upload")
    file = SimpleUploadedFile("servicios.csv", rows_csv(), content_type="text/csv")
    response = client_for(people[role]).post(
        upload, {"center": center_a.pk, "file": file}, follow=True
    )
    expected = an_import_with_validado_lands(role, four_eyes)
    report = ServiceReport.objects.filter(center=center_a).first()
    assert (report.status if report else None) == expected
    if expected == R:
        page = response.content.decode()
        assert "1 informe (1 fila) queda como «registrado»" in page
        assert "el estado «validado» del archivo se ignoró: " in page
        assert (ONLY_MANAGER if role == "operator_a" else FOUR_EYES) in page


# --- command line -----------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("role", ROLES)
def test_cli_import_with_estado_validado(people, center_a, role, four_eyes, tmp_path):
    path = tmp_path / "servicios.csv"
    path.write_bytes(rows_csv())
    code, out, err = cli(str(path), "--center", center_a.code, "--user", people[role].username)
    expected = an_import_with_validado_lands(role, four_eyes)
    report = ServiceReport.objects.filter(center=center_a).first()
    assert (report.status if report else None) == expected
    if expected is None:
        assert code == 2 and "No tiene permiso para importar" in err
    elif expected == R:
        why = ONLY_MANAGER if role == "operator_a" else FOUR_EYES
        assert code == 0 and "1 informe (1 fila) queda como «registrado»" in out and why in out
    else:
        assert code == 0 and "«registrado»" not in out


def test_cli_without_user_is_the_system_and_keeps_validado(center_a, tmp_path, settings):
    settings.RECORDS_FOUR_EYES = True
    path = tmp_path / "servicios.csv"
    path.write_bytes(rows_csv())
    assert cli(str(path), "--center", center_a.code)[0] == 0
    report = ServiceReport.objects.get(center=center_a)
    assert (report.status, report.recorded_by) == (V, None)


# --- write API (a center's token) ---------------------------------------------------------------


def api_body(**changes) -> dict:
    return {
        "codigo": "API-001",
        "fecha_inicio": "2025-03-03",
        "fecha_fin": "2025-03-07",
        "categoria": "asistencia-tecnica",
        "estado": "validado",
        "unidades": [
            {
                "tipo_documento": "RUC",
                "numero_documento": RUC_A,
                "razon_social": "Empresa Uno S.A.C.",
                "ubigeo": "180101",
                "monto": "50",
            }
        ],
    } | changes


def send(client, token: str, body: dict, method: str = "post"):
    path = "/api/v1/informes/" + ("" if method == "post" else f"{body['codigo']}/")
    return getattr(client, method)(
        path,
        json.dumps(body),
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.mark.parametrize("maker", ["manager_a", "national_admin"])
@pytest.mark.parametrize("method", ["post", "put"])
def test_api_with_estado_validado_lands_registered(
    client, people, center_a, maker, method, four_eyes
):
    token = create_token(center=center_a, name="ERP", actor=people[maker])[1]
    answer = send(client, token, api_body(), method)
    assert answer.status_code == 201, answer.content
    report = ServiceReport.objects.get(center=center_a, code="API-001")
    assert (report.status, answer.json()["estado"]) == (R, R)
    assert answer.json()["filas_registradas_por_regla"] == 1
    assert ONLY_MANAGER in answer.json()["motivo_estado"]
    # Validated by the manager, then changed through the token: back to registered.
    set_report_status(report=report, status=V, actor=people["manager_a"])
    changed = send(client, token, api_body(unidades=[api_body()["unidades"][0] | {"monto": "9"}]))
    assert changed.json()["resultado"] == "updated" and status_of(report) == R


# --- revert and merge ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_revert(client_for, people, center_a, role, four_eyes):
    report = validated(center_a, people)
    batch = imports.import_file(
        io.BytesIO(rows_csv({"monto_soles": "80"}, {"codigo_informe": "INF-002"})),
        center=center_a,
        filename="lote.csv",
        user=people["operator_a"],
    ).batch
    assert status_of(report) == R  # the operator's change sent it back to registered
    url = reverse("admin:records_importbatch_revert", args=[batch.pk])
    client_for(people[role]).post(url)
    batch.refresh_from_db()
    reverted = role in VALIDATORS_OF_A
    assert (batch.status == ImportBatch.Status.REVERTED) == reverted
    restored = V if reverted and not four_eyes else R
    assert status_of(report) == restored
    assert report.services.get().amount == Decimal("50.00" if reverted else "80.00")


@pytest.mark.parametrize("role", ROLES)
def test_merge_changes_no_status(client_for, people, center_a, role):
    first = validated(center_a, people)
    twin = unit(RUC_B, "Empresa Uno (duplicada)")
    second = record(center_a, "INF-002", actor=people["operator_a"], units=[twin]).report
    statuses = {first.pk: V, second.pk: R}
    survivor = first.services.get().unit
    client_for(people[role]).post(
        reverse("admin:units_productiveunit_changelist"),
        {
            "action": "merge_selected",
            "_selected_action": [survivor.pk, twin.pk],
            "confirmar": "1",
            "survivor": survivor.pk,
            "reason": "Misma empresa",
        },
    )
    twin.refresh_from_db()
    assert (twin.merged_into_id == survivor.pk) == (role == "national_admin")
    assert dict(ServiceReport.objects.values_list("pk", "status")) == statuses


def test_merge_action_refuses_center_staff(people, center_a):
    first, second = unit(), unit(RUC_B, "Otra")
    with pytest.raises(ValidationError) as refused:
        merge_units(survivor=first, duplicate=second, actor=people["operator_a"], reason="x")
    assert "solo el administrador nacional puede fusionar" in refused.value.messages[0]
    second.refresh_from_db()
    assert second.merged_into_id is None


# --- the actions: bad input is refused with a Spanish message, nothing changed -----------------


def test_validating_another_centers_report_names_the_center(people, center_a):
    report = record(center_a, actor=people["operator_a"]).report
    with pytest.raises(ValidationError) as refused:
        set_report_status(report=report, status=V, actor=people["manager_b"])
    message = refused.value.messages[0]
    assert message.startswith(f"No se puede validar el informe {report.code}: el informe es de")
    assert f"«{center_a.name}», que no es su centro" in message
    assert status_of(report) == R
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VALIDATE).exists()


def test_four_eyes_refuses_the_recorder_and_lets_another_validator(people, center_a, settings):
    settings.RECORDS_FOUR_EYES = True
    report = record(center_a, actor=people["manager_a"]).report
    assert report.recorded_by == people["manager_a"]
    with pytest.raises(ValidationError) as refused:
        set_report_status(report=report, status=V, actor=people["manager_a"])
    assert FOUR_EYES in refused.value.messages[0] and status_of(report) == R
    set_report_status(report=report, status=V, actor=people["national_admin"])
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VALIDATE, object_id=report.pk)
    assert entry.actor == people["national_admin"] and entry.changes["status"] == [R, V]
    assert status_of(report) == V and report.recorded_by == people["manager_a"]


def test_an_operators_action_call_with_validado_lands_registered(people, center_a):
    result = record(center_a, actor=people["operator_a"], status=V)
    assert result.report.status == R and result.status_refusal == ONLY_MANAGER
    again = record(center_a, actor=people["operator_a"], status=V)  # same data, same answer
    assert again.outcome == "unchanged" and status_of(result.report) == R


@pytest.mark.parametrize("bulk", [False, True], ids=["actions", "bulk"])
def test_both_import_writers_keep_an_operators_validado_registered(people, center_a, bulk):
    two_rows = rows_csv({}, {"numero_documento": RUC_B, "razon_social": "Dos"})
    operator = people["operator_a"]
    trial = imports.import_file(
        io.BytesIO(two_rows), center=center_a, filename="a.csv", user=operator, dry_run=True
    )
    assert "1 informe (2 filas) quedaría como «registrado»" in trial.summary
    result = imports.import_file(
        io.BytesIO(two_rows), center=center_a, filename="a.csv", user=operator, bulk=bulk
    )
    report = ServiceReport.objects.get(center=center_a)
    assert (report.status, report.recorded_by, report.created_by) == (R, operator, operator)
    assert (result.kept_registered, result.kept_registered_rows) == (1, 2)
    assert result.kept_reasons == {f"el estado «validado» del archivo se ignoró: {ONLY_MANAGER}": 1}
    assert "1 informe (2 filas) queda como «registrado»" in result.batch.messages[0]["text"]


def test_the_migration_backfills_who_recorded_existing_reports(people, center_a):
    from django.apps import apps

    migration = importlib.import_module("citesmart.records.migrations.0004_report_recorded_by")
    by_screen = record(center_a, actor=people["operator_a"]).report
    batch = ImportBatch.objects.create(
        center=center_a, filename="api-cs_abc-API-1.csv", status=ImportBatch.Status.COMMITTED
    )
    by_api = record(center_a, "API-1", actor=people["manager_a"]).report
    ServiceReport.objects.filter(pk=by_api.pk).update(import_batch=batch)
    ServiceReport.objects.update(recorded_by=None)
    migration.backfill_recorded_by(apps, None)
    recorded = dict(ServiceReport.objects.values_list("code", "recorded_by"))
    assert recorded == {by_screen.code: people["operator_a"].pk, "API-1": None}
