"""Month names as Peru writes them (es-PE: "setiembre", not "septiembre").

The one spelling for every page, message and file; `month_aliases` also accepts what a
person may type in a spreadsheet header (both spellings, three-letter abbreviations).
"""

MONTH_NAMES: tuple[str, ...] = (
    *("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"),
    *("setiembre", "octubre", "noviembre", "diciembre"),
)
_OTHER_SPELLINGS = {9: ("septiembre", "sep")}


def month_name(month: int) -> str:
    """ "setiembre" for 9."""
    return MONTH_NAMES[month - 1]


def month_label(year: int, month: int) -> str:
    """ "setiembre de 2025"."""
    return f"{month_name(month)} de {year}"


def month_aliases(month: int) -> set[str]:
    """Names a person may write for the month: its name, its first three letters and, for
    September, the other Spanish spelling."""
    name = month_name(month)
    return {name, name[:3], *_OTHER_SPELLINGS.get(month, ())}
