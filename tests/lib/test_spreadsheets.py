"""Reading hostile and messy spreadsheets safely; writing exports without formula injection."""

import csv
import datetime
import io
import os
import re
import time
import zipfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from citesmart.lib.spreadsheets import (
    DEFAULT_LIMITS,
    BinarySource,
    Limits,
    SpreadsheetError,
    Table,
    column_letter,
    header_key,
    read_table,
    safe_cell,
    write_csv,
    write_xlsx,
)
from citesmart.lib.values import parse_amount, parse_date

MIB = 1024 * 1024


def read_all(source: Path | BinarySource, limits: Limits = DEFAULT_LIMITS) -> tuple[Table, list]:
    """Read a whole table, closing it."""
    with read_table(source, limits=limits) as table:
        return table, list(table.rows())


def make_xlsx(
    path: Path, rows: Sequence[Sequence[object]], *, at: dict[int, list[object]] | None = None
) -> Path:
    """Write rows from A1 (and optionally whole rows at given row numbers) with openpyxl."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Servicios"
    for row in rows:
        sheet.append(row)
    for number, values in (at or {}).items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=number, column=column, value=value)
    workbook.save(path)
    return path


def rewrite_zip(
    path: Path, transform: Callable[[str, bytes], bytes], extra: dict | None = None
) -> None:
    """Rewrite every entry of a zip through transform(name, data), optionally adding entries."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(name, transform(name, data))
        for name, data in (extra or {}).items():
            target.writestr(name, data)


def set_dimension(path: Path, ref: str) -> None:
    def patch(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet"):
            patched, count = re.subn(
                rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data
            )
            assert count == 1
            return patched
        return data

    rewrite_zip(path, patch)


# --- csv ------------------------------------------------------------------------------


def test_csv_in_cp1252_with_semicolons_and_accents(tmp_path: Path) -> None:
    path = tmp_path / "servicios.csv"
    text = (
        "Razón social;RUC;Fecha de inicio;Monto (S/)\r\n"
        "Asociación de Productores Ñandú;20131312955;05/03/2025;1.234,50\r\n"
        ";;;\r\n"
        'Cooperativa Agraria Piñón;20512333797;2025-03-06;"350,00"\r\n'
    )
    path.write_bytes(text.encode("cp1252"))

    table, rows = read_all(path)

    assert (table.format, table.encoding, table.delimiter) == ("csv", "cp1252", ";")
    assert table.headers == ["Razón social", "RUC", "Fecha de inicio", "Monto (S/)"]
    assert table.header_row == 1
    assert [number for number, _ in rows] == [2, 4]  # the empty row 3 is skipped
    assert rows[0][1] == [
        "Asociación de Productores Ñandú",
        "20131312955",
        "05/03/2025",
        "1.234,50",
    ]
    assert parse_amount(rows[1][1][3]) == Decimal("350.00")
    assert parse_date(rows[1][1][2]) == datetime.date(2025, 3, 6)
    assert [header_key(h) for h in table.headers][:3] == ["razonsocial", "ruc", "fechadeinicio"]


def test_utf8_bom_csv_with_quoted_commas_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    text = (
        "\n"
        "Nombre,Distrito,Observación\n"
        '"Pérez, Juan",Cusco,"primera línea\nsegunda línea"\n'
        "María,Puno,\n"
    )
    path.write_bytes(text.encode("utf-8-sig"))

    table, rows = read_all(path)

    assert (table.encoding, table.delimiter) == ("utf-8-sig", ",")
    assert table.header_row == 2
    assert table.headers == ["Nombre", "Distrito", "Observación"]  # no BOM in the first header
    # Excel shows a quoted multi-line cell in a single row: row numbers count records.
    assert rows == [
        (3, ["Pérez, Juan", "Cusco", "primera línea\nsegunda línea"]),
        (4, ["María", "Puno", None]),
    ]


def test_csv_rows_are_padded_and_truncated_to_the_headers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a;b;c\n1\n1;2;3;4;5\n", encoding="utf-8")
    _, rows = read_all(path)
    assert rows == [(2, ["1", None, None]), (3, ["1", "2", "3"])]


def test_tab_separated_and_excel_sep_line(tmp_path: Path) -> None:
    tabbed = tmp_path / "tab.csv"
    tabbed.write_text("RUC\tNombre, completo\n20131312955\tUna, empresa\n", encoding="utf-8")
    table, rows = read_all(tabbed)
    assert table.delimiter == "\t"
    assert rows == [(2, ["20131312955", "Una, empresa"])]

    for sep in ("|", "\t"):
        with_sep = tmp_path / "sep.csv"
        with_sep.write_text(
            f"sep={sep}\r\nRUC{sep}Nombre\r\n20131312955{sep}Una\r\n", encoding="utf-8"
        )
        table, rows = read_all(with_sep)
        assert table.delimiter == sep
        assert (table.header_row, table.headers) == (1, ["RUC", "Nombre"])  # Excel hides sep=
        assert rows == [(2, ["20131312955", "Una"])]


def test_delimiter_is_counted_outside_quotes(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('"a;b;c;d",x,y\n1,2,3\n', encoding="utf-8")
    table, rows = read_all(path)
    assert table.delimiter == ","
    assert table.headers == ["a;b;c;d", "x", "y"]
    assert rows == [(2, ["1", "2", "3"])]


def test_table_is_reiterable_and_reads_binary_streams(tmp_path: Path) -> None:
    stream = io.BytesIO(b"n;m\n1;2\n3;4\n")
    with read_table(stream, filename="subido.csv") as table:
        assert list(table.rows()) == list(table.rows()) == [(2, ["1", "2"]), (3, ["3", "4"])]
    assert not stream.closed  # the caller's stream is the caller's to close


class _NonSeekable:
    """A socket-like upload: only read(), in small chunks, once."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(min(size, 7) if size >= 0 else 7)


def test_non_seekable_streams_are_spooled_within_the_size_limit() -> None:
    _, rows = read_all(_NonSeekable(b"a,b\n1,2\n"))
    assert rows == [(2, ["1", "2"])]
    with pytest.raises(SpreadsheetError, match="pesa más de 1 KB y el máximo permitido es 1 KB"):
        read_table(_NonSeekable(b"a,b\n" * 1000), limits=Limits(max_bytes=1000))


def test_path_sources_are_closed_with_the_table(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    table = read_table(path)
    stream = table._closers[-1].__self__
    assert not stream.closed
    table.close()
    assert stream.closed


def test_csv_with_too_many_rows_stops_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("n\n" + "".join(f"{i}\n" for i in range(50)), encoding="utf-8")
    with read_table(path, limits=Limits(max_rows=10)) as table:
        rows = table.rows()
        assert [next(rows)[0] for _ in range(9)] == list(range(2, 11))
        with pytest.raises(SpreadsheetError, match="más de 10 filas"):
            next(rows)


def test_csv_with_too_many_columns(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(";".join(f"c{i}" for i in range(11)) + "\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="más de 10 columnas"):
        read_table(path, limits=Limits(max_columns=10))


def test_csv_with_unbalanced_quotes_reports_a_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b'a,b\n1,2\n"3,4\n' + b"x" * 200_000 + b"\n")
    with read_table(path) as table, pytest.raises(SpreadsheetError, match="cerca de la fila 3"):
        list(table.rows())


# --- xlsx -----------------------------------------------------------------------------


def test_xlsx_with_date_cells_text_dates_and_numbers(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "servicios.xlsx",
        [
            ["RUC", "Fecha de inicio", "Fecha de fin", "Monto", "Participantes"],
            [20131312955, datetime.date(2025, 3, 5), "06/03/2025", 1234.5, 12],
        ],
        at={4: ["20512333797", datetime.datetime(2025, 4, 1, 9, 0), "2025-04-02", "1.500,00", "7"]},
    )

    table, rows = read_all(path)

    assert (table.format, table.sheet, table.header_row) == ("xlsx", "Servicios", 1)
    assert table.headers == ["RUC", "Fecha de inicio", "Fecha de fin", "Monto", "Participantes"]
    assert [number for number, _ in rows] == [2, 4]
    first, second = rows[0][1], rows[1][1]
    assert first[0] == 20131312955
    assert isinstance(first[1], datetime.datetime)  # a real Excel date cell
    assert parse_date(first[1]) == datetime.date(2025, 3, 5)
    assert parse_date(first[2]) == datetime.date(2025, 3, 6)
    assert parse_amount(first[3]) == Decimal("1234.50")
    assert parse_date(second[1]) == datetime.date(2025, 4, 1)
    assert parse_date(second[2]) == datetime.date(2025, 4, 2)
    assert parse_amount(second[3]) == Decimal("1500.00")


def test_xlsx_header_after_blank_rows_and_padding(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", [], at={3: ["A", None, "C"], 5: ["x"], 6: [1, 2, 3, 4]})
    table, rows = read_all(path)
    assert table.header_row == 3
    assert table.headers == ["A", "", "C"]
    assert rows == [(5, ["x", None, None]), (6, [1, 2, 3])]


def test_formulas_are_never_evaluated(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "f.xlsx",
        [["Total", "Enlace", "Nombre"], ["=1+1", '=HYPERLINK("http://x","y")', "Ana"]],
    )
    _, rows = read_all(path)
    # openpyxl stores no cached value for formulas, and we only ever read cached values:
    # neither 2 nor the formula text comes back.
    assert rows == [(2, [None, None, "Ana"])]


def test_formula_cached_values_are_read(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "cached.xlsx", [["Total"], ["=1+1"]])

    def add_cached_value(name: str, data: bytes) -> bytes:
        return data.replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>99</v>").replace(
            b"<f>1+1</f><v />", b"<f>1+1</f><v>99</v>"
        )

    rewrite_zip(path, add_cached_value)
    _, rows = read_all(path)
    assert rows == [(2, [99])]  # the stale cached value, proving nothing was computed


def test_first_visible_sheet_is_read(tmp_path: Path) -> None:
    workbook = Workbook()
    hidden = workbook.active
    hidden.title = "Listas"
    hidden.append(["oculto"])
    hidden.sheet_state = "hidden"
    visible = workbook.create_sheet("Datos")
    visible.append(["RUC"])
    visible.append(["20131312955"])
    path = tmp_path / "sheets.xlsx"
    workbook.save(path)
    table, rows = read_all(path)
    assert table.sheet == "Datos"
    assert rows == [(2, ["20131312955"])]


def test_huge_declared_dimension_is_refused_before_reading(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "billion.xlsx", [["a", "b"], [1, 2]])
    set_dimension(path, "A1:XFD1048576")
    started = time.monotonic()
    with pytest.raises(SpreadsheetError, match="1 048 576 filas"):
        read_table(path)
    assert time.monotonic() - started < 2


def test_too_many_declared_columns_are_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "wide.xlsx", [["a", "b"], [1, 2]])
    set_dimension(path, "A1:ZZ2")
    with pytest.raises(SpreadsheetError, match="702 columnas"):
        read_table(path)


def test_a_lying_dimension_neither_truncates_nor_bypasses_limits(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "liar.xlsx", [["n", "m", "o"], *[[i, i, i] for i in range(30)]])
    set_dimension(path, "A1:A1")

    _, rows = read_all(path)
    assert len(rows) == 30 and rows[-1] == (31, [29, 29, 29])

    with (
        read_table(path, limits=Limits(max_rows=10)) as table,
        pytest.raises(SpreadsheetError, match="más de 10 filas"),
    ):
        list(table.rows())


def test_far_away_cell_does_not_explode(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "far.xlsx", [["a"], [1]], at={1_000_000: ["lejos"]})
    set_dimension(path, "A1:A2")
    with read_table(path) as table, pytest.raises(SpreadsheetError, match="más de 200 000 filas"):
        list(table.rows())


def test_zip_bomb_is_refused_by_compression_ratio(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "bomb.xlsx", [["a"], [1]])
    zeros = bytes(MIB)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/zeros.bin", "w") as entry,
    ):
        for _ in range(30):
            entry.write(zeros)
    with pytest.raises(SpreadsheetError, match="desproporcionado"):
        read_table(path)


def test_zip_bomb_is_refused_by_total_size(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "large.xlsx", [["a"], [1]])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/noise.bin", os.urandom(2 * MIB))  # incompressible
    read_all(path)  # fine with the default limits
    with pytest.raises(SpreadsheetError, match="desproporcionado"):
        read_table(path, limits=Limits(max_uncompressed_bytes=1 * MIB))


def test_xml_with_doctype_is_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "dtd.xlsx", [["a"], [1]])
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'

    def add_dtd(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet"):
            return laughs + (data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data)
        return data

    rewrite_zip(path, add_dtd)
    with pytest.raises(SpreadsheetError, match="no se procesará por seguridad"):
        read_table(path)


def test_encrypted_zip_entries_are_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "locked.xlsx", [["a"], [1]])
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1  # general purpose flag: encrypted
    path.write_bytes(bytes(data))
    with pytest.raises(SpreadsheetError, match="protegido con contraseña"):
        read_table(path)


def test_corrupt_and_foreign_zips(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    with pytest.raises(SpreadsheetError, match="dañado"):
        read_table(broken)

    other = tmp_path / "fotos.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("leeme.txt", "hola")
    with pytest.raises(SpreadsheetError, match="no contiene un libro de Excel"):
        read_table(other)

    ods = tmp_path / "calc.xlsx"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(SpreadsheetError, match=r"\.ods"):
        read_table(ods)


def test_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "cut.xlsx", [["a"], [1]])
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(SpreadsheetError, match="dañado"):
        read_table(path)


# --- not spreadsheets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "está vacío"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), r"antiguo de Excel \(\.xls\)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "es un PDF"),
        ("RUC;Nombre\n".encode("utf-16"), "Texto Unicode"),
        (b"\x01\x02" + os.urandom(8192), "no es una hoja de cálculo .xlsx ni un .csv legible"),
        (bytes(range(1, 32)) * 100, "no es una hoja de cálculo .xlsx ni un .csv legible"),
        (
            b"a;b\n\x81\x8d\x8f\x90\x9d\xff\xfe\n",
            "no es una hoja de cálculo .xlsx ni un .csv legible",
        ),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "página web"),
        (b'<?xml version="1.0"?><Workbook/>', "documento XML"),
        (b"\n\n  \n;;;\n", "no tiene datos"),
    ],
)
def test_files_that_are_not_tables(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "subido.xlsx"
    path.write_bytes(content)
    with pytest.raises(SpreadsheetError, match=reason) as error:
        read_table(path)
    assert "«subido.xlsx»" in error.value.message


def test_file_larger_than_the_limit_is_refused_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"a\n" * 1000)
    with pytest.raises(SpreadsheetError, match="pesa 2 KB y el máximo permitido es 1 KB"):
        read_table(path, limits=Limits(max_bytes=1000))
    with pytest.raises(SpreadsheetError, match="pesa 25 MB y el máximo permitido es 20 MB"):
        read_table(io.BytesIO(bytes(25 * MIB)))


def test_error_message_for_unreadable_files_is_spanish_and_actionable() -> None:
    with pytest.raises(SpreadsheetError) as error:
        read_table(io.BytesIO(bytes(100)))
    assert error.value.message == (
        "El archivo no es una hoja de cálculo .xlsx ni un .csv legible. Guárdelo desde Excel "
        "como «Libro de Excel (.xlsx)» o «CSV UTF-8» e inténtelo de nuevo."
    )


# --- writing --------------------------------------------------------------------------

DANGEROUS = ["=1+1", "+51 999", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("value", DANGEROUS)
def test_safe_cell_neutralises_formulas(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Lima", "", " =1", "a=b", 5, -5, 1.5, None, datetime.date(2025, 1, 1)]
)
def test_safe_cell_leaves_other_values(value: object) -> None:
    assert safe_cell(value) == value


@given(st.text())
def test_safe_cell_output_never_starts_a_formula(value: str) -> None:
    result = safe_cell(value)
    assert isinstance(result, str)
    assert not result.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert result.removeprefix("'") == value or result == value


def test_write_csv_neutralises_formulas_and_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = [[value, -5, Decimal("12.50"), datetime.date(2025, 3, 5), None] for value in DANGEROUS]
    write_csv(path, ["=cabecera", "n", "monto", "fecha", "vacío"], rows)

    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == ["'=cabecera", "n", "monto", "fecha", "vacío"]
    assert [row[0] for row in written[1:]] == ["'" + value for value in DANGEROUS]
    assert written[1][1:] == ["-5", "12.50", "05/03/2025", ""]


def test_write_csv_to_binary_and_text_streams() -> None:
    binary = io.BytesIO()
    write_csv(binary, ["a", "b"], [["x;y", "@x"]], bom=False, delimiter=";")
    assert binary.getvalue() == b'a;b\r\n"x;y";\'@x\r\n'

    text = io.StringIO()
    write_csv(text, ["ñ"], [["á"]])
    assert text.getvalue() == "\ufeffñ\r\ná\r\n"


def test_written_csv_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "rt.csv"
    write_csv(path, ["Razón social", "RUC"], [["Piñón, S.A.C.", "20131312955"]], delimiter=";")
    table, rows = read_all(path)
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ";")
    assert table.headers == ["Razón social", "RUC"]
    assert rows == [(2, ["Piñón, S.A.C.", "20131312955"])]


def test_write_xlsx_neutralises_formulas_and_keeps_types(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    when = datetime.datetime(2025, 3, 5, 9, 30, tzinfo=datetime.UTC)
    write_xlsx(
        path,
        {
            "Servicios": (
                ["=cabecera", "n", "monto", "fecha", "hora"],
                [
                    [value, -5, Decimal("12.50"), datetime.date(2025, 3, 5), when]
                    for value in DANGEROUS
                ],
            ),
            "Notas: [2025]/borrador?": (["texto"], [["con\x0bcontrol"]]),
        },
    )

    workbook = load_workbook(path)  # full mode: shows formulas as data_type "f" if any
    sheet = workbook["Servicios"]
    assert workbook.sheetnames == ["Servicios", "Notas   2025  borrador"]
    assert sheet["A1"].value == "'=cabecera"
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    for row, value in enumerate(DANGEROUS, start=2):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s"
        assert cell.value == "'" + value.replace("\r", "\n")  # XML normalises CR to LF
    assert sheet["B2"].value == -5
    assert sheet["C2"].value == 12.5
    assert sheet["D2"].value == datetime.datetime(2025, 3, 5)
    assert sheet["D2"].number_format == "dd/mm/yyyy"
    assert sheet["E2"].value == datetime.datetime(2025, 3, 5, 9, 30)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert workbook["Notas   2025  borrador"]["A2"].value == "concontrol"


def test_write_xlsx_to_a_stream_reads_back() -> None:
    stream = io.BytesIO()
    write_xlsx(stream, {"Datos": (["RUC", "Monto"], [["20131312955", 10.5]])})
    stream.seek(0)
    table, rows = read_all(stream)
    assert table.headers == ["RUC", "Monto"]
    assert rows == [(2, ["20131312955", 10.5])]


def test_write_xlsx_needs_a_sheet(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="al menos una hoja"):
        write_xlsx(tmp_path / "x.xlsx", {})


def test_column_letter() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]


# --- header detection with expected columns (lib/headers.py) ---------------------------------

EXPECTED = {"cite", "anio", "subcategoria", *(f"mes{n:02d}" for n in range(1, 13))}


def test_title_rows_and_a_two_row_merged_header_in_xlsx(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "CUADRO 3: SERVICIOS BRINDADOS"
    sheet.merge_cells("A1:O1")
    sheet["A2"] = "Fuente: ITP"
    for column, name in enumerate(["cite", "anio", "subcategoria"], start=1):
        sheet.cell(4, column, name)
        sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    sheet.cell(4, 4, "Mes")
    sheet.merge_cells(start_row=4, start_column=4, end_row=4, end_column=15)
    for month in range(1, 13):
        sheet.cell(5, 3 + month, f"{month:02d}")
    sheet.append(["CITEmadera", 2017, "Capacitación", "1,234"])
    book.save(tmp_path / "t.xlsx")
    with read_table(tmp_path / "t.xlsx", expect=EXPECTED) as table:
        assert table.header_row == 5
        assert table.headers[:5] == ["cite", "anio", "subcategoria", "Mes_01", "Mes_02"]
        assert table.headers[-1] == "Mes_12"
        assert next(iter(table.rows()))[1][:4] == ["CITEmadera", 2017, "Capacitación", "1,234"]
    # Without expected columns the first non-empty row is still the header.
    with read_table(tmp_path / "t.xlsx") as table:
        assert (table.header_row, table.headers) == (1, ["CUADRO 3: SERVICIOS BRINDADOS"])


def test_title_rows_above_a_csv_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "TABLA 03;;\nActualizado al 01/10/2020;;\n;;\ncite;anio;subcategoria\nX;2017;Y\n",
        encoding="utf-8",
    )
    with read_table(path, expect=EXPECTED) as table:
        assert (table.header_row, table.headers) == (4, ["cite", "anio", "subcategoria"])
        assert list(table.rows()) == [(5, ["X", "2017", "Y"])]


def test_no_row_naming_the_expected_columns_falls_back_to_the_first(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with read_table(path, expect=EXPECTED) as table:
        assert (table.header_row, table.headers) == (1, ["a", "b"])
