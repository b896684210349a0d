"""Finding the header of a real-world sheet: title rows above it, merged cells, two-row headers.

Institutional spreadsheets rarely start with their header: a title and a date come first, a
group header ("mes") is merged over several columns and the column names ("01" … "12") sit in
the row below it, while the other headers are merged down over both rows. openpyxl gives a
merged cell's value only in its top-left cell, so a merge reads as the value followed by
empty cells. Given the header keys the caller expects, `locate_header` picks the row (or
pair of rows) that names most of them. Pure functions over rows of cell texts; no Django.
"""

from collections.abc import Callable, Collection, Sequence

SCAN_ROWS = 30  # header candidates: the first non-empty rows of the sheet


def combine(top: Sequence[str], bottom: Sequence[str]) -> list[str]:
    """Headers of a two-row header: "mes" merged over "01", "02" -> "mes_01", "mes_02".

    A label merged across columns (empty cells to its right in the top row) is carried over
    every column of the bottom row under it; a label merged down over both rows (empty below
    it) stays as it is.
    """
    width = max(len(top), len(bottom))
    out: list[str] = []
    parent = ""
    for index in range(width):
        upper = top[index] if index < len(top) else ""
        lower = bottom[index] if index < len(bottom) else ""
        parent = upper or parent
        if lower:
            out.append(f"{parent}_{lower}" if parent else lower)
        else:
            out.append(upper)
    while out and not out[-1]:
        out.pop()
    return out


def locate_header(
    rows: Sequence[tuple[int, list[str]]],
    expect: Collection[str],
    key: Callable[[str], str],
) -> tuple[int, list[str]] | None:
    """(number of the last header row, headers) of the best header among `rows`, or None.

    `rows` are the first non-empty rows (number, cell texts); a candidate is one row, or a
    row and the next when together they name more expected keys (a two-row header). The
    candidate naming most expected keys wins, the first one on ties; None when no row names
    at least two of them (or the only one expected).
    """
    wanted = set(expect)
    best: tuple[int, int, list[str]] | None = None  # (score, last row number, headers)
    for position, (number, texts) in enumerate(rows):
        candidates = [(number, texts)]
        if position + 1 < len(rows):
            below_number, below = rows[position + 1]
            candidates.append((below_number, combine(texts, below)))
        for last, headers in candidates:
            score = len(wanted & {key(header) for header in headers if header})
            if best is None or score > best[0]:
                best = (score, last, headers)
    if best is None or best[0] < min(2, len(wanted)):
        return None
    return best[1], best[2]
