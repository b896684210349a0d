"""Loading ITP's institutional tables from files in ITP's layout (domain rules)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from tests.historic.sheets import itp_workbook, thousands, write_csv

from citesmart.historic.actions import revert_batch
from citesmart.historic.loader import load_table
from citesmart.historic.models import (
    Budget,
    BudgetExecution,
    HistoricBatch,
    HistoricChange,
    HistoricClients,
    HistoricClientsByClass,
    HistoricClientsByTaxpayer,
    HistoricServices,
    InvestmentProject,
    ProjectAspect,
    Staff,
)
from citesmart.network.models import CenterName

pytestmark = pytest.mark.django_db

SERVICE_KEYS = ["cite", "anio", "subcategoria", "fecha"]
LAB = "Ensayos de laboratorio"
TRAINING = "Capacitación"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def services_file(path, rows, *, totals=True):
    """rows: (cite, year, subcategory, twelve numbers); the totals row sums them."""
    body = [
        [cite, str(year), sub, "01/10/2020", *[thousands(v) if v else None for v in months]]
        for cite, year, sub, months in rows
    ]
    total = None
    if totals:
        sums = [sum(r[3][i] for r in rows) for i in range(12)]
        total = ["TOTAL", None, None, None, *[thousands(v) for v in sums]]
    return itp_workbook(path, SERVICE_KEYS, body, totals=total)


def months(base: int) -> list[int]:
    return [base * 100 + n for n in range(1, 13)]  # 1,001 … thousands as text


def stored_services(center, year=2017) -> dict[tuple[str, int], int]:
    return {
        (row.category.code, row.month): row.services
        for row in HistoricServices.objects.filter(center=center, year=year)
    }


def test_services_in_itp_layout_with_every_spelling_of_the_cite(tmp_path, center_a):
    path = services_file(
        tmp_path / "TABLA_03_N01.xlsx",
        [
            ("Cite Agroindustrial Moquegua", 2017, LAB, months(10)),
            ("CITEagroindustrial MOQUEGUA", 2017, "capacitacion", months(2)),
            ("cite agroindustrial moquegua", 2016, "ENSAYOS DE LABORATORIO", months(9)),
            ("CITE Agroindustrial Moquégua", 2016, "I+D+i", [0] * 11 + [5]),
        ],
    )
    result = load_table(path, kind="servicios")
    assert result.ok, result.errors
    assert result.rows == 4 and result.scopes == 2
    stored = stored_services(center_a)
    assert stored[("ensayos-laboratorio", 1)] == 1001
    assert stored[("capacitacion", 12)] == 212
    assert len(stored) == 24
    assert stored_services(center_a, 2016)[("idi", 12)] == 5
    assert len(stored_services(center_a, 2016)) == 13  # blank months are not stored
    batch = result.batch
    assert batch.status == HistoricBatch.Status.COMMITTED and batch.created == 37
    assert batch.file and batch.filename == "TABLA_03_N01.xlsx"
    assert HistoricServices.objects.filter(batch=batch).count() == 37


def test_cite_found_by_an_earlier_name(tmp_path, center_b):
    CenterName.objects.create(center=center_b, name="CITEccal Trujillo")
    path = services_file(tmp_path / "s.xlsx", [("CITE CCAL TRUJILLO", 2018, LAB, months(1))])
    assert load_table(path, kind="servicios").ok
    assert len(stored_services(center_b, 2018)) == 12


def test_a_bad_file_is_refused_whole_naming_rows_and_columns(tmp_path, center_a):
    rows = [
        ("CITEagroindustrial Moquegua", 2017, LAB, months(1)),
        ("CITEagroindustrial Moqegua del Sur", 2017, LAB, months(1)),
        ("CITEagroindustrial Moquegua", 2017, "Asesoría", months(1)),
        ("CITEagroindustrial Moquegua", 2017, TRAINING, months(1)),
    ]
    path = services_file(tmp_path / "s.xlsx", rows)
    # Row 10 (the fourth line) gets a month that is not a number; the total stays right.
    from openpyxl import load_workbook

    book = load_workbook(path)
    book.active["F9"] = "doce"
    book.save(path)
    result = load_table(path, kind="servicios")
    assert not result.ok
    text = "\n".join(map(str, result.errors))
    assert "fila 7, columna A (cite)" in text and "Moqegua del Sur" in text
    assert "«CITEagroindustrial Moquegua»" in text  # the closest registry name
    assert "fila 8, columna C (subcategoria)" in text and "Asesoría" in text
    assert "fila 9, columna F (mes_02)" in text and "doce" in text
    assert HistoricServices.objects.count() == 0
    batch = result.batch
    assert batch.status == HistoricBatch.Status.REJECTED
    assert any("fila 7" in message for message in batch.messages)


def test_totals_row_that_disagrees_is_an_error_naming_the_row(tmp_path, center_a):
    body = [["CITEagroindustrial Moquegua", "2017", LAB, None, *map(thousands, months(12))]]
    wrong = ["Total general", None, None, None, "1,500", *map(thousands, months(12)[1:])]
    path = itp_workbook(tmp_path / "s.xlsx", SERVICE_KEYS, body, totals=wrong)
    result = load_table(path, kind="servicios")
    assert [str(e) for e in result.errors] == [
        "fila 7, columna E (mes_01): la fila de totales dice 1,500 pero las filas de arriba "
        "suman 1,201; corrija el total o las filas"
    ]
    assert not HistoricServices.objects.exists()


def test_duplicate_lines_are_refused(tmp_path, center_a):
    rows = [("CITEagroindustrial Moquegua", 2017, LAB, months(1))] * 2
    result = load_table(services_file(tmp_path / "s.xlsx", rows), kind="servicios")
    assert [e.row for e in result.errors] == [7]
    assert "fila 6" in result.errors[0].message


def test_reloading_is_idempotent_and_a_new_load_replaces_then_reverts(tmp_path, center_a):
    first = services_file(
        tmp_path / "v1.xlsx",
        [
            ("CITEagroindustrial Moquegua", 2017, LAB, months(10)),
            ("CITEagroindustrial Moquegua", 2017, TRAINING, months(2)),
        ],
    )
    one = load_table(first, kind="servicios").batch
    again = load_table(first, kind="servicios")
    assert again.ok and again.batch.unchanged == 24
    assert (again.batch.created, again.batch.updated, again.batch.deleted) == (0, 0, 0)
    assert not HistoricChange.objects.filter(batch=again.batch).exists()
    before = stored_services(center_a)
    corrected = months(10)
    corrected[0] = 999
    second = services_file(
        tmp_path / "v2.xlsx", [("CITEagroindustrial Moquegua", 2017, LAB, corrected)]
    )
    two = load_table(second, kind="servicios").batch
    assert (two.created, two.updated, two.deleted, two.unchanged) == (0, 1, 12, 11)
    assert stored_services(center_a)[("ensayos-laboratorio", 1)] == 999
    assert ("capacitacion", 1) not in stored_services(center_a)
    with pytest.raises(ValidationError, match="Reviértalas primero"):
        revert_batch(user=None, batch=one)
    assert revert_batch(user=None, batch=two) == 13
    assert stored_services(center_a) == before
    assert (
        HistoricServices.objects.get(
            center=center_a, year=2017, month=1, category__code="capacitacion"
        ).batch_id
        == one.pk
    )
    two.refresh_from_db()
    assert two.status == HistoricBatch.Status.REVERTED
    revert_batch(user=None, batch=one)
    assert not HistoricServices.objects.exists()


def test_dry_run_writes_nothing_and_says_what_would_change(tmp_path, center_a):
    path = services_file(
        tmp_path / "s.xlsx", [("CITEagroindustrial Moquegua", 2017, LAB, months(1))]
    )
    result = load_table(path, kind="servicios", dry_run=True)
    assert result.ok and result.counts.created == 12
    assert "se registrarían 12 valores nuevos" in result.summary
    assert result.batch.status == HistoricBatch.Status.DRY_RUN
    assert not HistoricServices.objects.exists() and not HistoricChange.objects.exists()


def test_only_national_administrators_load_or_revert(tmp_path, center_a, manager_a, analyst):
    path = services_file(
        tmp_path / "s.xlsx", [("CITEagroindustrial Moquegua", 2017, LAB, months(1))]
    )
    for user in (manager_a, analyst):
        with pytest.raises(PermissionDenied):
            load_table(path, kind="servicios", user=user)
    batch = load_table(path, kind="servicios").batch
    with pytest.raises(PermissionDenied):
        revert_batch(user=analyst, batch=batch)


def test_clients_with_older_client_types_in_csv(tmp_path, center_a):
    header = ["cite", "anio", "tipo", "fecha", "fuente", *[f"mes_{n:02d}" for n in range(1, 13)]]
    rows = [
        ["CITEagroindustrial Moquegua", "2016", "Microempresa", "", "ITP", "1 234"] + [""] * 11,
        ["CITEagroindustrial Moquegua", "2016", "Persona natural", "", "ITP", "7"] + [""] * 11,
        ["CITEagroindustrial Moquegua", "2016", "Otros", "", "ITP", "1.020"] + [""] * 11,
    ]
    path = write_csv(tmp_path / "c.csv", header, rows, title="TABLA_02_N01 Clientes atendidos")
    result = load_table(path, kind="clientes")
    assert result.ok, result.errors
    stored = {(r.client_type, r.month): r.clients for r in HistoricClients.objects.all()}
    assert stored == {
        ("empresa_formal", 1): 1234,
        ("persona_natural_negocio", 1): 7,
        ("otros", 1): 1020,
    }


def test_clients_by_ciiu_and_taxpayer_type(tmp_path, center_a):
    path = itp_workbook(
        tmp_path / "ciiu.xlsx",
        ["cite", "cod_ciiu", "anio"],
        [["CITE agroindustrial Moquegua", 1030, 2018, "1,025"], ["UT Tacna", "0111", 2018, "3"]],
        monthly=False,
        values=["empresas"],
        totals=["Total", None, None, "1,028"],
    )
    assert load_table(path, kind="clientes_ciiu").ok
    assert set(HistoricClientsByClass.objects.values_list("center__name", "ciiu", "clients")) == {
        ("CITEagroindustrial Moquegua", "1030", 1025),
        ("Unidad Técnica Tacna (CITEagroindustrial Moquegua)", "0111", 3),
    }
    path = itp_workbook(
        tmp_path / "contrib.xlsx",
        ["cite", "tipo_contribuyente", "anio"],
        [["CITEagroindustrial Moquegua", "Sociedad Anónima Cerrada", 2018, 12]],
        monthly=False,
        values=["empresas"],
    )
    assert load_table(path, kind="clientes_contribuyente").ok
    row = HistoricClientsByTaxpayer.objects.get()
    assert (row.taxpayer_type, row.taxpayer_key, row.clients) == (
        "Sociedad Anónima Cerrada",
        "sociedadanonimacerrada",
        12,
    )


def test_budget_execution_and_staff(tmp_path, center_a):
    budget = itp_workbook(
        tmp_path / "pim.xlsx",
        ["cite", "anio"],
        [["CITEagroindustrial Moquegua", 2017, "S/ 2,450,000.50"]],
        monthly=False,
        values=["pim"],
    )
    assert load_table(budget, kind="presupuesto").ok
    assert Budget.objects.get().pim == Decimal("2450000.50")
    execution = itp_workbook(
        tmp_path / "ejec.xlsx",
        ["cite", "anio", "fecha", "fuente"],
        [["CITEagroindustrial Moquegua", 2017, None, "Recursos ordinarios", "120,000.00"]],
    )
    assert load_table(execution, kind="ejecucion").ok
    assert BudgetExecution.objects.get().amount == Decimal("120000.00")
    staff = itp_workbook(
        tmp_path / "rrhh.xlsx",
        ["cite", "anio", "modalidad", "fecha"],
        [["CITEagroindustrial Moquegua", 2017, "CAS", None, 1, "12", None, 3, 2]],
        monthly=False,
        values=["directivo", "tecnico", "operativo", "administrativo", "practicante"],
    )
    assert load_table(staff, kind="personal").ok
    row = Staff.objects.get()
    assert (row.directivo, row.tecnico, row.operativo, row.practicante) == (1, 12, 0, 2)


def test_projects_with_aspects_replace_and_revert(tmp_path, center_a):
    keys = ["cite", "cui", "nombre", "monto", "fecha_inicio", "fecha_fin", "aspecto", "estado"]
    project = ["CITEagroindustrial Moquegua", "2234567", "Creación del CITE", "12,500,000.00"]
    dates = ["15/03/2016", "30/12/2018"]
    path = itp_workbook(
        tmp_path / "pip.xlsx",
        keys,
        [
            [*project, *dates, "Infraestructura", "Culminado", "01/10/2020"],
            [*project, *dates, "Equipamiento", "En ejecución", "01/10/2020"],
        ],
        monthly=False,
        values=["fecha"],
    )
    first = load_table(path, kind="proyectos")
    assert first.ok, first.errors
    assert InvestmentProject.objects.get().amount == Decimal("12500000.00")
    assert ProjectAspect.objects.count() == 2
    later = itp_workbook(
        tmp_path / "pip2.xlsx",
        keys,
        [[*project, *dates, "Equipamiento", "Culminado", "01/12/2020"]],
        monthly=False,
        values=["fecha"],
    )
    second = load_table(later, kind="proyectos").batch
    assert (second.updated, second.deleted) == (1, 1)
    assert ProjectAspect.objects.get().status == "Culminado"
    revert_batch(user=None, batch=second)
    assert set(ProjectAspect.objects.values_list("aspect", "status")) == {
        ("Infraestructura", "Culminado"),
        ("Equipamiento", "En ejecución"),
    }
    conflicting = itp_workbook(
        tmp_path / "pip3.xlsx",
        keys,
        [
            [*project, *dates, "Equipamiento", "Culminado", None],
            [project[0], "2234567", "Otro nombre", "1", *dates, "Proyecto", "Viable", None],
        ],
        monthly=False,
        values=["fecha"],
    )
    refused = load_table(conflicting, kind="proyectos")
    assert [e.row for e in refused.errors] == [7]


def test_an_ambiguous_cite_name_lists_the_candidates(tmp_path, center_a, center_b):
    CenterName.objects.create(center=center_b, name="CITE Agroindustrial Moquegua")
    path = services_file(tmp_path / "s.xlsx", [("Agroindustrial Moquegua", 2017, LAB, months(1))])
    result = load_table(path, kind="servicios")
    assert [str(e) for e in result.errors] == [
        "fila 6, columna A (cite): «Agroindustrial Moquegua» puede ser «CITEagroindustrial "
        "Moquegua», «CITEcuero y calzado Trujillo»; escriba el nombre completo del centro."
    ]


def test_a_file_of_another_table_is_unusable(tmp_path, center_a):
    path = services_file(
        tmp_path / "s.xlsx", [("CITEagroindustrial Moquegua", 2017, LAB, months(1))]
    )
    result = load_table(path, kind="personal")
    assert result.exit_code == 2 and not result.errors
    assert "le faltan columnas de TABLA_06_N01: modalidad" in result.fatal
    assert result.batch.status == HistoricBatch.Status.REJECTED
    assert not Staff.objects.exists()
