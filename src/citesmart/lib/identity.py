"""Peruvian identity documents: RUC, DNI and carné de extranjería.

Check digits are always delegated to python-stdnum (``stdnum.pe.ruc`` and
``stdnum.pe.cui``); this module only adds cleaning, Spanish error messages and the
rules citesmart needs (which documents are personal data, RUC 10 <-> DNI linking).
"""

import random
import re
from enum import StrEnum

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, ValidationError
from stdnum.pe import cui, ruc

from citesmart.lib.text import fold_key

RUC_PREFIXES = ("10", "15", "17", "20")
"""RUC kinds accepted by SUNAT: 10 natural persons with DNI, 15 and 17 other natural
persons, 20 legal persons (enterprises, associations, public bodies)."""

# Natural persons: their RUC identifies an individual, so it is personal data.
PERSONAL_RUC_PREFIXES = ("10", "15", "17")

_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]+")
_DIGITS = re.compile(r"[0-9]+")
_ALNUM = re.compile(r"[0-9A-Z]+")
_CE_MIN, _CE_MAX = 9, 12


class DocumentType(StrEnum):
    """Kind of identity document of a productive unit or person."""

    RUC = "ruc"
    DNI = "dni"
    CE = "ce"
    NONE = "ninguno"

    @property
    def label(self) -> str:
        """Spanish name to show to users, e.g. "Carné de extranjería"."""
        return _LABELS[self]


# Lower-case nouns for use inside sentences.
_NOUNS: dict[DocumentType, str] = {
    DocumentType.RUC: "RUC",
    DocumentType.DNI: "DNI",
    DocumentType.CE: "carné de extranjería",
    DocumentType.NONE: "documento",
}

_LABELS: dict[DocumentType, str] = {
    DocumentType.RUC: "RUC",
    DocumentType.DNI: "DNI",
    DocumentType.CE: "Carné de extranjería",
    DocumentType.NONE: "Sin documento",
}

# Keys are fold_key() of the text with dots and slashes removed ("C.E." -> "ce").
_TYPE_ALIASES: dict[str, DocumentType] = {
    "ruc": DocumentType.RUC,
    "registrounicodecontribuyentes": DocumentType.RUC,
    "registrounicodecontribuyente": DocumentType.RUC,
    "dni": DocumentType.DNI,
    "documentonacionaldeidentidad": DocumentType.DNI,
    "ce": DocumentType.CE,
    "carnedeextranjeria": DocumentType.CE,
    "carnetdeextranjeria": DocumentType.CE,
    "carneextranjeria": DocumentType.CE,
    "carnetextranjeria": DocumentType.CE,
    "": DocumentType.NONE,
    "ninguno": DocumentType.NONE,
    "ninguna": DocumentType.NONE,
    "sindocumento": DocumentType.NONE,
    "sd": DocumentType.NONE,
    "notiene": DocumentType.NONE,
}


class InvalidDocument(ValueError):
    """A document number or type that cannot be accepted; ``message`` is in Spanish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_document_type(text: str | None) -> DocumentType:
    """Recognise a document type as people write it: "RUC", "d.n.i.", "C.E.", "ninguno", "".

    Raises InvalidDocument for anything else (e.g. "pasaporte").
    """
    key = fold_key(text or "").replace(".", "").replace("/", "")
    try:
        return _TYPE_ALIASES[key]
    except KeyError:
        raise InvalidDocument(
            f"«{(text or '').strip()}» no es un tipo de documento admitido; "
            "use RUC, DNI, CE (carné de extranjería) o «ninguno»."
        ) from None


def clean_document(kind: DocumentType | str, number: str | int | float | None) -> str:
    """Validate a document number and return its compact form.

    Spaces, dots and dashes are removed. RUC: 11 digits, prefix 10/15/17/20 and a valid
    check digit. DNI: 8 digits; an optional 9th check character is verified and dropped.
    Numeric cells are accepted (20131312955.0), and a numeric DNI gets back the leading
    zeros Excel dropped (5414828 -> "05414828"). CE: 9 to 12 letters or digits,
    upper-cased. For DocumentType.NONE the number must be empty and "" is returned.
    """
    doc_type = _as_document_type(kind)
    if isinstance(number, bool):
        raise InvalidDocument(f"El número de {_NOUNS[doc_type]} no es válido.")
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, int) and doc_type is DocumentType.DNI and 0 <= number < 10**8:
        number = f"{number:08d}"
    compact = _SEPARATORS.sub("", str(number if number is not None else "")).upper()
    if doc_type is DocumentType.NONE:
        if compact:
            raise InvalidDocument(
                "Se indicó «sin documento» pero hay un número; elija el tipo de documento "
                "o deje vacío el número."
            )
        return ""
    if not compact:
        raise InvalidDocument(f"Falta el número de {_NOUNS[doc_type]}.")
    if doc_type is DocumentType.RUC:
        return _clean_ruc(compact)
    if doc_type is DocumentType.DNI:
        return _clean_dni(compact)
    return _clean_ce(compact)


def _as_document_type(kind: DocumentType | str) -> DocumentType:
    return kind if isinstance(kind, DocumentType) else parse_document_type(kind)


def _clean_ruc(number: str) -> str:
    if not _DIGITS.fullmatch(number):
        raise InvalidDocument(f"El RUC solo debe contener dígitos; «{number}» no lo cumple.")
    if len(number) != 11:
        raise InvalidDocument(f"El RUC debe tener 11 dígitos; «{number}» tiene {len(number)}.")
    try:
        return ruc.validate(number)
    except InvalidComponent:
        raise InvalidDocument(
            f"El RUC {number} no es válido: debe empezar con 10, 15, 17 o 20."
        ) from None
    except InvalidChecksum:
        raise InvalidDocument(
            f"El RUC {number} no es válido: el dígito verificador no corresponde."
        ) from None
    except ValidationError:
        raise InvalidDocument(f"El RUC {number} no es válido.") from None


def _clean_dni(number: str) -> str:
    if len(number) not in (8, 9) or not _DIGITS.fullmatch(number[:8]):
        raise InvalidDocument(f"El DNI debe tener 8 dígitos; «{number}» no los tiene.")
    try:
        validated = cui.validate(number)
    except InvalidChecksum:
        raise InvalidDocument(
            f"El DNI {number[:8]}-{number[8:]} no es válido: el dígito verificador "
            "(noveno carácter) no corresponde."
        ) from None
    except (InvalidFormat, ValidationError):
        raise InvalidDocument(f"El DNI debe tener 8 dígitos; «{number}» no los tiene.") from None
    return validated[:8]


def _clean_ce(number: str) -> str:
    if not (_CE_MIN <= len(number) <= _CE_MAX) or not _ALNUM.fullmatch(number):
        raise InvalidDocument(
            f"El carné de extranjería debe tener entre {_CE_MIN} y {_CE_MAX} letras o dígitos; "
            f"«{number}» no lo cumple."
        )
    return number


def is_natural_person_ruc(ruc_number: str) -> bool:
    """True if the RUC belongs to a natural person with DNI (prefix 10).

    Only the shape is checked (11 digits starting with 10), not the check digit, so that
    a mistyped personal RUC is still treated as personal.
    """
    compact = _SEPARATORS.sub("", ruc_number or "")
    return len(compact) == 11 and bool(_DIGITS.fullmatch(compact)) and compact.startswith("10")


def dni_from_ruc(ruc_number: str) -> str:
    """Return the DNI embedded in a valid RUC 10 ("10XXXXXXXXC" -> "XXXXXXXX")."""
    compact = clean_document(DocumentType.RUC, ruc_number)
    if not compact.startswith("10"):
        raise InvalidDocument(
            f"El RUC {compact} no es de una persona natural con DNI (debe empezar con 10)."
        )
    return ruc.to_dni(compact)


def ruc_for_dni(dni: str | int) -> str:
    """Build the RUC 10 that SUNAT assigns to the holder of a DNI."""
    base = "10" + clean_document(DocumentType.DNI, dni)
    return base + ruc.calc_check_digit(base)


def is_personal_document(kind: DocumentType | str, number: str | None) -> bool:
    """True when the document identifies an individual and must never be made public.

    DNI and CE always are; a RUC is when it belongs to a natural person (prefixes 10, 15
    and 17); enterprises' RUC (20) and "ninguno" are not.
    """
    doc_type = _as_document_type(kind)
    if doc_type in (DocumentType.DNI, DocumentType.CE):
        return True
    if doc_type is DocumentType.RUC:
        compact = _SEPARATORS.sub("", number or "")
        return compact.startswith(PERSONAL_RUC_PREFIXES)
    return False


def random_ruc(rng: random.Random, prefix: str = "20") -> str:
    """A synthetic RUC with the given prefix and a valid check digit (for test/demo data)."""
    if prefix not in RUC_PREFIXES:
        raise ValueError(f"El prefijo de RUC debe ser uno de {', '.join(RUC_PREFIXES)}.")
    base = prefix + f"{rng.randrange(10**8):08d}"
    return base + ruc.calc_check_digit(base)


def random_dni(rng: random.Random) -> str:
    """A synthetic 8-digit DNI (any 8 digits are a valid CUI; leading zeros included)."""
    return f"{rng.randrange(1, 10**8):08d}"
