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

from citesmart.analytics import disclosure
from citesmart.analytics.queries import Filters, figures
from citesmart.opendata import catalog, publish, writers
from citesmart.opendata.publish import PublicationError

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


def test_totals_equal_the_analytics_interface(world):
    folder, manifest = publish.publish(now=FIRST)
    totals = figures().totals
    rows = read_csv(folder, "servicios")
    assert len(rows) == totals["services"] == manifest["resources"]["servicios"]["rows"]
    assert len({r["id_informe"] for r in rows}) == totals["reports"]
    assert len({r["id_unidad_productiva"] for r in rows}) == totals["units"]
    assert sum(Decimal(r["monto_soles"]) for r in rows) == totals["amount"]
    # Every published cell of the monthly table is the analytics answer for that cell.
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
            assert cell["servicios"] == ""
        else:
            assert int(cell["servicios"]) == answer["services"]
            assert int(cell["unidades_productivas"]) == answer["units"]
    shown = [c for c in cells if c["reservado"] == "false"]
    assert sum(int(c["servicios"]) for c in shown) <= totals["services"]


def test_small_cells_are_coarsened_or_suppressed(world, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 5
    folder, _ = publish.publish(now=FIRST)
    rows = read_csv(folder, "servicios")
    companies = [r for r in rows if r["persona_juridica"] == "true"]
    assert companies and all(r["nivel_ubicacion"] == "distrito" for r in companies)
    assert all(r["distrito_codigo"] == "230101" for r in companies)
    assert not any(r["distrito_codigo"] == "230110" for r in rows)  # the lonely person's
    lonely = [
        r for r in rows if r["provincia_codigo"] == "2301" and r["persona_juridica"] == "false"
    ]
    assert lonely and all(r["nivel_ubicacion"] == "provincia" for r in lonely)
    assert all(r["distrito_codigo"] == "" and r["distrito"] == "" for r in lonely)
    # Flagged cells of the tables are published empty and marked.
    cells = read_csv(folder, "servicios_centro_categoria_mes")
    reserved = [c for c in cells if c["reservado"] == "true"]
    assert reserved and all(c["servicios"] == c["monto_soles"] == "" for c in reserved)
    year, month = map(int, reserved[0]["mes"].split("-"))
    answer = figures(Filters(years=[year], months=[month]), by=["center", "category"])
    assert disclosure.suppressed_rows(disclosure.protect(answer)) >= 1


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
