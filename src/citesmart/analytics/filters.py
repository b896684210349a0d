"""Which services a figure counts (Filters), and whether a question can be answered.

`validate` checks a question against the codes the read model knows (`known_codes`, cached
per build) and raises InvalidQuery with a Spanish message per field.
"""

# SQL here is assembled from constant identifiers only.
# ruff: noqa: S608

import threading
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from citesmart.analytics import cube
from citesmart.analytics.vocabulary import CODED_FILTERS, DIMENSIONS, MEASURES

MAX_LIMIT = 10_000


class InvalidQuery(ValueError):
    """A filter or option the read model cannot answer; `errors` maps field -> Spanish message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class Filters:
    """Which services count. Empty means no restriction; lists may be given in any order."""

    date_from: date | None = None
    date_to: date | None = None
    years: tuple[int, ...] = ()
    months: tuple[int, ...] = ()  # months of the year, 1..12
    centers: tuple[str, ...] = ()
    with_technical_units: bool = True  # a CITE's code also selects its technical units
    center_kinds: tuple[str, ...] = ()
    chains: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()  # ubigeo of the productive unit's department
    provinces: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    catalogue_services: tuple[int, ...] = ()
    programmes: tuple[str, ...] = ()
    client_types: tuple[str, ...] = ()
    size_classes: tuple[str, ...] = ()
    free: bool | None = None  # True: free services only; False: paid only
    include_registered: bool = False  # count registered (not yet validated) reports too

    def chosen(self) -> dict[str, Any]:
        """The filters set to something else than their default (years and the technical
        units' switch included), by field name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != f.default
        }

    def __post_init__(self) -> None:
        # Normalised to sorted tuples so that equal filter sets share one cache entry.
        errors: dict[str, str] = {}
        for name in ("years", "months", "catalogue_services"):
            try:
                object.__setattr__(self, name, _sorted(getattr(self, name), int))
            except (TypeError, ValueError):
                errors[name] = f"Valores no numéricos en «{name}»: {getattr(self, name)!r}."
        for name in CODED_FILTERS:
            if name != "catalogue_services":
                object.__setattr__(self, name, _sorted(getattr(self, name), str))
        if errors:
            raise InvalidQuery(errors)


def _sorted(values: Iterable[Any] | str | int, kind: type) -> tuple[Any, ...]:
    if isinstance(values, str | int):
        values = [values]
    return tuple(sorted({kind(value) for value in values}))


def validate(
    filters: Filters,
    by: tuple[str, ...],
    measures: tuple[str, ...],
    order_by: str | None,
    limit: int | None,
    known: dict[str, set[Any]],
) -> None:
    errors: dict[str, str] = {}
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = (
            f"La fecha inicial ({filters.date_from:%d/%m/%Y}) es posterior a la final "
            f"({filters.date_to:%d/%m/%Y})."
        )
    if bad := [y for y in filters.years if not 1990 <= y <= 2100]:
        errors["years"] = f"Año fuera de rango (1990 a 2100): {_listing(bad)}."
    if bad := [m for m in filters.months if not 1 <= m <= 12]:
        errors["months"] = f"Mes inválido (use 1 a 12): {_listing(bad)}."
    for name, coded in CODED_FILTERS.items():
        if unknown := [v for v in getattr(filters, name) if v not in known[name]]:
            errors[name] = f"{coded.title}: código desconocido {_listing(unknown)}."
    if unknown := [d for d in by if d not in DIMENSIONS]:
        errors["by"] = (
            f"Desglose desconocido {_listing(unknown)}; use {_listing(list(DIMENSIONS))}."
        )
    elif len(by) > 2 or len(set(by)) != len(by):
        errors["by"] = "El desglose admite una o dos dimensiones distintas."
    if unknown := [m for m in measures if m not in MEASURES]:
        errors["measures"] = f"Medida desconocida {_listing(unknown)}; use {_listing(MEASURES)}."
    elif not measures:
        errors["measures"] = "Indique al menos una medida."
    if order_by is not None and order_by not in (*measures, *by):
        errors["order_by"] = (
            f"Solo se puede ordenar por una medida o dimensión pedida: «{order_by}»."
        )
    if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT):
        errors["limit"] = f"El límite debe ser un número entre 1 y {MAX_LIMIT}."
    if errors:
        raise InvalidQuery(errors)


def _listing(values: Iterable[Any]) -> str:
    return ", ".join(f"«{v}»" for v in values)


_known_lock = threading.Lock()


_known: dict[str, dict[str, Any]] = {}


def known_codes(cursor: Any, build: str) -> dict[str, Any]:
    """Valid codes per filter, and the id ranges of the facts, for this build (cached)."""
    with _known_lock:
        if build in _known:
            return _known[build]
    found: dict[str, Any] = {
        name: {row[0] for row in cursor.execute(f"SELECT {f.valid} FROM {f.table}").fetchall()}
        for name, f in CODED_FILTERS.items()
    }
    found["_ranges"] = dict(
        zip(
            ("unit_id", "report_id", "year"),
            _pairs(
                cursor.execute(
                    "SELECT min(unit_id), max(unit_id), min(report_id), max(report_id), "
                    "min(year), max(year) FROM facts"
                ).fetchone()
            ),
            strict=True,
        )
    )
    found["_cube"] = cube.present(cursor)
    found["_ids"] = {
        name: {
            code: (key, cite)
            for key, code, cite in cursor.execute(
                f"SELECT id, code, {'cite_code' if name == 'centers' else 'NULL'} FROM {f.table}"
            ).fetchall()
        }
        for name, f in CODED_FILTERS.items()
        if f.id_column
    }
    with _known_lock:
        _known.clear()  # only the current build matters
        _known[build] = found
    return found


def _pairs(values: tuple[Any, ...]) -> list[tuple[int, int] | None]:
    pairs = zip(values[::2], values[1::2], strict=True)
    return [None if low is None else (int(low), int(high)) for low, high in pairs]


def clear_known() -> None:
    """Forget the known codes (generation names may repeat in another read model directory)."""
    with _known_lock:
        _known.clear()
