"""Files as centers really have them: title rows, several sheets, their own headers (mapped
once per center), district names instead of ubigeo codes; all-or-nothing still."""

import datetime
import io
import os
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook
from tests.records.test_import_pipeline import TODAY, row

from citesmart.records import imports
from citesmart.records.models import ImportBatch, ImportColumnMapping, ServiceReport
from citesmart.records.template import HEADERS


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def book(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for values in rows:
            sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table(rows: list[dict], headers=HEADERS) -> list[list]:
    return [list(headers), *([r[h] for h in HEADERS] for r in rows)]


def run(center, data: bytes, **options) -> imports.ImportResult:
    options.setdefault("today", TODAY)
    return imports.import_file(io.BytesIO(data), center=center, filename="libro.xlsx", **options)


def test_title_rows_above_the_header_are_skipped(center_a):
    titles = [["CITE agroindustrial Moquegua"], ["Reporte de servicios - marzo 2025"], []]
    result = run(center_a, book({"Servicios": titles + table([row()])}))
    assert result.exit_code == 0, (result.fatal, result.errors)
    assert result.header_row == 4  # as Excel numbers it: the empty row counts
    assert ServiceReport.objects.filter(center=center_a, code="INF-001").exists()


def test_the_sheet_with_the_header_is_read_and_another_can_be_chosen(center_a):
    data = book({
        "Notas": [["Hoja de notas"], ["nada que importar"]],
        "Marzo": table([row()]),
    })  # fmt: skip
    result = run(center_a, data, dry_run=True)
    assert result.exit_code == 0, result.fatal
    assert (result.sheet, result.sheets) == ("Marzo", ["Notas", "Marzo"])
    two = book({"Marzo": table([row()]), "Abril": table([row(codigo_informe="INF-002")])})
    ambiguous = run(center_a, two)
    assert ambiguous.exit_code == 2 and not ServiceReport.objects.exists()
    assert "varias hojas con los encabezados esperados («Marzo», «Abril»)" in ambiguous.fatal
    assert "campo «Hoja»" in ambiguous.fatal
    chosen = run(center_a, two, sheet="abril")
    assert chosen.exit_code == 0 and chosen.sheet == "Abril"
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["INF-002"]
    missing = run(center_a, two, sheet="Mayo")
    assert "no tiene una hoja llamada «Mayo». Sus hojas son: «Marzo», «Abril»" in missing.fatal


OWN = ["Cod. Serv.", "Desde", "Hasta", "Tipo de servicio", "Servicio", "Cadena", "Lugar",
       "Doc.", "Número", "Beneficiario", "tipo_cliente", "S/", "Programa", "Estado"]  # fmt: skip


KNOWN = {"Servicio", "Cadena", "tipo_cliente", "Programa", "Estado"}


def test_unknown_headers_are_mapped_once_and_remembered_for_the_center(
    center_a, center_b, operator_a
):
    data = book({"Servicios": [["Informe de marzo"], [], *table([row()], headers=OWN)]})
    first = run(center_a, data, dry_run=True, user=operator_a)
    assert first.header_row == 3  # the widest of the first rows, not the title
    assert first.exit_code == 2 and "Faltan columnas obligatorias: codigo_informe" in first.fatal
    assert "«Cod. Serv.»" in first.fatal and "Asigne las columnas desconocidas" in first.fatal
    assert first.batch.messages[0]["unknown_headers"][:2] == ["Cod. Serv.", "Desde"]
    mapping = dict(zip(OWN[:5], ["codigo_informe", "fecha_inicio", "fecha_fin",
                                 "categoria_servicio", "servicio"], strict=True))  # fmt: skip
    mapping |= {"Lugar": "ubigeo", "Doc.": "tipo_documento", "Número": "numero_documento",
                "Beneficiario": "razon_social", "S/": "monto_soles"}  # fmt: skip
    first.batch.created_at = timezone.now()
    again = imports.recheck(batch=first.batch, user=operator_a, columns=mapping)
    assert again.exit_code == 0, (again.fatal, again.errors)
    assert ImportColumnMapping.objects.filter(center=center_a).count() == 10
    # The next file of that center is read with its mapping; another center's is not.
    nxt = book({"Servicios": [["Informe mensual"], *table([row(codigo_informe="X")], OWN)]})
    assert run(center_a, nxt, user=operator_a).exit_code == 0
    assert ServiceReport.objects.filter(center=center_a, code="X").exists()
    assert run(center_b, nxt).exit_code == 2


def test_a_template_alias_wins_over_a_mapping(center_a, operator_a):
    ImportColumnMapping.objects.create(center=center_a, header_key="codigo", header="Código",
                                       column="fecha_fin")  # fmt: skip
    headers = ["Código" if h == "codigo_informe" else h for h in HEADERS]
    result = run(center_a, book({"S": table([row()], headers=headers)}))
    assert result.exit_code == 0  # a template alias wins over a mapping


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Moquegua", "180101"),
        ("moquegua, mariscal nieto", "180101"),
        ("180101", "180101"),
        ("180301 - Ilo", "180301"),
        ("Ilo, Ilo, Moquegua (ubigeo 180301)", "180301"),
    ],
)
def test_district_names_are_accepted(center_a, written, code):
    result = run(center_a, book({"S": table([row(ubigeo=written)])}))
    assert result.exit_code == 0, result.errors
    report = ServiceReport.objects.get()
    assert report.services.get().unit.district_id == code


def test_an_ambiguous_or_unknown_district_name_is_a_clear_error_and_nothing_is_written(center_a):
    rows = [row(), row(codigo_informe="INF-2", ubigeo="Santa Rosa"),
            row(codigo_informe="INF-3", ubigeo="Villa Inexistente")]  # fmt: skip
    result = run(center_a, book({"S": table(rows)}))
    assert result.exit_code == 1 and not ServiceReport.objects.exists()
    texts = [str(e) for e in result.errors]
    assert texts[0].startswith("fila 3, columna ubigeo: hay ")
    assert "distritos llamados «Santa Rosa»: Santa Rosa (provincia" in texts[0]
    assert "añada la provincia y el departamento, p. ej. «Santa Rosa, " in texts[0]
    assert texts[1].startswith("fila 4, columna ubigeo: no hay ningún distrito llamado")
    qualified = texts[0].split("p. ej. «")[1].split("»")[0]
    fixed = run(center_a, book({"S": table([row(ubigeo=qualified)])}))
    assert fixed.exit_code == 0, fixed.errors


def test_a_checked_file_expires(center_a, operator_a, settings):
    settings.IMPORT_CHECK_HOURS = 24
    result = run(center_a, book({"S": table([row()])}), dry_run=True, user=operator_a)
    batch = result.batch
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    batch.refresh_from_db()
    assert "La verificación venció" in imports.register_refusal(batch=batch, user=operator_a)
    with pytest.raises(imports.ImportRefused, match="Vuelva a subirlo"):
        imports.register_checked(batch=batch, user=operator_a)
    # Its copy (personal data) goes with the next sweep; a younger check's stays.
    young = run(center_a, book({"S": table([row(codigo_informe="Y")])}), dry_run=True).batch
    stored = settings.MEDIA_ROOT / batch.file.name
    os.utime(stored, (time.time() - 7200, time.time() - 7200))
    os.utime(settings.MEDIA_ROOT / young.file.name, (time.time() - 7200, time.time() - 7200))
    call_command("sweep_uploads")
    assert not stored.exists() and (settings.MEDIA_ROOT / young.file.name).exists()


def test_the_command_line_chooses_the_sheet_and_maps_columns(center_a, tmp_path):
    from tests.records.test_import_command import cli

    path = tmp_path / "libro.xlsx"
    path.write_bytes(
        book({"Marzo": table([row()], OWN), "Abril": table([row(codigo_informe="B")], OWN)})
    )
    code, _, err = cli(str(path), "--center", center_a.code)
    assert code == 2 and "varias hojas" in err
    code, _, err = cli(str(path), "--center", center_a.code, "--hoja", "Abril")
    assert code == 2 and "Faltan columnas obligatorias" in err
    code, _, err = cli(str(path), "--center", center_a.code, "--columna", "Cod. Serv.=nada")
    assert code == 2 and "--columna «Cod. Serv.=nada» no es válida" in err
    pairs = ["Cod. Serv.=codigo_informe", "Desde=fecha_inicio", "Hasta=fecha_fin",
             "Tipo de servicio=categoria_servicio", "Lugar=ubigeo", "Doc.=tipo_documento",
             "Número=numero_documento", "Beneficiario=razon_social", "S/=monto_soles"]  # fmt: skip
    options = [arg for pair in pairs for arg in ("--columna", pair)]
    code, _, err = cli(str(path), "--center", center_a.code, "--hoja", "Abril", *options)
    assert code == 0, err
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["B"]
    code, _, err = cli(str(path), "--center", center_a.code, "--hoja", "Marzo")
    assert code == 0, err  # remembered for the center


# --- the back office: the batch page offers the sheet and the columns, without a new upload


def test_the_batch_page_chooses_the_sheet_and_maps_columns_without_a_new_upload(
    client_for, operator_a, manager_b, center_a
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    data = book({"Marzo": table([row()], OWN), "Abril": table([row(codigo_informe="B")], OWN)})
    upload = SimpleUploadedFile("libro.xlsx", data)
    client = client_for(operator_a)
    url = reverse("admin:records_importbatch_upload")
    page = client.post(url, {"center": center_a.pk, "file": upload, "dry_run": "on"}, follow=True)
    assert "varias hojas con los encabezados esperados" in page.text
    assert 'name="sheet"' in page.text and '<option value="Abril"' in page.text
    assert "Registrar este archivo" not in page.text  # an unusable file is not registered
    batch = ImportBatch.objects.get()
    recheck = reverse("admin:records_importbatch_recheck", args=[batch.pk])
    page = client.post(recheck, {"sheet": "Abril"}, follow=True)
    assert "Faltan columnas obligatorias" in page.text and "Columna «Cod. Serv.» del archivo" in (
        page.text
    )
    second = ImportBatch.objects.latest("pk")
    assert second.messages[0]["sheet"] == "Abril"
    assert second.messages[0]["unknown_headers"] == [h for h in OWN if h not in KNOWN]
    fields = {f"col-{i}": c for i, c in enumerate(["codigo_informe", "fecha_inicio",
              "fecha_fin", "categoria_servicio", "ubigeo", "tipo_documento",
              "numero_documento", "razon_social", "monto_soles"])}  # fmt: skip
    # Someone of another center may not use this batch.
    other = client_for(manager_b).post(
        reverse("admin:records_importbatch_recheck", args=[second.pk]), fields
    )
    assert other.status_code in (302, 403, 404) and not ImportColumnMapping.objects.exists()
    client = client_for(operator_a)
    page = client.post(
        reverse("admin:records_importbatch_recheck", args=[second.pk]),
        {"sheet": "Abril", **fields},
        follow=True,
    )
    assert "Verificación sin registrar: 1 fila, 1 informe válido" in page.text
    assert "Registrar este archivo" in page.text and not ServiceReport.objects.exists()
    third = ImportBatch.objects.latest("pk")
    page = client.post(reverse("admin:records_importbatch_register", args=[third.pk]), follow=True)
    assert "Importación registrada: 1 fila" in page.text
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["B"]
    # A mapping used is shown on the check's page and can be corrected there ("— no
    # importar —" forgets it).
    page = client.get(reverse("admin:records_importbatch_change", args=[third.pk])).text
    assert "Columna «S/» del archivo" in page and third.messages[0]["mapped_headers"][-1] == "S/"
    index = third.messages[0]["mapped_headers"].index("S/")
    again = {f"col-{i}": c for i, c in enumerate(third.messages[0]["mapped_headers"])}
    again = {f"col-{i}": fields[f"col-{i}"] for i in range(len(again))} | {f"col-{index}": ""}
    url = reverse("admin:records_importbatch_recheck", args=[third.pk])
    page = client.post(url, {"sheet": "Abril", **again}, follow=True)
    fourth = ImportBatch.objects.latest("pk")
    assert fourth.status == ImportBatch.Status.DRY_RUN and fourth.pk > third.pk
    assert "Verificación sin registrar: 1 fila, 1 informe válido" in page.text
    assert "Se ignoró la columna «S/»" in page.text
    kept = set(ImportColumnMapping.objects.values_list("header", flat=True))
    assert "S/" not in kept and "Cod. Serv." in kept and len(kept) == 8


def test_odd_amounts_and_dates_are_accepted_with_warnings(center_a):
    rows = [
        row(monto_soles="0"),
        row(codigo_informe="B", fecha_inicio="03/03/2023"),
        row(codigo_informe="C", monto_soles="0", programa=""),
        row(codigo_informe="D", monto_soles=""),
    ]
    result = run(center_a, book({"S": table(rows)}), dry_run=True)
    assert result.exit_code == 0, result.errors
    assert result.warnings == [
        "fila 2, columna monto_soles: monto 0 sin programa: cuenta como servicio cobrado de "
        "S/ 0; si fue gratuito, indique el programa que lo financió; se registraría igual",
        "fila 3, columna fecha_fin: el servicio dura 735 días (03/03/2023 a 07/03/2025); "
        "revise las fechas; se registraría igual",
        "fila 4, columna monto_soles: monto 0 sin programa: cuenta como servicio cobrado de "
        "S/ 0; si fue gratuito, indique el programa que lo financió; se registraría igual",
    ]
