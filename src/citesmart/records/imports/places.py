"""District names where a ubigeo is asked for: "Santa Rosa, El Collao, Puno" or "Miraflores
(Lima)", in an import's ubigeo column and in the entry screen's district fields.

A name alone is enough when one district has it; a name shared by several needs its
province and/or department after a comma, a slash or in parentheses. An unknown or
ambiguous name is an error that lists the candidates, with their ubigeo, to copy.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from citesmart.geo.models import District
from citesmart.lib.text import fold

_PARTS = re.compile(r"\s*(?:[,;/()]|\s-\s)\s*")
_CODE = re.compile(r"(?:ubigeo\s*)?(\d{6})\)?\s*$", re.IGNORECASE)
_SHOWN = 6


@dataclass(frozen=True, slots=True)
class _Place:
    district: District
    province: str  # folded names
    department: str


def _place(district: District) -> _Place:
    return _Place(district, fold(district.province.name), fold(district.department.name))


def label(district: District) -> str:
    """How a district is written back: "Santa Rosa, El Collao, Puno (ubigeo 210505)"."""
    return (
        f"{district.name}, {district.province.name}, {district.department.name} "
        f"(ubigeo {district.code})"
    )


class DistrictNames:
    """Every district by folded name (and by its capital's), loaded on first use: for an
    import, which looks up many."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[_Place]] | None = None

    def _index(self) -> dict[str, list[_Place]]:
        if self._by_name is None:
            self._by_name = {}
            rows = District.objects.select_related("province", "department").order_by("code")
            for district in rows:
                place = _place(district)
                for name in {fold(district.name), fold(district.capital)} - {""}:
                    self._by_name.setdefault(name, []).append(place)
        return self._by_name

    def find(self, text: str) -> District:
        """The one district `text` names; ValueError (Spanish, with candidates) otherwise."""
        name, *qualifiers = [part for part in _PARTS.split(text) if part]
        return _choose(name, qualifiers, self._index().get(fold(name), []))


def find_district(text: str) -> District:
    """One lookup (a form's field): a 6-digit ubigeo anywhere at the end ("… (ubigeo
    210505)"), else a name as DistrictNames reads it. ValueError in Spanish otherwise."""
    text = (text or "").strip()
    code = _CODE.search(text)
    if code:
        found = District.objects.select_related("province", "department").filter(pk=code[1])
        if found:
            return found[0]
        raise ValueError(f"el ubigeo {code[1]} no corresponde a ningún distrito del INEI")
    parts = [part for part in _PARTS.split(text) if part]
    if not parts:
        raise ValueError("escriba el nombre del distrito o su ubigeo de 6 dígitos")
    name, *qualifiers = parts
    folded = fold(name)
    districts = District.objects.select_related("province", "department").order_by("code")
    candidates = [_place(d) for d in districts.filter(search_name=folded)] or [
        _place(d) for d in districts if fold(d.capital) == folded
    ]
    return _choose(name, qualifiers, candidates)


def _choose(name: str, qualifiers: Iterable[str], candidates: list[_Place]) -> District:
    qualifiers = list(qualifiers)
    by_name = [p for p in candidates if fold(p.district.name) == fold(name)]
    candidates = by_name or candidates  # the district's own name before its capital's
    for qualifier in map(fold, qualifiers):
        candidates = [p for p in candidates if qualifier in (p.province, p.department)]
    if len(candidates) == 1:
        return candidates[0].district
    if not candidates:
        where = f" en {', '.join(qualifiers)}" if qualifiers else ""
        raise ValueError(
            f"no hay ningún distrito llamado «{name}»{where} en el ubigeo del INEI; "
            "revise la ortografía o escriba el ubigeo de 6 dígitos"
        )
    shown = "; ".join(_describe(p.district) for p in candidates[:_SHOWN])
    more = f" y {len(candidates) - _SHOWN} más" if len(candidates) > _SHOWN else ""
    raise ValueError(
        f"hay {len(candidates)} distritos llamados «{name}»: {shown}{more}. Escriba el "
        f"ubigeo o añada la provincia y el departamento, p. ej. «{_example(candidates[0])}»"
    )


def search(text: str, *, limit: int = 15) -> list[District]:
    """Districts whose name starts with `text` (or whose ubigeo does), for suggestions."""
    text = (text or "").strip()
    districts = District.objects.select_related("province", "department")
    if text.isdigit():
        return list(districts.filter(code__startswith=text).order_by("code")[:limit])
    name = fold(_PARTS.split(text)[0]) if text else ""
    if len(name) < 2:
        return []
    found = list(districts.filter(search_name__startswith=name).order_by("search_name", "code"))
    qualifiers = [fold(q) for q in _PARTS.split(text)[1:] if q.strip()]
    for qualifier in qualifiers:
        found = [
            d
            for d in found
            if fold(d.province.name).startswith(qualifier)
            or fold(d.department.name).startswith(qualifier)
        ]
    return found[:limit]


def _describe(district: District) -> str:
    return (
        f"{district.name} (provincia {district.province.name}, {district.department.name}; "
        f"ubigeo {district.code})"
    )


def _example(place: _Place) -> str:
    district = place.district
    return f"{district.name}, {district.province.name}, {district.department.name}"
