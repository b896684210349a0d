"""Demo productive units: who they are, where they are, and each center's clients per year.

Each unit has a *home* center. A year's national clientele is the union of the centers' pools,
which are disjoint (a unit is in its home center's pool only), so its size is exactly the sum
of the pool sizes: the distinct-units target is met by construction as long as every pool unit
gets at least one validated service that year (reports.py makes sure of it).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import count

from citesmart.demo import names, profiles
from citesmart.demo.calibration import Counts, apportion
from citesmart.demo.world import CenterInfo, Geography
from citesmart.lib.identity import random_dni, random_ruc, ruc_for_dni

HOME_DEPARTMENT_SHARE = 0.85
SEAT_PROVINCE_SHARE = 0.55
PHONE_SHARE = 0.55
MAX_POOL_SHARE = 0.8  # a center's clients of a year are at most 80% of its services


@dataclass(slots=True, eq=False)
class PlanUnit:
    """A productive unit before it is written (pk is set once it is)."""

    key: int
    home: int  # id of the center whose clients it belongs to
    activity: float = 1.0  # how often it comes back, relative to others
    chain_id: int | None = None
    chain_code: str = ""
    client_type: str = ""
    document_type: str = ""
    document_number: str = ""
    person_dni: str = ""
    name: str = ""
    taxpayer_type: str = ""
    size_class: str = "sin_dato"
    ciiu: str = ""
    department_id: str = ""
    district_id: str = ""
    phone: str = ""
    first_date: date | None = None
    last_year: int = 0
    pk: int | None = None


class UnitFactory:
    """Makes units with documents unique network-wide (also against the registry's own)."""

    def __init__(self, geography: Geography, used_documents: set[str]) -> None:
        self.geo = geography
        self.used = used_documents
        self.keys = count(1)

    def new_unit(self, rng: random.Random, center: CenterInfo) -> PlanUnit:
        unit = PlanUnit(next(self.keys), center.id)
        unit.activity = rng.lognormvariate(0, 0.75)
        if center.chain_ids:
            index = 0 if rng.random() < 0.5 else rng.randrange(len(center.chain_ids))
            unit.chain_id, unit.chain_code = center.chain_ids[index], center.chain_codes[index]
        unit.department_id, unit.district_id = self._place(rng, center)
        mix = profiles.CLIENT_MIX.get(center.family, profiles.CLIENT_MIX["default"])
        kind = rng.choices(list(mix), list(mix.values()))[0]
        self._identity(rng, unit, kind, self.geo.district_names[unit.district_id])
        if unit.document_type != "ninguno" and rng.random() < PHONE_SHARE:
            unit.phone = f"9{rng.randrange(10**8):08d}"
        ciius = profiles.CIIU_BY_CHAIN.get(unit.chain_code)
        unit.ciiu = rng.choice(ciius) if ciius and unit.document_type == "ruc" else ""
        return unit

    def _place(self, rng: random.Random, center: CenterInfo) -> tuple[str, str]:
        """(department, district): near the seat mostly, else in the center's other departments."""
        others = center.other_departments or ("15",)  # Lima
        home = center.department_id
        if home and (rng.random() < HOME_DEPARTMENT_SHARE or not center.other_departments):
            department = home
        else:
            department = rng.choice(others)
            department = department if department in self.geo.by_department else "15"
        province = center.province_id if department == home else None
        province = province or f"{department}01"  # the department capital's province
        districts = self.geo.by_province.get(province)
        if not districts or rng.random() > SEAT_PROVINCE_SHARE:
            districts = self.geo.by_department[department]
        if province == center.province_id and center.district_id and rng.random() < 0.3:
            return department, center.district_id
        return department, rng.choice(districts)[0]

    def _identity(self, rng: random.Random, unit: PlanUnit, kind: str, place: str) -> None:
        if kind in ("persona_natural_negocio", "emprendedor", "informal"):
            unit.name = names.person_name(rng)
            if kind == "informal":
                unit.client_type, unit.document_type = "emprendedor", "ninguno"
                return
            dni = self._unused(lambda: random_dni(rng))
            unit.person_dni = dni
            if kind == "emprendedor":
                unit.client_type, unit.document_type, unit.document_number = kind, "dni", dni
                return
            unit.client_type, unit.document_type = kind, "ruc"
            unit.document_number = self._unused(lambda: ruc_for_dni(dni))
            unit.taxpayer_type = "Persona natural con negocio"
            unit.size_class = "micro" if rng.random() < 0.92 else "pequena"
            return
        unit.client_type, unit.document_type = kind, "ruc"
        unit.document_number = self._unused(lambda: random_ruc(rng, "20"))
        if kind == "empresa_formal":
            unit.name, unit.taxpayer_type = names.company_name(rng, unit.chain_code)
            unit.size_class = rng.choices(
                ("micro", "pequena", "mediana", "grande"), (65, 25, 7, 3)
            )[0]
        elif kind == "asociacion_cooperativa":
            unit.name, unit.taxpayer_type = names.association_name(rng, unit.chain_code, place)
            unit.size_class = "micro"
        elif kind == "academia":
            unit.name = names.academia_name(rng, place)
            unit.taxpayer_type = "Institución educativa"
        else:
            unit.name, unit.taxpayer_type = names.other_name(rng, place)

    def _unused(self, make) -> str:
        number = make()
        while number in self.used:
            number = make()
        self.used.add(number)
        return number


def pool_sizes(centers: Sequence[CenterInfo], counts: Counts, target: int) -> dict[int, int]:
    """Distinct clients per center for a year, summing exactly to `target`."""
    services = [sum(counts[c.id]) for c in centers]
    caps = [max(1, int(MAX_POOL_SHARE * n)) if n else 0 for n in services]
    weights = [
        n * profiles.POOL_FACTOR.get(c.family, 1.0) for c, n in zip(centers, services, strict=True)
    ]
    sizes = apportion(target, weights, caps)
    return {c.id: size for c, size in zip(centers, sizes, strict=True)}


def build_pools(
    *,
    year: int,
    centers: Sequence[CenterInfo],
    sizes: dict[int, int],
    history: dict[int, list[PlanUnit]],
    factory: UnitFactory,
    rng: random.Random,
) -> tuple[dict[int, list[PlanUnit]], list[PlanUnit]]:
    """Each center's clients for the year: returning clients first, then new ones.

    `history` (center id -> its units so far) grows with the new units. Returns the pools and
    the units created this year.
    """
    pools: dict[int, list[PlanUnit]] = {}
    created: list[PlanUnit] = []
    for center in centers:
        size = sizes[center.id]
        known = history.setdefault(center.id, [])
        returning = _returning(
            known, min(round(profiles.RETURNING_SHARE * size), len(known)), year, rng
        )
        new = [factory.new_unit(rng, center) for _ in range(size - len(returning))]
        known.extend(new)
        created.extend(new)
        pools[center.id] = returning + new
        for unit in pools[center.id]:
            unit.last_year = year
    return pools, created


def _returning(
    known: list[PlanUnit], how_many: int, year: int, rng: random.Random
) -> list[PlanUnit]:
    """A weighted sample without replacement: active and last year's clients return more."""
    if how_many <= 0:
        return []

    def key(unit: PlanUnit) -> float:
        weight = unit.activity * (3 if unit.last_year == year - 1 else 1)
        return rng.random() ** (1 / weight)

    keyed = sorted(((key(u), u.key, u) for u in known), reverse=True)
    return [unit for _, _, unit in keyed[:how_many]]
