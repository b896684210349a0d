"""Identity documents: RUC, DNI and CE cleaning, validation and linking."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.pe import cui, ruc

from citesmart.lib.identity import (
    RUC_PREFIXES,
    DocumentType,
    InvalidDocument,
    clean_document,
    dni_from_ruc,
    is_natural_person_ruc,
    is_personal_document,
    parse_document_type,
    random_dni,
    random_ruc,
    ruc_for_dni,
)

seeds = st.integers(min_value=0, max_value=2**32)


@pytest.mark.parametrize(
    "raw",
    ["20131312955", " 20131312955 ", "20-131312955", "20.131.312.955", "20 1313 12955"],
)
def test_valid_ruc_is_returned_compact(raw: str) -> None:
    assert clean_document(DocumentType.RUC, raw) == "20131312955"


def test_documents_given_as_excel_numbers() -> None:
    assert clean_document(DocumentType.RUC, 20131312955) == "20131312955"
    assert clean_document(DocumentType.RUC, 20131312955.0) == "20131312955"
    assert clean_document(DocumentType.DNI, 5414828.0) == "05414828"
    with pytest.raises(InvalidDocument, match="no es válido"):
        clean_document(DocumentType.DNI, True)


def test_ruc_with_wrong_check_digit() -> None:
    with pytest.raises(InvalidDocument) as error:
        clean_document(DocumentType.RUC, "20512333798")
    assert error.value.message == (
        "El RUC 20512333798 no es válido: el dígito verificador no corresponde."
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2013131295", "11 dígitos"),
        ("201313129551", "11 dígitos"),
        ("2013131295A", "solo debe contener dígitos"),
        ("30131312955", "debe empezar con 10, 15, 17 o 20"),
        ("", "Falta el número de RUC"),
        (None, "Falta el número de RUC"),
    ],
)
def test_invalid_ruc(raw: str | None, reason: str) -> None:
    with pytest.raises(InvalidDocument, match=reason):
        clean_document(DocumentType.RUC, raw)


def test_invalid_document_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="dígito verificador"):
        clean_document("ruc", "20131312956")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10117410", "10117410"),
        ("10.117.410", "10117410"),
        ("10117410-2", "10117410"),  # optional 9th check digit, validated then dropped
        ("101174102", "10117410"),
        ("05414828", "05414828"),
        (5414828, "05414828"),  # Excel dropped the leading zero of a numeric cell
    ],
)
def test_valid_dni(raw: str | int, expected: str) -> None:
    assert clean_document(DocumentType.DNI, raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1234567", "El DNI debe tener 8 dígitos"),
        ("1234567890", "El DNI debe tener 8 dígitos"),
        ("1234567A", "El DNI debe tener 8 dígitos"),
        ("10117410-3", "dígito verificador"),
        ("", "Falta el número de DNI"),
    ],
)
def test_invalid_dni(raw: str, reason: str) -> None:
    with pytest.raises(InvalidDocument, match=reason):
        clean_document(DocumentType.DNI, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("001234567", "001234567"), ("ab-1234567", "AB1234567"), ("x12345678901", "X12345678901")],
)
def test_valid_ce(raw: str, expected: str) -> None:
    assert clean_document(DocumentType.CE, raw) == expected


@pytest.mark.parametrize("raw", ["12345678", "1234567890123", "ÑA1234567", "12345678/9"])
def test_invalid_ce(raw: str) -> None:
    with pytest.raises(InvalidDocument, match="carné de extranjería debe tener entre 9 y 12"):
        clean_document(DocumentType.CE, raw)


def test_no_document_requires_an_empty_number() -> None:
    assert clean_document(DocumentType.NONE, "") == ""
    assert clean_document(DocumentType.NONE, None) == ""
    with pytest.raises(InvalidDocument, match="sin documento"):
        clean_document(DocumentType.NONE, "20131312955")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RUC", DocumentType.RUC),
        (" ruc ", DocumentType.RUC),
        ("dni", DocumentType.DNI),
        ("D.N.I.", DocumentType.DNI),
        ("C.E.", DocumentType.CE),
        ("CE", DocumentType.CE),
        ("Carné de extranjería", DocumentType.CE),
        ("CARNET DE EXTRANJERIA", DocumentType.CE),
        ("sin documento", DocumentType.NONE),
        ("Ninguno", DocumentType.NONE),
        ("", DocumentType.NONE),
        (None, DocumentType.NONE),
        ("ninguno", DocumentType.NONE),
    ],
)
def test_parse_document_type(text: str | None, expected: DocumentType) -> None:
    assert parse_document_type(text) is expected


def test_parse_document_type_rejects_unknown_types() -> None:
    with pytest.raises(InvalidDocument, match="«Pasaporte» no es un tipo de documento"):
        parse_document_type("Pasaporte")


def test_labels_are_spanish() -> None:
    assert DocumentType.CE.label == "Carné de extranjería"
    assert DocumentType.NONE.label == "Sin documento"
    assert DocumentType.RUC == "ruc"


def test_ruc_10_and_dni_link_both_ways() -> None:
    assert dni_from_ruc("10054148289") == "05414828"
    assert ruc_for_dni("05414828") == "10054148289"
    assert is_natural_person_ruc("10054148289")
    assert not is_natural_person_ruc("20131312955")


def test_dni_from_ruc_rejects_enterprises_and_bad_check_digits() -> None:
    with pytest.raises(InvalidDocument, match="persona natural"):
        dni_from_ruc("20131312955")
    with pytest.raises(InvalidDocument, match="dígito verificador"):
        dni_from_ruc("10054148288")


@given(seeds)
def test_ruc_for_dni_round_trips(seed: int) -> None:
    dni = random_dni(random.Random(seed))
    built = ruc_for_dni(dni)
    assert ruc.is_valid(built)
    assert built == cui.to_ruc(dni)
    assert dni_from_ruc(built) == dni


@pytest.mark.parametrize(
    ("kind", "number", "personal"),
    [
        (DocumentType.DNI, "05414828", True),
        (DocumentType.CE, "001234567", True),
        (DocumentType.RUC, "10054148289", True),
        (DocumentType.RUC, "10054148288", True),  # a mistyped personal RUC is still personal
        (DocumentType.RUC, "15123456789", True),
        (DocumentType.RUC, "20131312955", False),
        (DocumentType.NONE, "", False),
        ("dni", "05414828", True),
    ],
)
def test_is_personal_document(kind: DocumentType | str, number: str, personal: bool) -> None:
    assert is_personal_document(kind, number) is personal


@given(seeds, st.sampled_from(RUC_PREFIXES))
def test_random_ruc_always_validates(seed: int, prefix: str) -> None:
    number = random_ruc(random.Random(seed), prefix=prefix)
    assert ruc.is_valid(number)
    assert number.startswith(prefix)
    assert clean_document(DocumentType.RUC, number) == number


@given(seeds)
def test_random_dni_always_validates(seed: int) -> None:
    number = random_dni(random.Random(seed))
    assert cui.is_valid(number)
    assert len(number) == 8
    assert clean_document(DocumentType.DNI, number) == number


def test_random_generators_are_reproducible() -> None:
    assert random_ruc(random.Random(7)) == random_ruc(random.Random(7))
    assert random_ruc(random.Random(7)).startswith("20")


def test_random_ruc_rejects_unknown_prefix() -> None:
    with pytest.raises(ValueError, match="prefijo"):
        random_ruc(random.Random(1), prefix="30")
