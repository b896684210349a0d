"""Choropleth map of Peru by department, as server-rendered SVG with links and tooltips.

Boundaries come from geo.Department (INEI via geo/data). They are projected once per process
(plate carrée scaled by cos(latitude), good enough for a country this size) and rounded to
whole pixels, which keeps the whole map near 25 KB compressed.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from citesmart.geo.models import Department
from citesmart.presentation.formatting import number

WIDTH = 420
# Colour-blind-safe sequential blues (ColorBrewer "Blues"), light to dark; text stays readable.
SCALE = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
EMPTY = "#eeeeee"
LON0, LON1, LAT0, LAT1 = -81.4, -68.6, -18.4, 0.1
KX = math.cos(math.radians(9.5))


def _project(lon: float, lat: float, k: float) -> tuple[int, int]:
    return round((lon - LON0) * KX * k), round((LAT1 - lat) * k)


def _scale() -> float:
    return WIDTH / ((LON1 - LON0) * KX)


def height() -> int:
    return round((LAT1 - LAT0) * _scale())


def _ring_path(ring: Sequence[Sequence[float]], k: float) -> str:
    points: list[tuple[int, int]] = []
    for lon, lat in ring:
        p = _project(lon, lat, k)
        if not points or p != points[-1]:
            points.append(p)
    if len(points) < 3:
        return ""
    return "M" + "L".join(f"{x} {y}" for x, y in points) + "Z"


@lru_cache(maxsize=1)
def department_paths() -> dict[str, tuple[str, str]]:
    """{ubigeo: (name, svg path)} for the 25 departments."""
    k = _scale()
    paths = {}
    for dept in Department.objects.order_by("code"):
        geometry = dept.boundary or {"type": "Polygon", "coordinates": []}
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        d = "".join(_ring_path(ring, k) for polygon in polygons for ring in polygon)
        paths[dept.code] = (dept.name, d)
    return paths


def classes(values: Sequence[float], n: int = len(SCALE)) -> list[float]:
    """Upper bounds of n quantile classes over the non-zero values."""
    data = sorted(v for v in values if v > 0)
    if not data:
        return []
    return [data[min(len(data) - 1, math.ceil(len(data) * (i + 1) / n) - 1)] for i in range(n)]


def colour(value: float, bounds: Sequence[float]) -> str:
    if value <= 0 or not bounds:
        return EMPTY
    for bound, fill in zip(bounds, SCALE, strict=False):
        if value <= bound:
            return fill
    return SCALE[-1]


@dataclass(frozen=True)
class Marker:
    lat: float
    lon: float
    title: str
    href: str


def choropleth(
    values: Mapping[str, float],
    *,
    measure_label: str,
    href: Callable[[str], str],
    markers: Sequence[Marker] = (),
    label: str,
    reserved: frozenset[str] = frozenset(),
) -> tuple[SafeString, list[tuple[str, str]]]:
    """The map SVG and its legend [(swatch class q0..q5, text)]; each department links to
    `href(code)`. A department in `reserved` (statistical secrecy) is hatched, never drawn
    as 0."""
    bounds = classes(list(values.values()))
    k = _scale()
    out = [
        # A group, not an image: its department and center links must stay reachable.
        f'<svg class="map" viewBox="0 0 {WIDTH} {height()}" role="group" '
        f'aria-label="{escape(label)}">'
    ]
    if reserved:
        out.append(
            '<defs><pattern id="reservado" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            '<rect width="2.5" height="6" fill="#8a96a3"/></pattern></defs>'
        )
    for code, (name, d) in department_paths().items():
        value = values.get(code, 0)
        tip = f"{name}: {number(value)} {measure_label}"
        fill = colour(value, bounds)
        if code in reserved:
            tip, fill = f"{name}: reservado por secreto estadístico", "url(#reservado)"
        out.append(
            f'<a href="{escape(href(code))}" data-dept="{code}" data-live-link '
            f'aria-label="{escape(tip)}">'
            f'<path class="dept" d="{d}" fill="{fill}">'
            f"<title>{escape(tip)}</title></path></a>"
        )
    for m in markers:
        x, y = _project(m.lon, m.lat, k)
        out.append(
            f'<a href="{escape(m.href)}" aria-label="{escape(m.title)}">'
            f'<circle class="center" cx="{x}" cy="{y}" r="3.5">'
            f"<title>{escape(m.title)}</title></circle></a>"
        )
    out.append("</svg>")
    legend = [("q0", "0")]
    lower = 1.0
    for i, bound in enumerate(bounds[: len(SCALE)], start=1):
        if bound >= lower:
            legend.append((f"q{i}", f"{number(lower)} – {number(bound)}"))
            lower = bound + 1
    if reserved:
        legend.append(("reserved", "reservado (secreto estadístico)"))
    return mark_safe("".join(out)), legend
