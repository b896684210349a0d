"""A streaming XLSX writer for large tables (the microdata has hundreds of thousands of rows).

openpyxl's write-only mode builds a cell object per value: about 4 minutes for the demo's
microdata on one core. The format needed for a plain table is small (SpreadsheetML with
inline strings), so rows are streamed straight into the zip member here, ~20x faster. The
result is read back with openpyxl in the tests.
"""

import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from citesmart.lib.spreadsheets import safe_cell

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""  # noqa: E501

_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""  # noqa: E501

_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""

_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""  # noqa: E501

# Style 0: default; style 1: built-in date format 14 (shown in the user's locale); 2: bold.
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""  # noqa: E501

_EPOCH = date(1899, 12, 30)
_ILLEGAL = {c: None for c in range(32) if c not in (9, 10, 13)}
MAX_ROWS = 1_048_576


def _letters(count: int) -> list[str]:
    found = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        found.append(name)
    return found


def _cell(ref: str, value: Any, style: int = 0) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EPOCH).days}</v></c>'
    text = escape(str(safe_cell(value)).translate(_ILLEGAL))
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{styled}><is><t xml:space="preserve">{text}</t></is></c>'


def write(path: Path, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One sheet: a bold header row, then `rows` (values: str, int, Decimal, bool, date, None)."""
    with SheetWriter(path, sheet, header) as book:
        book.add(rows)


class SheetWriter:
    """The same sheet written in several calls to `add`, so rows can arrive in batches
    (the open-data microdata is streamed and written in every format in one pass)."""

    def __init__(self, path: Path, sheet: str, header: Sequence[str]) -> None:
        self._letters = _letters(len(header))
        self._number = 1
        self._book = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        book = self._book
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet[:31])))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        self._member = book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._member.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            b'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
        )
        letters = self._letters
        cells = "".join(_cell(f"{c}1", v, 2) for c, v in zip(letters, header, strict=True))
        self._member.write(f'<row r="1">{cells}</row>'.encode())

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        letters = self._letters
        buffer: list[str] = []
        for row in rows:
            self._number += 1
            number = self._number
            if number > MAX_ROWS:
                raise ValueError(f"Más de {MAX_ROWS} filas: no caben en una hoja de Excel.")
            cells = "".join(_cell(f"{c}{number}", v) for c, v in zip(letters, row, strict=True))
            buffer.append(f'<row r="{number}">{cells}</row>')
            if len(buffer) >= 5000:
                self._member.write("".join(buffer).encode())
                buffer.clear()
        self._member.write("".join(buffer).encode())

    def close(self) -> None:
        self._member.write(b"</sheetData></worksheet>")
        self._member.close()
        self._book.close()

    def __enter__(self) -> "SheetWriter":
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self.close()
        else:  # leave no half-written file open; the caller discards the folder
            self._member.close()
            self._book.close()
