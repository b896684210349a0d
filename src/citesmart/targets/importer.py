"""Loading targets from a spreadsheet, with the records importer's conventions.

Spanish headers matched regardless of accents and case; every problem reported as
"fila N, columna X: motivo"; all or nothing: one bad row and no target is written.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from citesmart.lib.spreadsheets import (
    CellValue,
    SpreadsheetError,
    column_letter,
    header_key,
    read_table,
    write_xlsx,
)
from citesmart.lib.text import fold
from citesmart.lib.values import clean_text, is_blank, parse_amount, parse_int
from citesmart.network.models import Center, Chain, ServiceCategory
from citesmart.network.queries import find_center
from citesmart.records.imports import RowError
from citesmart.targets.actions import can_set_targets, set_target
from citesmart.targets.models import Indicator, Phasing

# name -> (header in the template, required, help)
COLUMNS = {
    "centro": ("Centro", False, "Código o nombre del centro; vacío o «Nacional» para la red"),
    "anio": ("Año", True, "Año de la meta, p. ej. 2026"),
    "indicador": ("Indicador", True, "servicios, unidades, unidades nuevas o monto"),
    "meta": ("Meta", True, "Valor anual; entero salvo el monto en soles"),
    "distribucion": ("Distribución", False, "estacional (por defecto) o uniforme"),
    "categoria": ("Categoría", False, "Opcional: categoría de servicio (código o nombre)"),
    "cadena": ("Cadena", False, "Opcional: cadena productiva (código o nombre)"),
    "motivo": ("Motivo", False, "Obligatorio si revisa una meta ya registrada"),
}
_ALIASES = {"ano": "anio", "year": "anio", "valor": "meta", "metaanual": "meta"}
INDICATOR_WORDS = {
    "servicios": Indicator.SERVICES,
    "serviciosbrindados": Indicator.SERVICES,
    "unidades": Indicator.UNITS,
    "unidadesproductivas": Indicator.UNITS,
    "unidadesproductivasatendidas": Indicator.UNITS,
    "unidadesnuevas": Indicator.NEW_UNITS,
    "unidadesproductivasnuevas": Indicator.NEW_UNITS,
    "monto": Indicator.AMOUNT,
    "montocobrado": Indicator.AMOUNT,
    **{header_key(i.value): i.value for i in Indicator},
}
PHASING_WORDS = {header_key(p.value): p.value for p in Phasing} | {"par": Phasing.EVEN}
NATIONAL_WORDS = {"", "nacional", "red", "redcite", "redcitenacional"}


@dataclass
class TargetImport:
    filename: str
    rows: int = 0
    written: int = 0
    unchanged: int = 0
    fatal: str = ""
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.fatal and not self.errors

    def summary(self) -> str:
        if self.fatal:
            return self.fatal
        if self.errors:
            return (
                f"No se registró ninguna meta: {len(self.errors)} error(es) en «{self.filename}». "
                "Corrija las filas indicadas y vuelva a cargar el archivo completo."
            )
        return (
            f"Se registraron {self.written} meta(s) o revisiones; {self.unchanged} sin cambios "
            f"({self.rows} filas)."
        )


def import_targets(user, source: str | IO[bytes], *, filename: str | None = None) -> TargetImport:
    if not can_set_targets(user):
        raise PermissionDenied("Solo la administración nacional (ITP) carga metas.")
    name = filename or (source if isinstance(source, str) else "archivo")
    result = TargetImport(filename=str(name).rsplit("/", 1)[-1])
    try:
        parsed = _read(source, result)
    except SpreadsheetError as error:
        result.fatal = error.message
        return result
    if result.fatal or result.errors:
        return result
    try:
        with transaction.atomic():
            for number, letters, data in parsed:
                _write(user, number, letters, data, result)
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.written = result.unchanged = 0
    return result


class _Rollback(Exception):
    pass


def _read(source, result: TargetImport) -> list[tuple[int, dict[str, str], dict[str, Any]]]:
    out = []
    with read_table(source, filename=result.filename) as table:
        index: dict[str, int] = {}
        for position, header in enumerate(table.headers):
            key = header_key(header or "")
            key = _ALIASES.get(key, key)
            if key in COLUMNS:
                index[key] = position
        missing = [COLUMNS[n][0] for n, spec in COLUMNS.items() if spec[1] and n not in index]
        if missing:
            result.fatal = (
                f"Faltan columnas obligatorias en «{result.filename}»: {', '.join(missing)}. "
                "Use la plantilla de metas; los encabezados deben estar en la primera fila."
            )
            return []
        letters = {name: column_letter(position) for name, position in index.items()}
        for number, values in table.rows():
            result.rows += 1
            cells = {name: values[position] for name, position in index.items()}
            data = _parse(number, cells, letters, result)
            if data is not None:
                out.append((number, letters, data))
    if not result.rows:
        result.fatal = f"El archivo «{result.filename}» no tiene filas debajo de los encabezados."
    return out


def _parse(number: int, cells: dict[str, CellValue], letters, result) -> dict | None:
    data: dict[str, Any] = {}
    before = len(result.errors)

    def fail(name: str, message: str) -> None:
        result.errors.append(RowError(number, f"{letters[name]} ({COLUMNS[name][0]})", message))

    for name, parse in _PARSERS.items():
        if name not in cells:
            continue
        try:
            data[name] = parse(cells[name])
        except ValueError as error:  # network.queries.UnknownCenter too
            fail(name, str(error))
    if len(result.errors) == before and data.get("categoria") and data.get("cadena"):
        fail("cadena", "indique una categoría o una cadena, no ambas")
    if (
        len(result.errors) == before
        and data.get("meta") is not None
        and data["indicador"] != Indicator.AMOUNT
        and data["meta"] != data["meta"].to_integral()
    ):
        fail("meta", "la meta de servicios o unidades debe ser un número entero")
    return data if len(result.errors) == before else None


def _required(parse):
    def wrapped(value: CellValue):
        if is_blank(value):
            raise ValueError("este dato es obligatorio")
        return parse(value)

    return wrapped


def _center(value: CellValue) -> Center | None:
    text = clean_text(value)
    return None if header_key(text) in NATIONAL_WORDS else find_center(text)


def _year(value: CellValue) -> int:
    year = parse_int(value)
    if year is None or not 2000 <= year <= 2100:
        raise ValueError(f"«{clean_text(value)}» no es un año válido (2000 a 2100)")
    return year


def _indicator(value: CellValue) -> str:
    found = INDICATOR_WORDS.get(header_key(clean_text(value)))
    if found is None:
        raise ValueError(
            f"indicador «{clean_text(value)}» desconocido; use servicios, unidades, "
            "unidades nuevas o monto"
        )
    return found


def _value(value: CellValue) -> Decimal:
    amount = parse_amount(value)
    if amount is None or amount <= 0:
        raise ValueError("la meta debe ser un número mayor que cero")
    return amount


def _phasing(value: CellValue) -> str:
    if is_blank(value):
        return Phasing.SEASONAL
    found = PHASING_WORDS.get(header_key(clean_text(value)))
    if found is None:
        raise ValueError(
            f"distribución «{clean_text(value)}» desconocida; use estacional o uniforme"
        )
    return found


def _vocabulary(model):
    def parse(value: CellValue):
        if is_blank(value):
            return None
        text = clean_text(value)
        found = model.objects.filter(code=text.lower()).first() or next(
            (o for o in model.objects.all() if fold(o.name) == fold(text)), None
        )
        if found is None:
            raise ValueError(f"«{text}» no es un código ni un nombre de {model._meta.verbose_name}")
        return found

    return parse


_PARSERS = {
    "centro": _center,
    "anio": _required(_year),
    "indicador": _required(_indicator),
    "meta": _required(_value),
    "distribucion": _phasing,
    "categoria": _vocabulary(ServiceCategory),
    "cadena": _vocabulary(Chain),
    "motivo": clean_text,
}


def _write(user, number: int, letters, data: dict, result: TargetImport) -> None:
    try:
        before = _current_number(data)
        version = set_target(
            user,
            center=data.get("centro"),
            year=data["anio"],
            indicator=data["indicador"],
            value=data["meta"],
            phasing=data.get("distribucion") or Phasing.SEASONAL,
            reason=data.get("motivo") or "",
            category=data.get("categoria"),
            chain=data.get("cadena"),
        )
    except ValidationError as error:
        for field_name, messages in error.message_dict.items():
            column = {"reason": "motivo", "value": "meta"}.get(field_name, "meta")
            label = f"{letters.get(column, '?')} ({COLUMNS[column][0]})"
            for message in messages:
                result.errors.append(RowError(number, label, message[:1].lower() + message[1:]))
        return
    if version.number == before:
        result.unchanged += 1
    else:
        result.written += 1


def _current_number(data: dict) -> int:
    from citesmart.targets.models import Target

    target = Target.objects.filter(
        key=Target.make_key(
            data["centro"].pk if data.get("centro") else None,
            data["anio"],
            data["indicador"],
            data["categoria"].pk if data.get("categoria") else None,
            data["cadena"].pk if data.get("cadena") else None,
        )
    ).first()
    current = target.current if target else None
    return current.number if current else 0


def write_template(target: IO[bytes]) -> None:
    """An .xlsx with the headers and one example row per kind of target."""
    headers = [spec[0] for spec in COLUMNS.values()]
    rows = [
        ["Nacional", 2026, "servicios", 90000, "estacional", "", "", ""],
        ["citecuero-y-calzado-trujillo", 2026, "unidades", 1200, "uniforme", "", "", ""],
    ]
    help_rows = [[spec[0], "Sí" if spec[1] else "No", spec[2]] for spec in COLUMNS.values()]
    write_xlsx(
        target,
        {
            "Metas": (headers, rows),
            "Instrucciones": (["Columna", "Obligatoria", "Qué poner"], help_rows),
        },
    )
