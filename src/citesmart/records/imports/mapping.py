"""Column mappings remembered per center: a header a center's files use that the template
does not know ("Cod. Serv."), and the template column it stands for ("codigo_informe")."""

from collections.abc import Iterable, Mapping

from citesmart.lib.spreadsheets import header_key
from citesmart.network.models import Center
from citesmart.records.models import ImportColumnMapping
from citesmart.records.template import COLUMNS, column_key

COLUMN_NAMES = frozenset(column.name for column in COLUMNS)


def center_mappings(center: Center) -> dict[str, str]:
    """{column_key(header): template column} of the center."""
    rows = ImportColumnMapping.objects.filter(center=center).values_list("header_key", "column")
    return {key: column for key, column in rows if column in COLUMN_NAMES}


def expected_headers(mappings: Mapping[str, str], headers: Iterable[str] = ()) -> set[str]:
    """header_key()s that mark the header row: the template's names and aliases, and the
    headers this center mapped (given as written)."""
    keys = {header_key(column.name) for column in COLUMNS}
    keys |= {header_key(alias) for column in COLUMNS for alias in column.aliases}
    return keys | {header_key(header) for header in headers}


def remember(center: Center, user, choices: Mapping[str, str]) -> None:
    """Save {header as written: template column or "" (forget)} for the center."""
    for header, column in choices.items():
        key = column_key(header)
        if not key:
            continue
        if not column:
            ImportColumnMapping.objects.filter(center=center, header_key=key).delete()
            continue
        if column not in COLUMN_NAMES:
            raise ValueError(f"«{column}» no es una columna de la plantilla")
        ImportColumnMapping.objects.update_or_create(
            center=center,
            header_key=key,
            defaults={"header": header[:200], "column": column, "created_by": user},
        )


def mapped_headers(center: Center) -> list[str]:
    """The headers as written when they were mapped (they mark the header row too)."""
    return list(ImportColumnMapping.objects.filter(center=center).values_list("header", flat=True))
