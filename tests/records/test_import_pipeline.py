"""The import pipeline: reading, checking every row, writing, re-importing, reverting.

Every writing scenario runs through both writers (the actions and the bulk path), which must
leave the same rows and audit entries behind.
"""

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from citesmart.lib.spreadsheets import read_table
from citesmart.network.models import CatalogueService, Programme, ServiceCategory
from citesmart.records import imports
from citesmart.records.models import AuditEntry, ImportBatch, ReportStatus, Service, ServiceReport
from citesmart.records.reverting import revert_batch
from citesmart.records.template import HEADERS, write_template
from citesmart.units.models import ClientType, ProductiveUnit

TODAY = datetime.date(2025, 6, 30)
RUC_A = "20131312955"  # SUNAT
RUC_B = "20100047218"  # Banco de Crédito
RUC_BAD = "20131312956"  # wrong check digit
DNI = "41234567"
RUC_10 = "10412345679"  # RUC 10 of DNI 41234567


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(params=["actions", "bulk"])
def bulk(request) -> bool:
    return request.param == "bulk"


def row(**values: str) -> dict[str, str]:
    base = {
        "codigo_informe": "INF-001",
        "fecha_inicio": "03/03/2025",
        "fecha_fin": "07/03/2025",
        "categoria_servicio": "Asistencia técnica",
        "servicio": "",
        "cadena": "",
        "ubigeo": "180101",
        "tipo_documento": "RUC",
        "numero_documento": RUC_A,
        "razon_social": "Empresa Uno S.A.C.",
        "tipo_cliente": "Empresa formal",
        "monto_soles": "150,00",
        "programa": "",
        "estado": "",
    }
    return base | values


def csv_bytes(rows: list[dict[str, str]], *, encoding="utf-8", sep=",", headers=None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(headers or HEADERS)
    writer.writerows([r.get(h, "") for h in HEADERS] for r in rows)
    return out.getvalue().encode(encoding)


def run(center, rows_or_bytes, *, filename="servicios.csv", **options) -> imports.ImportResult:
    data = rows_or_bytes if isinstance(rows_or_bytes, bytes) else csv_bytes(rows_or_bytes)
    options.setdefault("today", TODAY)
    return imports.import_file(io.BytesIO(data), center=center, filename=filename, **options)


def two_reports() -> list[dict[str, str]]:
    return [
        row(),
        row(numero_documento=RUC_B, razon_social="Banco", monto_soles="80"),
        row(codigo_informe="INF-002", categoria_servicio="capacitacion", numero_documento=DNI,
            tipo_documento="DNI", razon_social="Ana Quispe", tipo_cliente="Emprendedor"),
    ]  # fmt: skip


def state(center) -> list[tuple]:
    """Everything an import leaves behind, ids aside: reports, services and units."""
    reports = ServiceReport.objects.filter(center=center).order_by("code")
    return [
        (
            r.code, r.category.code, r.start_date, r.end_date, r.status, r.is_free,
            r.programme_id, r.delivery_district_id, r.import_batch is not None,
            sorted((s.unit.document_number, s.unit.name, s.unit.client_type,
                    s.unit.district_id, s.unit.department_id, str(s.amount))
                   for s in r.services.select_related("unit")),
        )
        for r in reports
    ]  # fmt: skip


def audit(center) -> list[tuple]:
    entries = AuditEntry.objects.filter(center=center)
    return sorted(
        (e.action, e.source, e.object_type, e.object_repr, e.reason,
         _without_ids(e.before), _without_ids(e.after), sorted(e.changes))
        for e in entries
    )  # fmt: skip


def _without_ids(snapshot):
    if not snapshot or "services" not in snapshot:
        return snapshot
    units = ProductiveUnit.objects.in_bulk([uid for uid, _ in snapshot["services"]])
    services = sorted((units[uid].document_number, amount) for uid, amount in snapshot["services"])
    return {**snapshot, "services": services}


# --- reading --------------------------------------------------------------------------------


def test_cp1252_csv_with_semicolons_and_accents_is_imported(center_a, bulk):
    rows = [
        row(razon_social="Asociación de Productores Señor de Muruhuay", tipo_cliente="asociación")
    ]
    data = csv_bytes(rows, encoding="cp1252", sep=";")
    result = run(center_a, data, bulk=bulk)
    assert result.exit_code == 0, result.errors
    unit = ProductiveUnit.objects.get(document_number=RUC_A)
    assert unit.name == "Asociación de Productores Señor de Muruhuay"
    assert unit.client_type == ClientType.ASSOCIATION
    assert result.batch.status == ImportBatch.Status.COMMITTED and result.batch.reports_created == 1


def test_xlsx_with_excel_dates_and_text_dates(center_a, tmp_path, bulk):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADERS))
    values = row()
    values["fecha_inicio"] = datetime.datetime(2025, 3, 3)
    values["fecha_fin"] = "2025-03-07"
    values["numero_documento"] = 20131312955  # a number cell, as Excel keeps it
    values["ubigeo"] = 180101
    sheet.append([values[h] for h in HEADERS])
    values = row(codigo_informe="INF-002", fecha_inicio="01/04/2025", fecha_fin=45751)
    sheet.append([values[h] for h in HEADERS])  # 45751 is 04/04/2025 as an Excel serial
    path = tmp_path / "servicios.xlsx"
    workbook.save(path)
    result = imports.import_file(path, center=center_a, today=TODAY, bulk=bulk)
    assert result.exit_code == 0, result.errors
    first, second = ServiceReport.objects.filter(center=center_a).order_by("code")
    assert (first.start_date, first.end_date) == (
        datetime.date(2025, 3, 3),
        datetime.date(2025, 3, 7),
    )
    assert (second.start_date, second.end_date) == (
        datetime.date(2025, 4, 1),
        datetime.date(2025, 4, 4),
    )


def test_messy_headers_are_recognised_and_unknown_columns_noticed(center_a):
    headers = [" Código Informe ", "FECHA_INICIO", "Fecha de fin", "Categoría", "Servicio",
               "Cadena", "UBIGEO", "Tipo de documento", "N° documento", "Razón Social",
               "tipo cliente", "Monto (S/)", "Programa", "Estado"]  # fmt: skip
    data = csv_bytes([row()], headers=headers).replace(b"\r\n", b",Observaciones\r\n", 1)
    result = run(center_a, data)
    assert result.exit_code == 0, (result.fatal, result.errors)
    assert any(
        w.startswith("Se ignoró la columna «Observaciones»: no es una columna de la plantilla")
        for w in result.warnings
    )
    assert ServiceReport.objects.filter(center=center_a, code="INF-001").exists()


def test_missing_required_columns_make_the_file_unusable(center_a):
    data = b"codigo_informe,fecha_inicio\r\nINF-1,01/01/2025\r\n"
    result = run(center_a, data)
    assert result.exit_code == 2
    assert "Faltan columnas obligatorias: fecha_fin, categoria_servicio, ubigeo" in result.fatal
    assert result.batch.status == ImportBatch.Status.REJECTED
    assert result.batch.messages[1]["text"] == result.fatal


def test_binary_garbage_is_unusable_and_the_batch_says_why(center_a):
    result = run(center_a, bytes(range(256)) * 40, filename="datos.xlsx")
    assert result.exit_code == 2
    assert "no es una hoja de cálculo" in result.fatal
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


# --- checking every row -----------------------------------------------------------------------


def test_one_bad_ubigeo_writes_nothing_and_names_row_and_column(center_a, bulk):
    rows = [*two_reports(), row(codigo_informe="INF-003", ubigeo="999999")]
    result = run(center_a, rows, bulk=bulk)
    assert result.exit_code == 1
    assert [str(e) for e in result.errors] == [
        "fila 5, columna ubigeo: el ubigeo 999999 no corresponde a ningún distrito del INEI"
    ]
    assert not ServiceReport.objects.exists() and not ProductiveUnit.objects.exists()
    assert result.batch.status == ImportBatch.Status.REJECTED
    assert result.summary.startswith("Archivo rechazado: 4 filas, 2 informes válidos")


def test_invalid_ruc_check_digit_is_reported(center_a):
    result = run(center_a, [row(numero_documento=RUC_BAD)])
    assert [str(e) for e in result.errors] == [
        f"fila 2, columna numero_documento: el RUC {RUC_BAD} no es válido: el dígito "
        "verificador no corresponde"
    ]


def test_every_row_is_checked_and_the_header_as_written_is_named(center_a):
    headers = [h.upper() for h in HEADERS]
    rows = [
        row(fecha_inicio="31/02/2025"),
        row(codigo_informe="B", fecha_fin="01/01/2025"),  # ends before it starts
        row(codigo_informe="C", categoria_servicio="Pintura", monto_soles="-5"),
        row(codigo_informe="D", fecha_fin="01/01/2030"),
        row(codigo_informe="E", tipo_cliente="Marciano", estado="anulado"),
    ]
    result = run(center_a, csv_bytes(rows, headers=headers))
    assert [str(e) for e in result.errors] == [
        "fila 2, columna FECHA_INICIO: «31/02/2025» es una fecha inexistente",
        "fila 3, columna FECHA_FIN: la fecha de fin no puede ser anterior a la fecha de inicio",
        "fila 4, columna CATEGORIA_SERVICIO: «Pintura» no es una categoría de servicio válido; "
        "vea la hoja «Instrucciones»",
        "fila 4, columna MONTO_SOLES: el monto no puede ser negativo",
        "fila 5, columna FECHA_FIN: la fecha no puede ser futura (hoy es 30/06/2025)",
        "fila 6, columna ESTADO: un informe no se anula por importación: anúlelo en el back office",
        "fila 6, columna TIPO_CLIENTE: «Marciano» no es un tipo de cliente válido",
    ]


def test_rows_of_a_report_must_agree_on_the_report_fields(center_a):
    rows = [row(), row(numero_documento=RUC_B, fecha_fin="2025-03-07"), row(
        numero_documento=DNI, tipo_documento="DNI", fecha_fin="08/03/2025")]  # fmt: skip
    result = run(center_a, rows)
    assert [str(e) for e in result.errors] == [
        "fila 4, columna fecha_fin: no coincide con la fila 2 del mismo informe «INF-001» "
        "(«07/03/2025»); las filas de un informe deben tener los mismos datos del informe"
    ]


def test_a_person_twice_in_a_report_by_dni_and_ruc_10_is_refused(center_a):
    rows = [row(tipo_documento="DNI", numero_documento=DNI), row(numero_documento=RUC_10)]
    result = run(center_a, rows)
    assert [str(e) for e in result.errors] == [
        "fila 3, columna numero_documento: la unidad productiva ya figura en la fila 2 del "
        "mismo informe"
    ]


def test_codes_names_and_labels_are_accepted_for_vocabularies(center_a):
    programme = Programme.objects.get(code="economia-circular-eficiencia-energetica")
    rows = [row(categoria_servicio="ENSAYOS DE LABORATORIO", cadena="agroindustria",
                tipo_cliente="Persona natural con negocio", programa=programme.name.upper(),
                monto_soles="", estado="Validado")]  # fmt: skip
    result = run(center_a, rows)
    assert result.exit_code == 0, result.errors
    report = ServiceReport.objects.get()
    assert report.category.code == "ensayos-laboratorio" and report.chain.code == "agroindustria"
    assert report.programme == programme and report.is_free
    assert report.status == ReportStatus.VALIDATED
    assert ProductiveUnit.objects.get().client_type == ClientType.NATURAL_PERSON_BUSINESS


def test_catalogue_service_by_name_sets_the_category(center_a):
    CatalogueService.objects.create(
        center=center_a, name="Análisis fisicoquímico de pisco", tariff=Decimal("150.00"),
        category=ServiceCategory.objects.get(code="ensayos-laboratorio"),
    )  # fmt: skip
    result = run(center_a, [row(categoria_servicio="", servicio="analisis FISICOQUIMICO de pisco")])
    assert result.exit_code == 0, result.errors
    assert ServiceReport.objects.get().category.code == "ensayos-laboratorio"
    bad = run(center_a, [row(codigo_informe="X", servicio="Análisis fisicoquímico de pisco")])
    assert [e.column for e in bad.errors] == ["categoria_servicio"]


def test_two_digit_ubigeo_keeps_only_the_department(center_a):
    assert run(center_a, [row(ubigeo="18")]).exit_code == 0
    unit = ProductiveUnit.objects.get()
    assert (unit.department_id, unit.district_id) == ("18", None)


# --- writing ---------------------------------------------------------------------------------


def test_accept_valid_writes_exactly_the_valid_reports(center_a, bulk):
    rows = [*two_reports(), row(codigo_informe="INF-002", numero_documento=RUC_BAD)]
    result = run(center_a, rows, accept_valid=True, bulk=bulk)
    assert result.exit_code == 1
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["INF-001"]
    assert [number for number, _, _ in result.rejected] == [4, 5]
    assert result.rejected[0][2] == "el informe «INF-002» tiene errores en la fila 5"
    out = io.BytesIO()
    imports.write_rejected_rows(result, out, fmt="csv")
    with read_table(io.BytesIO(out.getvalue())) as table:
        assert table.headers == [*HEADERS, "motivo"]
        assert [values[0] for _, values in table.rows()] == ["INF-002", "INF-002"]
    assert result.batch.status == ImportBatch.Status.COMMITTED
    assert (result.batch.reports_created, result.batch.rejected_rows) == (1, 2)


def test_reimporting_the_same_file_creates_nothing(center_a, bulk):
    first = run(center_a, two_reports(), bulk=bulk)
    before = (state(center_a), AuditEntry.objects.count(), ProductiveUnit.objects.count())
    again = run(center_a, two_reports(), bulk=bulk)
    assert (first.created, again.created, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert (state(center_a), AuditEntry.objects.count(), ProductiveUnit.objects.count()) == before


def test_a_corrected_file_updates_what_changed(center_a, bulk):
    run(center_a, two_reports(), bulk=bulk)
    corrected = two_reports()
    corrected[1]["monto_soles"] = "95.50"
    del corrected[0]  # RUC_A no longer attended on INF-001
    result = run(center_a, corrected, bulk=bulk)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    report = ServiceReport.objects.get(code="INF-001")
    assert [(s.unit.document_number, s.amount) for s in report.services.all()] == [
        (RUC_B, Decimal("95.50"))
    ]
    entry = AuditEntry.objects.get(batch=result.batch, object_type="servicereport")
    assert entry.action == AuditEntry.Action.UPDATE and list(entry.changes) == ["services"]


def test_reimport_keeps_what_the_file_does_not_carry(center_a, bulk):
    run(center_a, [row()], bulk=bulk)
    ServiceReport.objects.update(status=ReportStatus.VALIDATED, notes="Visita de campo", hours=8)
    result = run(center_a, [row(monto_soles="200")], bulk=bulk)
    assert result.updated == 1
    report = ServiceReport.objects.get()
    assert (report.status, report.notes, report.hours) == ("validado", "Visita de campo", 8)


def test_revert_cancels_created_reports_and_restores_changed_ones(center_a, manager_a, bulk):
    run(center_a, [row()], bulk=bulk)
    original = state(center_a)
    corrected = [row(monto_soles="300"), row(codigo_informe="INF-009")]
    batch = run(center_a, corrected, bulk=bulk).batch
    revert_batch(batch=batch, actor=manager_a)
    assert state(center_a)[0] == original[0]
    created = ServiceReport.objects.get(code="INF-009")
    assert created.status == ReportStatus.CANCELLED
    assert created.cancel_reason == f"Reversión del lote #{batch.pk}"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REVERTED and batch.reverted_by == manager_a


def test_a_reverted_import_can_be_imported_again(center_a, bulk):
    batch = run(center_a, [row()], bulk=bulk).batch
    revert_batch(batch=batch, actor=None)
    result = run(center_a, [row()], bulk=bulk)
    assert result.updated == 1
    assert ServiceReport.objects.get().status == ReportStatus.REGISTERED


def test_dry_run_counts_without_writing(center_a):
    run(center_a, [row()])
    result = run(center_a, two_reports(), dry_run=True)
    assert result.exit_code == 0
    assert (result.created, result.updated, result.unchanged, result.units_created) == (1, 1, 0, 2)
    assert ServiceReport.objects.count() == 1
    assert result.batch.status == ImportBatch.Status.DRY_RUN
    assert result.summary.startswith("Verificación sin registrar")


def test_bulk_writer_leaves_what_the_actions_leave(center_a):
    """The same files through each writer, from the same start: same rows, same audit trail."""
    programme = Programme.objects.get(code="vales-mype-2020")
    files = [
        [*two_reports(), row(codigo_informe="INF-003", numero_documento=RUC_10,
                             razon_social="Ana Quispe", programa=programme.code, monto_soles="")],
        [row(monto_soles="10"), row(codigo_informe="INF-003", tipo_documento="ninguno",
                                    numero_documento="", razon_social="Taller sin RUC"),
         row(codigo_informe="INF-004", tipo_documento="", numero_documento=DNI)],
    ]  # fmt: skip
    outcomes = []
    for bulk in (False, True):
        _start_afresh()
        results = [run(center_a, rows, bulk=bulk) for rows in files]
        counts = [(r.created, r.updated, r.unchanged, r.units_created) for r in results]
        outcomes.append((counts, state(center_a), audit(center_a)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == [(3, 0, 0, 2), (1, 2, 0, 1)]
    assert ProductiveUnit.objects.get(person_dni=DNI).document_type == "ruc"


def _start_afresh() -> None:
    AuditEntry.objects.all().delete()
    Service.objects.all().delete()
    ServiceReport.objects.all().delete()
    ImportBatch.objects.all().delete()
    ProductiveUnit.objects.all().delete()
    ProductiveUnit.objects.create(
        document_type="dni", document_number=DNI, person_dni=DNI, name="Ana Quispe",
        client_type=ClientType.ENTREPRENEUR,
    )  # fmt: skip


def test_template_reads_back_as_a_valid_import(center_a, tmp_path):
    for fmt in ("xlsx", "csv"):
        path = tmp_path / f"plantilla.{fmt}"
        with path.open("wb") as handle:
            write_template(handle, fmt=fmt, center=center_a)
        result = imports.import_file(path, center=center_a, dry_run=True, today=TODAY)
        assert result.exit_code == 0, (fmt, result.fatal, result.errors)


def test_the_file_is_kept_with_the_batch(center_a):
    result = run(center_a, [row(numero_documento=RUC_BAD), row(codigo_informe="B")],
                 accept_valid=True)  # fmt: skip
    batch = result.batch
    with batch.file.open("rb") as stored:
        assert stored.read().startswith(b"codigo_informe,")
    rejected = Path(batch.file.path.replace(".csv", "-rechazadas.csv"))
    assert rejected.read_text(encoding="utf-8-sig").splitlines()[0].endswith(",motivo")


def test_a_merged_units_document_is_imported_onto_the_survivor(center_a, national_admin, bulk):
    """find_unit follows merges: an old file with the duplicate's RUC does not revive it."""
    from citesmart.records.unit_actions import merge_units

    run(center_a, [row(), row(codigo_informe="INF-002", numero_documento=RUC_B)], bulk=bulk)
    survivor = ProductiveUnit.objects.get(document_number=RUC_A)
    duplicate = ProductiveUnit.objects.get(document_number=RUC_B)
    merge_units(survivor=survivor, duplicate=duplicate, actor=national_admin, reason="Mismo")
    result = run(center_a, [row(codigo_informe="INF-003", numero_documento=RUC_B)], bulk=bulk)
    assert result.exit_code == 0 and result.units_created == 0
    report = ServiceReport.objects.get(center=center_a, code="INF-003")
    assert list(report.services.values_list("unit", flat=True)) == [survivor.pk]
    assert ProductiveUnit.objects.count() == 2
