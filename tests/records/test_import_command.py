"""`citesmart import`: exit codes, reports, scoping by --user, hostile files."""

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from citesmart.records.models import ImportBatch, ServiceReport
from citesmart.records.template import HEADERS

RUC_A, RUC_B, RUC_BAD = "20131312955", "20100047218", "20131312956"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def row(**values: str) -> dict[str, str]:
    base = dict.fromkeys(HEADERS, "") | {
        "codigo_informe": "INF-001",
        "fecha_inicio": "03/03/2025",
        "fecha_fin": "07/03/2025",
        "categoria_servicio": "Asistencia técnica",
        "ubigeo": "180101",
        "tipo_documento": "RUC",
        "numero_documento": RUC_A,
        "razon_social": "Empresa Uno S.A.C.",
        "monto_soles": "150.00",
    }
    return base | values


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_valid_file_exits_0_with_a_spanish_summary(center_a, tmp_path):
    path = write(tmp_path / "ok.csv", [row(), row(codigo_informe="INF-002")])
    code, out, _ = cli(str(path), "--center", "CITEagroindustrial MOQUEGUA")
    assert code == 0
    assert out.strip().splitlines()[-1] == (
        "Importación registrada: 2 filas, 2 informes válidos; 2 informes nuevos, "
        "0 actualizados, 0 sin cambios, 1 unidad productiva nueva."
    )
    assert ServiceReport.objects.filter(center=center_a).count() == 2


def test_center_by_code_and_accent_insensitive_name(center_a, tmp_path):
    path = write(tmp_path / "ok.csv", [row()])
    assert cli(str(path), "--center", center_a.code, "--dry-run")[0] == 0
    assert cli(str(path), "--center", "citeagroindustrial moquegüa", "--dry-run")[0] == 0
    code, _, err = cli(str(path), "--center", "CITE inexistente")
    assert code == 2 and "No existe el centro «CITE inexistente»" in err


def test_dry_run_exits_0_and_writes_nothing(center_a, tmp_path):
    path = write(tmp_path / "ok.csv", [row()])
    code, out, _ = cli(str(path), "--center", center_a.code, "--dry-run")
    assert code == 0 and "se registrarían 1 informe nuevo" in out
    assert not ServiceReport.objects.exists()
    assert ImportBatch.objects.get().status == ImportBatch.Status.DRY_RUN


def test_rejected_rows_exit_1_and_the_report_lists_them(center_a, tmp_path):
    path = write(tmp_path / "bad.csv", [row(), row(codigo_informe="B", ubigeo="999999")])
    report = tmp_path / "errores.xlsx"
    code, out, _ = cli(str(path), "--center", center_a.code, "--report", str(report))
    assert code == 1
    assert "fila 3, columna ubigeo: el ubigeo 999999 no corresponde a ningún distrito" in out
    assert not ServiceReport.objects.exists()
    sheet = load_workbook(report, read_only=True).active
    rows = list(sheet.values)
    assert rows[0] == ("tipo", "fila", "columna", "motivo")
    assert ("error", 3, "ubigeo") in [r[:3] for r in rows]


def test_accept_valid_returns_the_rejected_rows_file(center_a, tmp_path):
    rows = [row(), row(codigo_informe="B", numero_documento=RUC_BAD), row(codigo_informe="B")]
    path = write(tmp_path / "mixto.csv", rows)
    code, out, _ = cli(str(path), "--center", center_a.code, "--accept-valid")
    assert code == 1
    assert list(ServiceReport.objects.values_list("code", flat=True)) == ["INF-001"]
    rejected = tmp_path / "mixto-rechazadas.csv"
    assert f"Filas rechazadas, para corregir y volver a importar: {rejected}" in out
    with rejected.open(encoding="utf-8-sig") as handle:
        back = list(csv.DictReader(handle))
    assert [r["codigo_informe"] for r in back] == ["B", "B"]
    assert "dígito verificador" in back[0]["motivo"]
    assert back[1]["motivo"] == "el informe «B» tiene errores en la fila 3"


def test_operator_of_center_a_cannot_import_into_center_b(center_b, operator_a, tmp_path):
    path = write(tmp_path / "ok.csv", [row()])
    code, _, err = cli(str(path), "--center", center_b.code, "--user", operator_a.username)
    assert code == 2 and "No tiene permiso para importar servicios" in err
    assert not ImportBatch.objects.exists()


def test_operator_imports_into_own_center_as_themselves(center_a, operator_a, tmp_path):
    path = write(tmp_path / "ok.csv", [row()])
    assert cli(str(path), "--center", center_a.code, "--user", operator_a.username)[0] == 0
    assert ServiceReport.objects.get().created_by == operator_a
    assert ImportBatch.objects.get().created_by == operator_a


def test_analyst_cannot_import(center_a, analyst, tmp_path):
    path = write(tmp_path / "ok.csv", [row()])
    assert cli(str(path), "--center", center_a.code, "--user", analyst.username)[0] == 2


# --- hostile files -------------------------------------------------------------------------


def xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    for values in rows:
        workbook.active.append(values)
    workbook.save(path)
    return path


def rewrite_sheet(path: Path, transform) -> None:
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(name, transform(data) if name.startswith("xl/worksheets/") else data)


def test_formula_cells_are_never_evaluated(center_a, tmp_path):
    values = row()
    values["razon_social"] = '=HYPERLINK("http://evil.example","clic")'
    values["monto_soles"] = "=1+1"
    path = xlsx(tmp_path / "formulas.xlsx", [list(HEADERS), [values[h] for h in HEADERS]])
    code, out, _ = cli(str(path), "--center", center_a.code)
    # Only cached values are read; openpyxl wrote none, so the cells arrive empty.
    assert code == 1
    assert "fila 2, columna razon_social: falta la razón social o el nombre" in out
    assert not ServiceReport.objects.exists()


def test_huge_declared_dimension_is_refused_with_exit_2(center_a, tmp_path):
    path = xlsx(tmp_path / "billion.xlsx", [list(HEADERS)])
    rewrite_sheet(
        path,
        lambda d: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', d),
    )
    code, _, err = cli(str(path), "--center", center_a.code)
    assert code == 2 and "1 048 576 filas" in err and "Traceback" not in err
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_zip_bomb_is_refused_with_exit_2(center_a, tmp_path):
    path = xlsx(tmp_path / "bomb.xlsx", [list(HEADERS)])
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/zeros.bin", "w") as entry,
    ):
        for _ in range(40):
            entry.write(bytes(1024 * 1024))
    code, _, err = cli(str(path), "--center", center_a.code)
    assert code == 2 and "desproporcionado" in err


def test_random_bytes_are_refused_with_exit_2(center_a, tmp_path):
    path = tmp_path / "servicios.xlsx"
    path.write_bytes(os.urandom(64 * 1024))
    code, _, err = cli(str(path), "--center", center_a.code)
    assert code == 2 and "servicios.xlsx" in err and "Traceback" not in err


def test_missing_file_exits_2(center_a, tmp_path):
    code, _, err = cli(str(tmp_path / "nada.csv"), "--center", center_a.code)
    assert code == 2 and "No se encontró el archivo" in err


def test_progress_bar_goes_to_stderr_when_asked(center_a, tmp_path):
    path = write(tmp_path / "ok.csv", [row()])
    code, _, err = cli(str(path), "--center", center_a.code, "--progress", "--dry-run")
    assert code == 0 and "Leyendo [" in err and "1/1 filas" in err


def test_console_entry_point_runs_the_command(tmp_path):
    """The real `citesmart` program knows the command and its options."""
    env = {**os.environ, "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "citesmart", "import", "--help"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "--accept-valid" in done.stdout
