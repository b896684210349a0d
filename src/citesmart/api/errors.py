"""Pydantic's validation errors as Spanish messages per parameter or body field."""

from typing import Any

_MESSAGES = {
    "missing": "Este campo es obligatorio.",
    "int_parsing": "Debe ser un número entero.",
    "int_from_float": "Debe ser un número entero.",
    "float_parsing": "Debe ser un número.",
    "bool_parsing": "Debe ser true o false.",
    "date_parsing": "Fecha inválida: use AAAA-MM-DD.",
    "date_from_datetime_parsing": "Fecha inválida: use AAAA-MM-DD.",
    "date_from_datetime_inexact": "Fecha inválida: use AAAA-MM-DD.",
    "string_type": "Debe ser un texto.",
    "list_type": "Debe ser una lista.",
    "model_type": "Debe ser un objeto JSON.",
    "dict_type": "Debe ser un objeto JSON.",
    "json_invalid": "El cuerpo no es JSON válido.",
    "extra_forbidden": "Campo no admitido.",
}


def _message(error: dict[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    if kind == "greater_than_equal":
        return f"Debe ser mayor o igual a {ctx.get('ge')}."
    if kind == "less_than_equal":
        return f"Debe ser menor o igual a {ctx.get('le')}."
    if kind == "greater_than":
        return f"Debe ser mayor que {ctx.get('gt')}."
    if kind == "less_than":
        return f"Debe ser menor que {ctx.get('lt')}."
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " o ")
        return f"Valor no permitido; use uno de: {expected}."
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        return f"Demasiado largo (máximo {limit})." if limit is not None else "Demasiado largo."
    if kind in ("string_too_short", "too_short"):
        return f"Demasiado corto (mínimo {ctx.get('min_length')})."
    return "Valor inválido."


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    """{"page": "Debe ser un número entero.", "unidades[0].ubigeo": "..."}."""
    fields: dict[str, str] = {}
    for error in errors:
        where = list(error.get("loc", ()))
        in_query = bool(where) and where[0] == "query"
        loc = [part for part in where if part not in ("query", "body", "path")]
        if in_query:  # a repeated query parameter is named, not indexed
            loc = [part for part in loc if not isinstance(part, int)]
        if loc and loc[0] in ("params", "report"):  # the schema argument's own name
            loc = loc[1:]
        name = ""
        for part in loc:
            name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
        fields.setdefault(name or "cuerpo", _message(error))
    return fields
