"""Public reads of the registry: centers and the service catalogue, as the portal shows them."""

import math
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from citesmart.geo.models import Department
from citesmart.lib.text import fold
from citesmart.network import registry
from citesmart.network.models import CatalogueService, Center
from citesmart.network.registry import Registry


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _territory() -> Prefetch:
    # Department boundaries are large GeoJSON that no list of centers needs (maps read them once).
    return Prefetch("territory", queryset=Department.objects.defer("boundary"))


def public_centers() -> QuerySet[Center]:
    return (
        Center.objects.select_related("parent", "department", "district")
        .defer("department__boundary")
        .prefetch_related("chains", _territory(), "modalities")
    )


def current_catalogue() -> QuerySet[CatalogueService]:
    """Public catalogue services valid today."""
    today = timezone.localdate()
    return (
        CatalogueService.objects.filter(is_public=True)
        .exclude(valid_to__lt=today)
        .exclude(valid_from__gt=today)
        .select_related("center", "center__department", "center__district", "category", "programme")
        .defer("center__department__boundary")
        .prefetch_related(
            Prefetch("center__territory", queryset=Department.objects.defer("boundary")), "chains"
        )
    )


@dataclass(frozen=True)
class CatalogueHit:
    service: CatalogueService
    distance_km: float | None  # from the center's seat to the searched department


def search_catalogue(
    *,
    words: str = "",
    chain: str = "",
    category: str = "",
    department: Department | None = None,
    free_only: bool = False,
    programme: str = "",
    within: Registry | None = None,
) -> list[CatalogueHit]:
    """Catalogue services matching every given criterion.

    Words match name, description, center and category ignoring accents and case. With a
    department, only centers whose territory covers it, nearest seats first. Searches the
    in-memory registry (`within`, by default the current one): no query.
    """
    terms = fold(words).split()
    hits = []
    for entry in (within or registry.current()).entries:  # by center name, service name
        service = entry.service
        if (
            (chain and chain not in entry.chains)
            or (category and service.category.code != category)
            or (free_only and not service.is_free)
            or (programme and (service.programme is None or service.programme.code != programme))
            or (department is not None and department.code not in entry.territory)
            or not all(term in entry.text for term in terms)
        ):
            continue
        hits.append(CatalogueHit(service, _distance(service.center, department)))
    if department is not None:  # nearest seats first; a stable sort keeps the name order
        hits.sort(key=lambda h: h.distance_km if h.distance_km is not None else math.inf)
    return hits


def _distance(center: Center, department: Department | None) -> float | None:
    if department is None:
        return None
    seat = center.seat_point
    if seat is None:
        return None
    return distance_km(seat, (department.centroid_lat, department.centroid_lon))


def centers_serving(
    department: Department, *, within: Registry | None = None
) -> list[tuple[Center, float | None]]:
    """Centers whose territory covers the department, nearest seat first.

    Answers "¿qué centro atiende mi región?".
    """
    centers = [
        c
        for c in (within or registry.current()).centers
        if any(d.code == department.code for d in c.territory.all())
    ]
    ranked = [(c, _distance(c, department)) for c in centers]
    return sorted(
        ranked, key=lambda pair: (pair[1] if pair[1] is not None else math.inf, pair[0].name)
    )
