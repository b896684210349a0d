"""District names in the ubigeo column: "Santa Rosa, El Collao, Puno" or "Miraflores (Lima)".

A name alone is enough when one district has it; a name shared by several needs its
province and/or department after a comma, a slash or in parentheses. An unknown or
ambiguous name is an error that lists the candidates, with their ubigeo, to copy.
"""

import re
from dataclasses import dataclass

from citesmart.geo.models import District
from citesmart.lib.text import fold

_PARTS = re.compile(r"\s*(?:[,;/()]|\s-\s)\s*")
_SHOWN = 6


@dataclass(frozen=True, slots=True)
class _Place:
    district: District
    province: str  # folded names
    department: str


class DistrictNames:
    """Every district by folded name (and by its capital's), loaded on first use."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[_Place]] | None = None

    def _index(self) -> dict[str, list[_Place]]:
        if self._by_name is None:
            self._by_name = {}
            rows = District.objects.select_related("province", "department").order_by("code")
            for district in rows:
                province, department = district.province.name, district.department.name
                place = _Place(district, fold(province), fold(department))
                for name in {fold(district.name), fold(district.capital)} - {""}:
                    self._by_name.setdefault(name, []).append(place)
        return self._by_name

    def find(self, text: str) -> District:
        """The one district `text` names; ValueError (Spanish, with candidates) otherwise."""
        name, *qualifiers = [part for part in _PARTS.split(text) if part]
        candidates = self._index().get(fold(name), [])
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


def _describe(district: District) -> str:
    return (
        f"{district.name} (provincia {district.province.name}, {district.department.name}; "
        f"ubigeo {district.code})"
    )


def _example(place: _Place) -> str:
    district = place.district
    return f"{district.name}, {district.province.name}, {district.department.name}"
