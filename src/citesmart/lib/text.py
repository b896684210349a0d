"""Text helpers shared by lookups, imports and search."""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s_\-]+")


def fold(value: str) -> str:
    """Lower-case, strip accents and collapse white space: "  Áncash " -> "ancash".

    Used wherever a person types a name we must recognise (ubigeo names, centers,
    categories, chains, spreadsheet headers): Excel users mix accents and case freely.
    """
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def fold_key(value: str) -> str:
    """Like fold(), also ignoring spaces, hyphens, underscores: "Fecha_Inicio" -> "fechainicio"."""
    return _SEPARATORS.sub("", fold(value))
