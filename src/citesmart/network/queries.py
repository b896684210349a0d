"""Public reads of the registry: centers and the service catalogue, as the portal shows them."""

import difflib
import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from citesmart.geo.models import Department
from citesmart.lib.text import fold
from citesmart.network import registry
from citesmart.network.models import CatalogueService, Center
from citesmart.network.registry import Registry


class UnknownCenter(ValueError):
    """No center by that code or name; the Spanish message suggests the closest names."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def find_center(text: str) -> Center:
    """A center by code or by name, ignoring case and accents; UnknownCenter if none.

    The command line and the spreadsheet loaders (service reports, targets, reports) name
    a center this way.
    """
    wanted = (text or "").strip()
    center = (
        Center.objects.filter(code__iexact=wanted).first()
        or Center.objects.filter(code=fold(wanted).replace(" ", "-")).first()
        or Center.objects.filter(search_name=fold(wanted)).first()
    )
    if center is not None:
        return center
    names = list(Center.objects.values_list("name", flat=True))
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    hint = f" ¿Quiso decir {', '.join(f'«{n}»' for n in close)}?" if close else ""
    raise UnknownCenter(f"No existe el centro «{wanted}»; indique su código o su nombre.{hint}")


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
        .prefetch_related(
            "chains", _territory(), "modalities", "scope", "modality_periods__modality"
        )
    )


def in_scope(department_code: str, day: date) -> Q:
    """Centers whose scope covers the department on `day`."""
    return Q(
        Q(scope__since__isnull=True) | Q(scope__since__lte=day),
        Q(scope__until__isnull=True) | Q(scope__until__gte=day),
        scope__department_id=department_code,
    )


def scope_on(center: Center, day: date) -> list[str]:
    """Department codes of the center's scope on `day` (prefetched by public_centers)."""
    return sorted({p.department_id for p in center.scope.all() if p.valid_on(day)})


def modalities_on(center: Center, day: date) -> list[str]:
    return sorted({p.modality.code for p in center.modality_periods.all() if p.valid_on(day)})


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
    served: Collection[str] = (),
    within: Registry | None = None,
) -> list[CatalogueHit]:
    """Catalogue services matching every given criterion.

    Words match name, description, center and category ignoring accents and case. With a
    department, only centers whose scope covers it today or whose code is in `served` (they
    delivered services there lately), nearest seats first. A service whose programme has
    ended is not free. Searches the in-memory registry (`within`, by default the current
    one): no query.
    """
    terms = fold(words).split()
    hits = []
    for entry in (within or registry.current()).entries:  # by center name, service name
        service = entry.service
        if (
            (chain and chain not in entry.chains)
            or (category and service.category.code != category)
            or (free_only and not service.is_free_now)
            or (programme and (service.programme is None or service.programme.code != programme))
            or (
                department is not None
                and department.code not in entry.territory
                and service.center.code not in served
            )
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
    department: Department, *, served: Collection[str] = (), within: Registry | None = None
) -> list[tuple[Center, float | None]]:
    """Centers whose scope covers the department today, or that delivered services there
    lately (their codes in `served`), nearest seat first.

    Answers "¿qué centro atiende mi región?".
    """
    centers = [
        c
        for c in (within or registry.current()).centers
        if department.code in c.scope_codes or c.code in served
    ]
    ranked = [(c, _distance(c, department)) for c in centers]
    return sorted(
        ranked, key=lambda pair: (pair[1] if pair[1] is not None else math.inf, pair[0].name)
    )
