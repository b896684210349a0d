"""Publishing the open data: package validity, privacy, stable pseudonyms, totals, atomicity."""

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from citesmart.analytics.queries import Filters, figures
from citesmart.opendata import catalog, publish, writers
from citesmart.opendata.publish import PublicationError
from citesmart.records.models import ReportStatus, Service

FIRST = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SECOND = datetime(2026, 1, 3, 3, 4, 5, tzinfo=UTC)


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def all_text(folder: Path) -> str:
    """Every file of a release as text, whatever its format."""
    parts = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                parts += [archive.read(n).decode("utf-8") for n in archive.namelist()]
        elif path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
            parts.append(path.read_bytes().decode("latin-1"))
        else:
            parts.append(path.read_text(encoding="utf-8"))
    assert len(parts) >= 4 * len(catalog.RESOURCES)
    return "\n".join(parts)


def assert_no_personal_data(text: str, world) -> None:
    for document in world.personal_documents:
        assert document not in text, f"documento personal {document} publicado"
    for name in world.person_names:
        assert name.lower() not in text.lower(), f"nombre de persona natural «{name}» publicado"
        for word in name.split():  # surnames alone would identify too
            if len(word) > 8:
                assert word not in text, f"«{word}» publicado"
    assert not re.search(r"\b10\d{9}\b", text), "un RUC 10 publicado"


@pytest.fixture
def frictionless_validate():
    """frictionless.validate; its CSV parser raises csv.field_size_limit for the whole process
    when imported, which other tests (lib/spreadsheets) rely on: put it back afterwards."""
    limit = csv.field_size_limit()
    from frictionless import validate

    yield validate
    csv.field_size_limit(limit)


def test_the_package_validates_with_frictionless(world, frictionless_validate):
    folder, _ = publish.publish(now=FIRST)
    report = frictionless_validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == len(catalog.RESOURCES)
    rows = {task.name: task.stats.get("rows", 0) for task in report.tasks}
    assert rows["servicios"] == figures().totals["services"] > 0
    package = json.loads((folder / "datapackage.json").read_text())
    assert [r["name"] for r in package["resources"]] == [r.name for r in catalog.RESOURCES]
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert (folder / "servicios.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_no_personal_data_in_any_file_or_page(world, client):
    folder, _ = publish.publish(now=FIRST)
    assert_no_personal_data(all_text(folder), world)
    pages = ["/datos/", "/datos/diccionario/", "/datos/catalog.jsonld"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(response.content.decode(), world)
    # Legal entities may appear with RUC and business name.
    rows = read_csv(folder, "servicios")
    published = {(r["ruc"], r["razon_social"]) for r in rows if r["persona_juridica"] == "true"}
    assert published == {(u.document_number, u.name) for u in world.companies}
    assert all(not r["ruc"] and not r["razon_social"] for r in rows if r["ruc"] == "")


def test_pseudonyms_are_stable_across_releases_and_change_with_the_key(world, settings):
    first, _ = publish.publish(now=FIRST)
    ids_first = {r["id_servicio"]: r["id_unidad_productiva"] for r in read_csv(first, "servicios")}
    second, _ = publish.publish(now=SECOND)
    ids_second = {
        r["id_servicio"]: r["id_unidad_productiva"] for r in read_csv(second, "servicios")
    }
    assert first != second and ids_first == ids_second
    settings.OPENDATA_PSEUDONYM_KEY = "otra-clave"
    third, _ = publish.publish(now=datetime(2026, 1, 4, tzinfo=UTC))
    ids_third = {r["id_unidad_productiva"] for r in read_csv(third, "servicios")}
    assert ids_third.isdisjoint(ids_first.values())
    assert len(ids_third) == len(set(ids_first.values()))


def _records() -> list[dict]:
    """Every validated service straight from the records, with what the tables count by."""
    found = []
    services = Service.objects.filter(report__status=ReportStatus.VALIDATED).select_related(
        "report__center", "report__category", "report__chain", "unit__district"
    )
    for service in services:
        report, unit = service.report, service.unit
        found.append(
            {
                "mes": f"{report.end_date:%Y-%m}",
                "anio": str(report.end_date.year),
                "centro_codigo": report.center.code,
                "categoria_codigo": report.category.code,
                "tipo_cliente": unit.client_type,
                "departamento_codigo": unit.district.department_id if unit.district else "",
                "cadena_codigo": report.chain.code if report.chain else "",
                "natural": unit.is_natural_person,
                "report": report.pk,
                "amount": Decimal(0) if report.is_free else service.amount,
            }
        )
    return found


def test_totals_equal_the_analytics_interface(world):
    folder, manifest = publish.publish(now=FIRST)
    totals = figures().totals
    rows = read_csv(folder, "servicios")
    assert len(rows) == totals["services"] == manifest["resources"]["servicios"]["rows"]
    assert len({r["id_unidad_productiva"] for r in rows}) == totals["units"]
    # Reports and amounts are shown on the services to legal entities only.
    legal = [r for r in _records() if not r["natural"]]
    companies = [r for r in rows if r["persona_juridica"] == "true"]
    assert len({r["id_informe"] for r in companies}) == len({r["report"] for r in legal})
    assert sum(Decimal(r["monto_soles"]) for r in companies) == sum(r["amount"] for r in legal)
    # Every published cell of the monthly table (a crossing) is the analytics answer for that
    # cell, perturbed within the bound and marked.
    cells = read_csv(folder, "servicios_centro_categoria_mes")
    assert cells
    for cell in cells:
        year, month = map(int, cell["mes"].split("-"))
        answer = figures(
            Filters(
                years=[year],
                months=[month],
                centers=[cell["centro_codigo"]],
                with_technical_units=False,
                categories=[cell["categoria_codigo"]],
            )
        ).totals
        if cell["reservado"] == "true":
            assert cell["servicios"] == "" and cell["perturbado"] == "false"
        else:
            assert cell["perturbado"] == "true"
            assert 0 < abs(int(cell["servicios"]) - answer["services"]) <= 2
            assert 0 < abs(int(cell["unidades_productivas"]) - answer["units"]) <= 2


def test_small_cells_are_coarsened_or_suppressed(world, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 5
    folder, _ = publish.publish(now=FIRST)
    rows = read_csv(folder, "servicios")
    companies = [r for r in rows if r["persona_juridica"] == "true"]
    assert companies and all(r["nivel_ubicacion"] == "distrito" for r in companies)
    assert all(r["distrito_codigo"] == "230101" and r["mes"] for r in companies)
    assert not any(r["distrito_codigo"] == "230110" for r in rows)  # the lonely person's
    # A service to a natural person shows its year and pseudonyms only.
    persons = [r for r in rows if r["persona_juridica"] == "false"]
    assert persons and all(r["anio"] and r["id_unidad_productiva"] for r in persons)
    kept = {"id_servicio", "anio", "id_unidad_productiva", "persona_juridica", "nivel_ubicacion"}
    assert all(value == "" for r in persons for k, value in r.items() if k not in kept)
    assert all(r["nivel_ubicacion"] == "sin_dato" for r in persons)
    # ... listed after the year's other services, not where its date would put it.
    years = [(r["anio"], r["persona_juridica"] == "false") for r in rows]
    assert years == sorted(years)
    # Flagged cells of the tables are published empty and marked.
    cells = read_csv(folder, "servicios_centro_categoria_mes")
    reserved = [c for c in cells if c["reservado"] == "true"]
    assert reserved and all(c["servicios"] == c["monto_soles"] == "" for c in reserved)
    year, month = map(int, reserved[0]["mes"].split("-"))
    answer = figures(Filters(years=[year], months=[month]), by=["center", "category"])
    assert answer.flagged >= 1


TABLE_KEYS = {
    "servicios_centro_categoria_mes": ("mes", "centro_codigo", "categoria_codigo"),
    "unidades_centro_tipo_cliente_mes": ("mes", "centro_codigo", "tipo_cliente"),
    "servicios_departamento_cadena_anio": ("anio", "departamento_codigo", "cadena_codigo"),
}


def test_no_cell_with_a_natural_person_can_be_recounted_from_the_microdata(world, settings):
    """The probe's attack: count the microdata rows of each table cell. Against the records,
    no cell holding a natural person comes out exact (reserved or not)."""
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 5
    folder, _ = publish.publish(now=FIRST)
    microdata = read_csv(folder, "servicios")
    records = _records()
    tried = recovered = 0
    for table, keys in TABLE_KEYS.items():
        for cell in read_csv(folder, table):
            codes = tuple(cell[k] for k in keys)
            inside = [r for r in records if tuple(r[k] for k in keys) == codes]
            if not any(r["natural"] for r in inside):
                continue  # legal entities only: public, and published in full
            tried += 1
            recount = sum(1 for r in microdata if tuple(r[k] for k in keys) == codes)
            recovered += recount == len(inside)
    assert tried and recovered == 0


def test_a_failed_run_leaves_the_previous_release_online(world, client, monkeypatch):
    first, _ = publish.publish(now=FIRST)
    before = client.get("/datos/servicios.csv")
    served = b"".join(before.streaming_content)

    def broken(resource, path):
        raise OSError("disco lleno")

    monkeypatch.setitem(writers.WRITERS, "json", broken)
    with pytest.raises(OSError):
        publish.publish(now=SECOND)
    assert publish.current()[0] == first
    assert [p.name for p in publish.releases_dir().iterdir()] == [first.name]
    after = client.get("/datos/servicios.csv")
    assert b"".join(after.streaming_content) == served


def test_invalid_rows_are_refused_before_anything_is_switched(world, monkeypatch):
    first, _ = publish.publish(now=FIRST)
    original = publish.build.BUILDERS["programas"]

    def bad(context):
        return [row | {"codigo": None} for row in original(context)]

    monkeypatch.setitem(publish.build.BUILDERS, "programas", bad)
    with pytest.raises(PublicationError, match="programas, fila 1, campo «codigo»"):
        publish.publish(now=SECOND)
    assert publish.current()[0] == first


def test_old_releases_are_pruned(world, settings):
    settings.OPENDATA_RELEASES_KEPT = 2
    for day in range(1, 5):
        publish.publish(now=datetime(2026, 2, day, tzinfo=UTC))
    names = sorted(p.name for p in publish.releases_dir().iterdir())
    assert len(names) == 2 and publish.current()[0].name == names[-1]


def test_the_command_publishes_and_history_grows(world):
    out = io.StringIO()
    call_command("publish_opendata", stdout=out)
    call_command("publish_opendata", stdout=out)
    assert out.getvalue().count("en línea") == 2
    folder, manifest = publish.current()
    assert len(manifest["history"]) == 2
    assert "## Publicaciones" in (folder / "CAMBIOS.md").read_text()
    assert (
        "CC BY" in (folder / "LICENCIA.txt").read_text()
        or "Atribución" in (folder / "LICENCIA.txt").read_text()
    )


def test_every_format_holds_the_same_rows(world):
    import openpyxl

    folder, _ = publish.publish(now=FIRST)
    for name in ("servicios", "servicios_centro_categoria_mes", "catalogo"):
        rows = read_csv(folder, name)
        columns = catalog.BY_NAME[name].columns
        as_json = json.loads((folder / f"{name}.json").read_text())
        as_parquet = pq.read_table(folder / f"{name}.parquet").to_pylist()
        book = openpyxl.load_workbook(folder / f"{name}.xlsx", read_only=True)
        sheet = list(book.active.iter_rows(values_only=True))
        book.close()
        assert list(sheet[0]) == columns and len(sheet) - 1 == len(rows)
        assert len(as_json) == len(as_parquet) == len(rows)
        for row, j, p, cells in zip(rows, as_json, as_parquet, sheet[1:], strict=True):
            x = (*cells, *[None] * (len(columns) - len(cells)))  # trailing blanks are left out
            for index, column in enumerate(columns):
                texts = {writers.text(j[column]), writers.text(p[column]), row[column]}
                value = x[index]
                if isinstance(value, datetime):
                    value = value.date()
                texts.add(writers.text(value))
                normalized = {t.rstrip("0").rstrip(".") if "." in t else t for t in texts}
                assert len(normalized) == 1, (name, column, texts)
