"""The registry as the generator sees it: plain, read-once snapshots of centers and places."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from citesmart.demo import profiles
from citesmart.geo.models import Department, District
from citesmart.lib.text import fold
from citesmart.network.models import Center, Programme, ServiceCategory

NEARBY_DEPARTMENTS = 3


@dataclass(frozen=True)
class CenterInfo:
    id: int
    code: str
    name: str
    kind: str
    family: str
    chain_ids: tuple[int, ...] = ()
    chain_codes: tuple[str, ...] = ()
    department_id: str | None = None
    district_id: str | None = None
    province_id: str | None = None
    start: date | None = None
    end: date | None = None
    # Departments its clients come from, besides the seat department (or instead of it).
    other_departments: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogueItem:
    id: int
    category: str
    tariff: Decimal | None
    programme_id: int | None
    valid_from: date | None


@dataclass
class Geography:
    """Districts grouped by department and by province (codes only)."""

    department_names: dict[str, str] = field(default_factory=dict)  # code -> name
    by_department: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    by_province: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    district_names: dict[str, str] = field(default_factory=dict)


@dataclass
class Vocabulary:
    categories: dict[str, int]  # code -> id
    programmes: dict[str, int]  # code -> id


def load_geography() -> Geography:
    geo = Geography()
    geo.department_names = dict(Department.objects.values_list("code", "name"))
    by_department: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_province: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, name, department, province in District.objects.order_by("code").values_list(
        "code", "name", "department_id", "province_id"
    ):
        by_department[department].append((code, name))
        by_province[province].append((code, name))
        geo.district_names[code] = name
    geo.by_department, geo.by_province = dict(by_department), dict(by_province)
    return geo


def load_vocabulary() -> Vocabulary:
    return Vocabulary(
        categories=dict(ServiceCategory.objects.values_list("code", "id")),
        programmes=dict(Programme.objects.values_list("code", "id")),
    )


def load_centers() -> list[CenterInfo]:
    """Every center of the registry, in a stable order (by code)."""
    centroids = {
        code: (lat, lon)
        for code, lat, lon in Department.objects.values_list("code", "centroid_lat", "centroid_lon")
    }
    names = {fold(name): code for code, name in Department.objects.values_list("code", "name")}
    centers = (
        Center.objects.order_by("code")
        .select_related("district")
        .prefetch_related("chains", "territory")
    )
    return [_center_info(center, centroids, names) for center in centers]


def _center_info(center: Center, centroids: dict, names: dict[str, str]) -> CenterInfo:
    chains = sorted(center.chains.all(), key=lambda chain: chain.code)
    chain_codes = tuple(chain.code for chain in chains)
    if center.department_id:
        territory = {d.code for d in center.territory.all()} - {center.department_id}
        others = tuple(sorted(territory)) + _nearest(center.department_id, centroids)
    else:
        hints = profiles.place_hints(center.name, chain_codes)
        others = tuple(names[fold(name)] for name in hints if fold(name) in names)
    start = profiles.STARTS.get(center.code)
    if start is None and center.created_year and center.created_year >= 2015:
        start = date(center.created_year, 1, 1)
    if center.active_from and (start is None or center.active_from > start):
        start = center.active_from
    return CenterInfo(
        id=center.pk,
        code=center.code,
        name=center.name,
        kind=center.kind,
        family=profiles.family_of(center.name, chain_codes),
        chain_ids=tuple(chain.pk for chain in chains),
        chain_codes=chain_codes,
        department_id=center.department_id,
        district_id=center.district_id,
        province_id=center.district.province_id if center.district else None,
        start=start,
        end=center.active_to,
        other_departments=others,
    )


def _nearest(code: str, centroids: dict[str, tuple[float, float]]) -> tuple[str, ...]:
    lat, lon = centroids[code]
    distance = {
        other: math.hypot(o_lat - lat, (o_lon - lon) * math.cos(math.radians(lat)))
        for other, (o_lat, o_lon) in centroids.items()
        if other != code
    }
    return tuple(sorted(distance, key=lambda other: (distance[other], other))[:NEARBY_DEPARTMENTS])
