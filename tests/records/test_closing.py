"""Monthly closing: a manager closes, ITP approves, returns or reopens; a locked month
refuses every write, whatever the door (issue 15)."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from tests.api.test_api_write import report as api_report
from tests.api.test_api_write import send
from tests.records.test_import_command import row, write

from citesmart.api.tokens import create_token
from citesmart.network.models import Center, ServiceCategory
from citesmart.records.actions import (
    AttendedUnit,
    cancel_report,
    record_service_report,
    revert_batch,
    set_report_status,
)
from citesmart.records.closing import (
    approve_month,
    close_month,
    official_note,
    official_through,
    reopen_month,
    return_month,
)
from citesmart.records.imports import pipeline
from citesmart.records.models import (
    AuditEntry,
    ImportBatch,
    MonthClosing,
    MonthStatus,
    ReportStatus,
    ServiceReport,
)
from citesmart.records.unit_actions import get_or_create_unit, merge_units

MARCH = {"year": 2025, "month": 3}
CALENDAR = reverse("admin:records_servicereport_closing")


def unit(number: str, name: str = "Empresa"):
    made, _ = get_or_create_unit(
        document_type="ruc", document_number=number, name=name, client_type="empresa_formal"
    )
    return made


def report(center, code: str, *, day=date(2025, 3, 20), status=ReportStatus.VALIDATED, **kw):
    return record_service_report(
        center=center,
        code=code,
        start_date=day,
        end_date=day,
        units=kw.pop("units", None) or [AttendedUnit(unit("20100070970"), Decimal(0))],
        category=ServiceCategory.objects.order_by("order").first(),
        status=status,
        **kw,
    ).report


@pytest.fixture
def march(center_a, manager_a, national_admin):
    """Center A's March 2025, one validated report, closed by its manager."""
    done = report(center_a, "MAR-1")
    close_month(center=center_a, actor=manager_a, **MARCH)
    return done


def test_a_month_with_registered_reports_cannot_be_closed(center_a, manager_a):
    report(center_a, "MAR-1", status=ReportStatus.REGISTERED)
    with pytest.raises(ValidationError, match=r"quedan 1 informe.*«registrado»"):
        close_month(center=center_a, actor=manager_a, **MARCH)
    assert not MonthClosing.objects.filter(status=MonthStatus.CLOSED).exists()


def test_only_the_centers_manager_or_itp_close_and_only_itp_approves(
    center_a, manager_a, manager_b, operator_a, analyst, national_admin
):
    report(center_a, "MAR-1")
    for outsider in (manager_b, operator_a, analyst):
        with pytest.raises(PermissionDenied):
            close_month(center=center_a, actor=outsider, **MARCH)
    close_month(center=center_a, actor=manager_a, **MARCH)
    for outsider in (manager_a, analyst):
        with pytest.raises(PermissionDenied):
            approve_month(center=center_a, actor=outsider, **MARCH)
    approved = approve_month(center=center_a, actor=national_admin, **MARCH)
    assert approved.status == MonthStatus.APPROVED and approved.approved_by == national_admin
    actions = AuditEntry.objects.filter(object_type="monthclosing").values_list("action", flat=True)
    assert sorted(actions) == sorted([AuditEntry.Action.CLOSE, AuditEntry.Action.APPROVE])


def test_bad_transitions_say_what_blocks(center_a, manager_a, national_admin):
    with pytest.raises(ValidationError, match="Solo se aprueba un mes cerrado"):
        approve_month(center=center_a, actor=national_admin, **MARCH)
    close_month(center=center_a, actor=manager_a, **MARCH)
    with pytest.raises(ValidationError, match="motivo para devolver"):
        return_month(center=center_a, actor=national_admin, reason=" ", **MARCH)
    with pytest.raises(ValidationError, match="Solo se reabre un mes aprobado"):
        reopen_month(center=center_a, actor=national_admin, reason="x", **MARCH)
    approve_month(center=center_a, actor=national_admin, **MARCH)
    with pytest.raises(ValidationError, match="motivo para reabrir"):
        reopen_month(center=center_a, actor=national_admin, reason="", **MARCH)
    reopened = reopen_month(center=center_a, actor=national_admin, reason="Error de fecha", **MARCH)
    assert reopened.status == MonthStatus.REOPENED and reopened.reason == "Error de fecha"


def test_a_closed_month_refuses_every_write(march, center_a, manager_a, national_admin):
    before = ServiceReport.objects.get(pk=march.pk).updated_at
    attempts = {
        "edit": lambda: report(center_a, "MAR-1", units=[AttendedUnit(unit("20131312955"))]),
        "new report": lambda: report(center_a, "MAR-2", status=ReportStatus.REGISTERED),
        "move into": lambda: report(center_a, "ABR-1", day=date(2025, 3, 5)),
        "cancel": lambda: cancel_report(report=march, reason="x", actor=manager_a),
        "status": lambda: set_report_status(
            report=march, status=ReportStatus.REGISTERED, actor=manager_a
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ValidationError, match=r"marzo de 2025 .* está cerrado"):
            attempt()
        assert ServiceReport.objects.get(pk=march.pk).updated_at == before, name
    assert not ServiceReport.objects.filter(code__in=["MAR-2", "ABR-1"]).exists()
    # Sending the same report again changes nothing and is not refused (idempotent imports).
    assert report(center_a, "MAR-1").updated_at == before
    # Returned by ITP, the month takes changes again.
    return_month(center=center_a, actor=national_admin, reason="Falta un informe", **MARCH)
    assert report(center_a, "MAR-2", status=ReportStatus.REGISTERED).pk


def test_a_report_cannot_leave_a_locked_month(march, center_a):
    with pytest.raises(ValidationError, match="está cerrado"):
        report(center_a, "MAR-1", day=date(2025, 4, 2))


def test_a_batch_revert_and_a_merge_respect_the_lock(center_a, manager_a, national_admin):
    batch = ImportBatch.objects.create(
        center=center_a, filename="x.csv", status=ImportBatch.Status.COMMITTED
    )
    twin = unit("20131312955", "Duplicada")
    report(center_a, "MAR-1", batch=batch, units=[AttendedUnit(twin)])
    close_month(center=center_a, actor=manager_a, **MARCH)
    approve_month(center=center_a, actor=national_admin, **MARCH)
    with pytest.raises(ValidationError, match="está aprobado"):
        revert_batch(batch=batch, actor=national_admin)
    with pytest.raises(ValidationError, match="está aprobado"):
        merge_units(survivor=unit("20100070970"), duplicate=twin, actor=national_admin, reason="x")
    batch.refresh_from_db()
    twin.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and twin.merged_into_id is None


def test_the_calendar_shows_states_and_acts_by_role(
    client_for, center_a, manager_a, operator_a, national_admin
):
    report(center_a, "MAR-1", status=ReportStatus.REGISTERED)
    client = client_for(manager_a)
    page = client.get(f"{CALENDAR}?anio=2025")
    assert page.status_code == 200 and center_a.name in page.text and "Abierto (1)" in page.text
    post = {"op": f"cerrar:{center_a.pk}:2025:3"}
    refused = client.post(CALENDAR, post, follow=True)
    assert "quedan 1 informe(s)" in refused.text
    ServiceReport.objects.filter(code="MAR-1").update(status=ReportStatus.VALIDATED)
    client.post(CALENDAR, post)
    assert MonthClosing.objects.get(center=center_a, **MARCH).status == MonthStatus.CLOSED
    operator_page = client_for(operator_a).get(f"{CALENDAR}?anio=2025").text
    assert "Cerrado, por aprobar" in operator_page and "aprobar:" not in operator_page
    admin = client_for(national_admin)
    assert f'value="aprobar:{center_a.pk}:2025:3"' in admin.get(f"{CALENDAR}?anio=2025").text
    admin.post(CALENDAR, {"op": f"reabrir:{center_a.pk}:2025:3", "reason": "x"})
    assert MonthClosing.objects.get(center=center_a, **MARCH).status == MonthStatus.CLOSED
    admin.post(CALENDAR, {"op": f"aprobar:{center_a.pk}:2025:3"})
    assert MonthClosing.objects.get(center=center_a, **MARCH).status == MonthStatus.APPROVED


def test_official_figures_run_to_the_last_month_every_active_center_has_approved(
    center_a, center_b
):
    assert official_through(cached=False) is None
    assert official_note(None) == "Cifras preliminares: aún no hay meses aprobados por el ITP."
    centers = list(Center.objects.all())
    rows = [
        MonthClosing(center=c, year=2025, month=m, status=MonthStatus.APPROVED)
        for c in centers
        for m in (1, 2, 3, 4)
    ]
    MonthClosing.objects.bulk_create(rows)
    assert official_through(cached=False) == (2025, 4)
    MonthClosing.objects.filter(center=center_b, year=2025, month=3).update(
        status=MonthStatus.REOPENED
    )
    assert official_through(cached=False) == (2025, 2)
    # A center closed before March does not hold the network's figures back.
    Center.objects.filter(pk=center_b.pk).update(active_to=date(2025, 2, 28))
    assert official_through(cached=False) == (2025, 4)
    assert official_note((2025, 9)) == (
        "Cifras oficiales hasta setiembre de 2025; desde octubre de 2025, preliminares."
    )
    assert "diciembre de 2025; desde enero de 2026" in official_note((2025, 12))


def test_the_portal_and_the_api_say_which_months_are_official(client, center_a, read_model):
    report(center_a, "MAR-1")
    MonthClosing.objects.bulk_create(
        MonthClosing(center=c, year=2025, month=m, status=MonthStatus.APPROVED)
        for c in Center.objects.all()
        for m in (1, 2)
    )
    note = "Cifras oficiales hasta febrero de 2025; desde marzo de 2025, preliminares."
    assert note in client.get(reverse("portal:home")).text
    answer = client.get("/api/v1/estadisticas/?anio=2025").json()
    assert answer["official_through"] == "2025-02" and answer["official_note"] == note


@pytest.fixture
def approved_march(center_a, manager_a, national_admin):
    done = report(center_a, "MAR-1")
    close_month(center=center_a, actor=manager_a, **MARCH)
    approve_month(center=center_a, actor=national_admin, **MARCH)
    return done


@pytest.mark.parametrize("bulk", [False, True])
def test_an_import_into_an_approved_month_is_refused_whole(
    approved_march, center_a, manager_a, tmp_path, settings, bulk, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    if bulk:
        monkeypatch.setattr(pipeline, "BULK_MIN_ROWS", 1)
    rows = [
        row(codigo_informe="MAR-2", fecha_inicio="10/03/2025", fecha_fin="12/03/2025"),
        row(codigo_informe="ABR-1", fecha_inicio="10/04/2025", fecha_fin="12/04/2025"),
    ]
    path = write(tmp_path / "marzo.csv", rows)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "import", str(path), "--center", center_a.code, "--user", "gestor_a",
            stdout=out, stderr=err,
        )  # fmt: skip
    assert "marzo de 2025" in out.getvalue() + err.getvalue()
    assert "está aprobado" in out.getvalue() + err.getvalue()
    assert not ServiceReport.objects.filter(code__in=["MAR-2", "ABR-1"]).exists()


def test_the_api_and_the_entry_screen_refuse_an_approved_month(
    approved_march, center_a, manager_a, client_for
):
    token = create_token(center=center_a, name="ERP", actor=manager_a)[1]
    answer = send(client_for(manager_a), token, api_report("MAR-API", estado="registrado"))
    assert answer.status_code in {400, 409, 422}
    assert "está aprobado" in answer.content.decode()
    assert not ServiceReport.objects.filter(code="MAR-API").exists()


def test_the_calendar_shows_every_year_on_one_page(client_for, center_a, national_admin):
    report(center_a, "MAR-1", status=ReportStatus.REGISTERED)
    report(center_a, "MAR-24", day=date(2024, 3, 20), status=ReportStatus.VALIDATED)
    close_month(center=center_a, actor=national_admin, year=2024, month=3)
    page = client_for(national_admin).get(f"{CALENDAR}?anio=todos").text
    assert "de todos los años" in page and '<option value="todos" selected>' in page
    assert '<th scope="rowgroup" colspan="13">2025</th>' in page
    assert '<th scope="rowgroup" colspan="13">2019</th>' in page
    assert "Abierto (1)" in page  # March 2025, one report to validate
    assert f'value="aprobar:{center_a.pk}:2024:3"' in page  # March 2024, closed
    assert f'value="aprobar:{center_a.pk}:2025:3"' not in page
    one = client_for(national_admin).get(f"{CALENDAR}?anio=2024").text
    assert 'colspan="13"' not in one and f'value="aprobar:{center_a.pk}:2024:3"' in one


def test_a_month_not_yet_over_or_from_year_zero_cannot_be_closed(client_for, center_a, manager_a):
    today = date.today()
    for year, month in [(today.year, today.month), (2999, 1), (1999, 12)]:
        with pytest.raises(ValidationError, match="solo se cierran meses ya terminados"):
            close_month(center=center_a, actor=manager_a, year=year, month=month)
    page = client_for(manager_a).post(CALENDAR, {"op": f"cerrar:{center_a.pk}:0000:5"})
    assert page.status_code == 302  # refused with a message, not a server error
    assert not MonthClosing.objects.filter(status=MonthStatus.CLOSED).exists()


def test_the_validation_screen_refuses_year_zero_in_spanish(client_for, center_a, manager_a):
    url = reverse("admin:records_servicereport_validation")
    page = client_for(manager_a).get(f"{url}?centro={center_a.code}&mes=0000-05")
    assert page.status_code in {200, 400} and "Escriba el mes como AAAA-MM" in page.text
