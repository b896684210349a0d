"""Parsers for spreadsheet cell values.

Each parser raises ValueError with a short Spanish reason in lower case ("el monto no
puede ser negativo"); the importer prefixes it with the row and column. Cells arrive as
openpyxl gives them (str, int, float, datetime, bool, None) or as CSV strings.
"""

import datetime
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MIN_YEAR, MAX_YEAR = 1900, 2100

_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 0 in the 1900 system (after the bug)
_EXCEL_BUG_SERIAL = 60  # Excel's fictitious 29/02/1900
_MAX_SERIAL = (datetime.date(MAX_YEAR, 12, 31) - _EXCEL_EPOCH).days
_CENTS = Decimal("0.01")

_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?\s?m\.?)?)?"
_DMY = re.compile(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d+)" + _TIME, re.IGNORECASE)
_YMD = re.compile(r"(\d{4})\s*-\s*(\d{1,2})\s*-\s*(\d{1,2})" + _TIME, re.IGNORECASE)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_CURRENCY = re.compile(r"^(?:S/\.?|PEN)", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_NUMBER_CHARS = re.compile(r"[0-9.,]+")


def is_blank(value: object) -> bool:
    """True for None and for strings that contain only white space."""
    return value is None or (isinstance(value, str) and not _INVISIBLE.sub("", value).strip())


def clean_text(value: object) -> str:
    """Text of a cell: stripped, inner white space collapsed, None -> "".

    Integral floats, which is how Excel stores codes typed as numbers, lose their ".0"
    (123.0 -> "123"); dates are rendered as dd/mm/aaaa.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VERDADERO" if value else "FALSO"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(_INVISIBLE.sub("", str(value)).split())


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:.15g}"  # Excel keeps 15 significant digits


def parse_date(value: object) -> datetime.date:
    """Read a date from a date/datetime cell, an Excel serial number or a text.

    Texts: dd/mm/aaaa, d/m/aaaa, dd-mm-aaaa, dd.mm.aaaa and aaaa-mm-dd, optionally
    followed by a time, which is ignored. Years must have four digits and lie in
    1900-2100. Excel serials use the 1900 date system.
    """
    if isinstance(value, datetime.datetime):
        return _check_year(value.date(), clean_text(value))
    if isinstance(value, datetime.date):
        return _check_year(value, clean_text(value))
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return _date_from_serial(value)
    if is_blank(value):
        raise ValueError("la fecha está vacía")
    if not isinstance(value, str):
        raise ValueError(f"«{clean_text(value)}» no es una fecha válida; use dd/mm/aaaa")
    return _date_from_text(" ".join(value.split()))


def _date_from_text(text: str) -> datetime.date:
    if match := _DMY.fullmatch(text):
        day, _, month, year = match.groups()
    elif match := _YMD.fullmatch(text):
        year, month, day = match.groups()
    else:
        raise ValueError(f"«{text}» no es una fecha válida; use dd/mm/aaaa")
    if len(year) != 4:
        raise ValueError(f"«{text}» no tiene el año con 4 dígitos; use dd/mm/aaaa")
    try:
        parsed = datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"«{text}» es una fecha inexistente") from None
    return _check_year(parsed, text)


def _check_year(value: datetime.date, shown: str) -> datetime.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"«{shown}» está fuera del rango admitido ({MIN_YEAR}–{MAX_YEAR})")
    return value


def _date_from_serial(value: float | Decimal) -> datetime.date:
    shown = clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"«{shown}» no es una fecha válida; use dd/mm/aaaa")
    serial = math.floor(value)  # the fraction is the time of day
    if isinstance(value, int) and MIN_YEAR <= value <= MAX_YEAR:
        # A bare year typed in a date column would otherwise become a date in 1905.
        raise ValueError(f"«{shown}» parece un año, no una fecha completa; use dd/mm/aaaa")
    if not 1 <= serial <= _MAX_SERIAL:
        raise ValueError(
            f"el número {shown} no corresponde a una fecha de Excel entre {MIN_YEAR} y {MAX_YEAR}"
        )
    if serial == _EXCEL_BUG_SERIAL:
        raise ValueError("29/02/1900 es una fecha inexistente")
    # Excel believes 1900 was a leap year: serials before the fake 29/02 are one day off.
    offset = serial + 1 if serial < _EXCEL_BUG_SERIAL else serial
    return _EXCEL_EPOCH + datetime.timedelta(days=offset)


def parse_amount(value: object) -> Decimal | None:
    """Read an amount in soles, rounded to cents; None for an empty cell.

    Accepts numbers and texts such as "1234,50", "1.234,50", "1,234.50", "S/ 1 200,00"
    or "S/. 350". A single separator followed by exactly three digits ("1.234", "1,234")
    is read as a thousands separator.
    """
    number = _parse_number(value, noun="un monto")
    if number is None:
        return None
    if number < 0:
        raise ValueError("el monto no puede ser negativo")
    try:
        rounded = number.quantize(_CENTS, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError("el monto es demasiado grande") from None
    return rounded if rounded else Decimal("0.00")


def parse_decimal(value: object) -> Decimal | None:
    """Read a non-negative decimal number (e.g. hours: "1,5"); None for an empty cell."""
    number = _parse_number(value, noun="un número")
    if number is None:
        return None
    if number < 0:
        raise ValueError("el número no puede ser negativo")
    return number if number else Decimal(0)


def parse_int(value: object) -> int | None:
    """Read a non-negative whole number (e.g. participants); None for an empty cell."""
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"«{clean_text(value)}» debe ser un número entero")
    return int(number)


def _parse_number(value: object, *, noun: str) -> Decimal | None:
    if is_blank(value):
        return None
    invalid = ValueError(f"«{clean_text(value)}» no es {noun} válido")
    if isinstance(value, bool):
        raise invalid
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise invalid
        return value
    if not isinstance(value, str):
        raise invalid
    number = _number_from_text(value)
    if number is None:
        raise invalid
    return number


def _number_from_text(text: str) -> Decimal | None:
    """Parse "1.234,50" / "1,234.50" / "-S/ 12" style texts; None if not a number."""
    compact = _SPACES.sub("", _INVISIBLE.sub("", text))
    negative = False
    if compact.startswith("(") and compact.endswith(")"):  # accounting negative
        negative, compact = True, compact[1:-1]
    if compact[:1] in "+-" and compact:
        negative, compact = negative or compact[0] == "-", compact[1:]
    compact = _CURRENCY.sub("", compact)
    if compact[:1] in "+-" and compact:
        negative, compact = negative or compact[0] == "-", compact[1:]
    if not _NUMBER_CHARS.fullmatch(compact) or not any(c.isdigit() for c in compact):
        return None
    split = _split_number(compact)
    if split is None:
        return None
    whole, fraction = split
    number = Decimal(f"{whole or '0'}.{fraction or '0'}")
    return -number if negative else number


def _split_number(text: str) -> tuple[str, str] | None:
    """Split digits-and-separators into (whole digits, fraction digits)."""
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands_sep = "." if decimal_sep == "," else ","
        whole, _, fraction = text.partition(decimal_sep)
        if decimal_sep in fraction or thousands_sep in fraction:
            return None
        if not _valid_grouping(whole, thousands_sep):
            return None
        return whole.replace(thousands_sep, ""), fraction
    separator = "," if "," in text else "." if "." in text else ""
    if not separator:
        return text, ""
    parts = text.split(separator)
    if len(parts) > 2:
        return (text.replace(separator, ""), "") if _valid_grouping(text, separator) else None
    head, tail = parts
    if len(tail) == 3 and 1 <= len(head) <= 3 and head != "0":
        return head + tail, ""  # "1.234" / "1,234": thousands, not three decimals
    return head, tail


def _valid_grouping(whole: str, separator: str) -> bool:
    groups = whole.split(separator)
    return 1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])


def parse_ubigeo(value: object) -> str:
    """Normalise an INEI ubigeo: 6 digits (district) or 2 (department).

    Restores the leading zero Excel drops from numeric cells (10101 -> "010101",
    1 -> "01"). Only the shape is checked; the caller looks the code up.
    """
    text = _SPACES.sub("", clean_text(value))
    if re.fullmatch(r"[0-9]{1,2}", text):
        return text.zfill(2)
    if re.fullmatch(r"[0-9]{5,6}", text):
        return text.zfill(6)
    raise ValueError("el ubigeo debe tener 6 dígitos (distrito) o 2 (departamento)")
