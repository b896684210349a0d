"""Cell value parsers: dates, amounts, counts, text and ubigeo."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel

from citesmart.lib.values import (
    clean_text,
    is_blank,
    parse_amount,
    parse_date,
    parse_decimal,
    parse_int,
    parse_ubigeo,
)

D = datetime.date


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2025, 3, 5), D(2025, 3, 5)),
        (datetime.datetime(2025, 3, 5, 14, 30), D(2025, 3, 5)),
        ("05/03/2025", D(2025, 3, 5)),
        ("5/3/2025", D(2025, 3, 5)),
        ("05-03-2025", D(2025, 3, 5)),
        ("05.03.2025", D(2025, 3, 5)),
        ("2025-03-05", D(2025, 3, 5)),
        ("  05 / 03 / 2025 ", D(2025, 3, 5)),
        ("05/03/2025 00:00:00", D(2025, 3, 5)),
        ("2025-03-05 10:15", D(2025, 3, 5)),
        ("05/03/2025 10:15 a. m.", D(2025, 3, 5)),
        ("29/02/2024", D(2024, 2, 29)),
        (45658, D(2025, 1, 1)),
        (45658.75, D(2025, 1, 1)),  # the fraction is the time of day
        (Decimal("45658"), D(2025, 1, 1)),
        (1, D(1900, 1, 1)),
        (59, D(1900, 2, 28)),
        (61, D(1900, 3, 1)),
    ],
)
def test_parse_date(value: object, expected: D) -> None:
    assert parse_date(value) == expected


def test_text_date_message_suggests_the_format() -> None:
    with pytest.raises(ValueError) as error:
        parse_date("2025/13/01")
    assert str(error.value) == "«2025/13/01» no es una fecha válida; use dd/mm/aaaa"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("31/02/2025", "fecha inexistente"),
        ("29/02/2025", "fecha inexistente"),
        ("05/13/2025", "fecha inexistente"),
        ("05/03/25", "año con 4 dígitos"),
        ("2025-02-30", "fecha inexistente"),
        ("01/01/1850", "fuera del rango"),
        ("01/01/2200", "fuera del rango"),
        ("marzo 2025", "no es una fecha válida"),
        ("05/03-2025", "no es una fecha válida"),
        ("", "la fecha está vacía"),
        ("   ", "la fecha está vacía"),
        (None, "la fecha está vacía"),
        (60, "29/02/1900 es una fecha inexistente"),
        (0, "no corresponde a una fecha de Excel"),
        (-5, "no corresponde a una fecha de Excel"),
        (10_000_000, "no corresponde a una fecha de Excel"),
        (float("nan"), "no es una fecha válida"),
        (2025, "parece un año"),
        (True, "no es una fecha válida"),
        (datetime.time(10, 0), "no es una fecha válida"),
    ],
)
def test_invalid_dates(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(value)


@given(st.integers(min_value=2101, max_value=73_415))
def test_excel_serials_agree_with_openpyxl(serial: int) -> None:
    assert parse_date(serial) == from_excel(serial).date()


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_text_dates_round_trip(day: D) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.isoformat()) == day


# --- amounts and numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        ("S/ 1 200,00", "1200.00"),
        ("S/. 350", "350.00"),
        ("s/1.200.000,5", "1200000.50"),
        ("1,234,567", "1234567.00"),
        ("1.234", "1234.00"),  # one separator + three digits: thousands
        ("0,500", "0.50"),
        ("1234,567", "1234.57"),
        (",5", "0.50"),
        ("1\u00a0234,50", "1234.50"),
        ("+15", "15.00"),
        ("-0", "0.00"),
        (1500, "1500.00"),
        (0.1 + 0.2, "0.30"),
        (Decimal("10.005"), "10.01"),
    ],
)
def test_parse_amount(value: object, expected: str) -> None:
    result = parse_amount(value)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_amount_is_none(value: object) -> None:
    assert parse_amount(value) is None


@pytest.mark.parametrize("value", ["-5", "-1.234,50", "S/ -20", "(350,00)", -0.01, Decimal(-3)])
def test_negative_amounts_are_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="el monto no puede ser negativo"):
        parse_amount(value)


@pytest.mark.parametrize(
    "value",
    ["abc", "12a", "1.2.3,4,5", "1,23,456", "1.234.56", "US$ 100", "1e5", ".", "S/", True, [1]],
)
def test_invalid_amounts(value: object) -> None:
    with pytest.raises(ValueError, match="no es un monto válido"):
        parse_amount(value)


def test_absurd_amount_is_rejected() -> None:
    with pytest.raises(ValueError, match="demasiado grande"):
        parse_amount(1e300)


amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False)


def _format_amount(value: Decimal, thousands: str, decimal_sep: str) -> str:
    text = f"{value:,.2f}"  # "1,234.56"
    return text.replace(",", "\0").replace(".", decimal_sep).replace("\0", thousands)


@given(amounts)
def test_amounts_round_trip_in_both_styles(value: Decimal) -> None:
    assert parse_amount(_format_amount(value, ".", ",")) == value
    assert parse_amount(_format_amount(value, ",", ".")) == value
    assert parse_amount(f"S/ {_format_amount(value, ' ', ',')}") == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), (12, 12), (12.0, 12), ("1.200", 1200), ("1 200", 1200), ("12,0", 12)],
)
def test_parse_int(value: object, expected: int) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2,5", "«2,5» debe ser un número entero"),
        (2.5, "debe ser un número entero"),
        ("-1", "no puede ser negativo"),
        ("doce", "no es un número válido"),
        (False, "no es un número válido"),
    ],
)
def test_invalid_int(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_int(value)


def test_parse_int_and_decimal_of_empty_cells() -> None:
    assert parse_int("") is None
    assert parse_decimal(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1,5", "1.5"), ("2.25", "2.25"), (3, "3"), (0.5, "0.5"), ("-0", "0")],
)
def test_parse_decimal(value: object, expected: str) -> None:
    assert parse_decimal(value) == Decimal(expected)


# --- text and ubigeo ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  Asociación \n  de   productores\t", "Asociación de productores"),
        ("\ufeffRUC\u200b", "RUC"),
        (123.0, "123"),
        (20131312955.0, "20131312955"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (42, "42"),
        (Decimal("1.50"), "1.50"),
        (True, "VERDADERO"),
        (D(2025, 3, 5), "05/03/2025"),
        (datetime.datetime(2025, 3, 5), "05/03/2025"),
        (datetime.datetime(2025, 3, 5, 9, 30), "05/03/2025 09:30"),
    ],
)
def test_clean_text(value: object, expected: str) -> None:
    assert clean_text(value) == expected


def test_is_blank() -> None:
    assert is_blank(None)
    assert is_blank(" \t\u200b ")
    assert not is_blank(0)
    assert not is_blank("x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("150101", "150101"),
        (150101, "150101"),
        (10101, "010101"),
        (10101.0, "010101"),
        ("10101", "010101"),
        (" 010101 ", "010101"),
        ("1", "01"),
        (1, "01"),
        ("15", "15"),
    ],
)
def test_parse_ubigeo(value: object, expected: str) -> None:
    assert parse_ubigeo(value) == expected


@pytest.mark.parametrize("value", ["1501", "123", "0101011", "15-01-01", "Lima", "", None, 1.5])
def test_invalid_ubigeo(value: object) -> None:
    with pytest.raises(ValueError, match=r"6 dígitos \(distrito\) o 2 \(departamento\)"):
        parse_ubigeo(value)
