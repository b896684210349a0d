"""The institutional tables a loader reads: ITP's columns, how each cell is read, and which rows
of which model one line of the sheet becomes.

A line becomes `Record`s (part, key, values); a load replaces, for each *scope* it names
(center and year; center and CUI for projects), every row of the table's models.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from citesmart.historic import models as m
from citesmart.historic.lookups import CategoryIndex, CenterIndex, client_type
from citesmart.historic.models import TableKind
from citesmart.lib.months import month_aliases
from citesmart.lib.spreadsheets import CellValue
from citesmart.lib.text import fold_key
from citesmart.lib.values import clean_text, is_blank, parse_amount, parse_date, parse_int

FIRST_YEAR = 1990
TOTAL_WORDS = ("total", "totales", "totalgeneral", "sumatotal")

Scope = tuple[int, Any]  # (center id, year or CUI)


class Lookups:
    """What the parsers look names up in, loaded once per file and only when needed."""

    @cached_property
    def centers(self) -> CenterIndex:
        return CenterIndex()

    @cached_property
    def categories(self) -> CategoryIndex:
        return CategoryIndex()


Parser = Callable[[CellValue, Lookups], Any]


@dataclass(frozen=True)
class Column:
    name: str  # as in ITP's table
    parse: Parser
    example: CellValue = None
    aliases: tuple[str, ...] = ()
    required: bool = True  # the header must be in the file
    summed: bool = False  # a totals row adds it up

    @property
    def keys(self) -> set[str]:
        return {fold_key(self.name), *self.aliases}


@dataclass(frozen=True)
class Part:
    """One model a table writes: the fields naming a row, the fields it holds."""

    model: type[models.Model]
    key_fields: tuple[str, ...]
    value_fields: tuple[str, ...]
    scope_filter: Callable[[Scope], dict]
    resolve: Callable[[tuple], tuple] | None = None  # file key -> key_fields values
    shared: bool = False  # several lines may repeat the same row (a project's aspects)


@dataclass(frozen=True)
class Record:
    part: int
    key: tuple
    values: dict[str, Any]


@dataclass(frozen=True)
class TableSpec:
    kind: str
    itp: str
    columns: tuple[Column, ...]
    parts: tuple[Part, ...]
    records: Callable[[dict[str, Any]], list[Record]]
    scope: Callable[[dict[str, Any]], Scope]
    # Rules across cells of a line: (column name, Spanish reason) for each problem.
    check: Callable[[dict[str, Any]], list[tuple[str, str]]] = lambda data: []

    @property
    def label(self) -> str:
        return str(TableKind(self.kind).label)

    @property
    def headers(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def example(self) -> list[CellValue]:
        return [column.example for column in self.columns]


# --- cell parsers -----------------------------------------------------------------------


def _required(value: CellValue) -> str:
    if is_blank(value):
        raise ValueError(_("este dato es obligatorio"))
    return clean_text(value)


def center(value: CellValue, lookups: Lookups) -> m.Center:
    return lookups.centers.find(_required(value))


def year(value: CellValue, lookups: Lookups) -> int:
    text = _required(value)
    number = parse_int(value)
    last = datetime.date.today().year
    if number is None or not FIRST_YEAR <= number <= last:
        raise ValueError(
            _("«%(text)s» no es un año válido; escriba un año entre %(first)s y %(last)s")
            % {"text": text, "first": FIRST_YEAR, "last": last}
        )
    return number


def count(value: CellValue, lookups: Lookups) -> int | None:
    return parse_int(value)


def required_count(value: CellValue, lookups: Lookups) -> int:
    _required(value)
    return parse_int(value) or 0


def zero_if_blank(value: CellValue, lookups: Lookups) -> int:
    return parse_int(value) or 0


def amount(value: CellValue, lookups: Lookups) -> Decimal | None:
    return parse_amount(value)


def required_amount(value: CellValue, lookups: Lookups) -> Decimal:
    _required(value)
    return parse_amount(value) or Decimal("0.00")


def label(value: CellValue, lookups: Lookups) -> tuple[str, str]:
    """A free-text dimension: (label as written, folded key)."""
    text = _required(value)
    if len(text) > 150:
        raise ValueError(_("el texto es demasiado largo (más de 150 caracteres)"))
    return text, fold_key(text)


def optional_label(value: CellValue, lookups: Lookups) -> tuple[str, str] | None:
    return None if is_blank(value) else label(value, lookups)


def text(value: CellValue, lookups: Lookups) -> str:
    result = _required(value)
    if len(result) > 300:
        raise ValueError(_("el texto es demasiado largo (más de 300 caracteres)"))
    return result


def optional_text(value: CellValue, lookups: Lookups) -> str:
    return "" if is_blank(value) else text(value, lookups)


def date(value: CellValue, lookups: Lookups) -> datetime.date | None:
    return None if is_blank(value) else parse_date(value)


def ignored(value: CellValue, lookups: Lookups) -> None:
    return None


def category(value: CellValue, lookups: Lookups) -> m.ServiceCategory:
    return lookups.categories.find(_required(value))


def client(value: CellValue, lookups: Lookups) -> str:
    return client_type(_required(value))


def ciiu(value: CellValue, lookups: Lookups) -> str:
    """A CIIU rev. 4 class: four digits ("0111"; Excel drops the zero of 111; "C1520")."""
    raw = _required(value).replace(" ", "").upper()
    digits = raw[1:] if raw[:1].isalpha() else raw
    if not digits.isdigit() or not 3 <= len(digits) <= 4:
        raise ValueError(
            _("«%(text)s» no es una clase CIIU rev. 4; escriba sus cuatro dígitos, p. ej. 1520")
            % {"text": raw}
        )
    return digits.zfill(4)


def cui(value: CellValue, lookups: Lookups) -> str:
    raw = _required(value).replace(" ", "")
    if not raw.isdigit() or not 4 <= len(raw) <= 10:
        raise ValueError(
            _("«%(text)s» no es un CUI; escriba el código único de inversión (solo dígitos)")
            % {"text": raw}
        )
    return raw


# --- columns ----------------------------------------------------------------------------


def month_keys(month: int) -> set[str]:
    """Header keys of a month column: mes_01, mes_1, "01" under a merged "mes", enero…"""
    tokens = {f"{month:02d}", str(month), *month_aliases(month)}
    return {f"{prefix}{token}" for prefix in ("mes", "meses", "") for token in tokens}


def months(parse: Parser, example: Callable[[int], CellValue]) -> tuple[Column, ...]:
    return tuple(
        Column(
            f"mes_{n:02d}",
            parse,
            example=example(n),
            aliases=tuple(month_keys(n)),
            summed=True,
        )
        for n in range(1, 13)
    )


def month_values(data: dict[str, Any]) -> Iterator[tuple[int, Any]]:
    for n in range(1, 13):
        value = data.get(f"mes_{n:02d}")
        if value is not None:
            yield n, value


CITE = Column("cite", center, "CITEagroindustrial Moquegua", ("centro", "nombrecite"))
YEAR = Column("anio", year, 2018, ("ano", "periodo"))
DATE = Column("fecha", ignored, "01/10/2020", required=False)
SEASON_EXAMPLE = (40, 45, 60, 70, 75, 80, 78, 65, 60, 72, 70, 35)


def by_year(data: dict[str, Any]) -> Scope:
    return data["cite"].pk, data["anio"]


def year_scope(scope: Scope) -> dict:
    return {"center_id": scope[0], "year": scope[1]}
