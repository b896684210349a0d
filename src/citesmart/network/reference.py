"""Loads the real CITE network (data/cites.csv) and the initial vocabularies. Idempotent."""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from citesmart.geo.queries import find_department, find_districts_by_name
from citesmart.network.history import load_history
from citesmart.network.models import (
    Center,
    CenterTerritory,
    Chain,
    Modality,
    Programme,
    ServiceCategory,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

# ITP's eight service subcategories (DOMAIN.md), in ITP's order.
CATEGORIES = [
    ("asistencia-tecnica", "Asistencia técnica"),
    ("capacitacion", "Capacitación"),
    ("certificacion-competencias", "Certificación de competencias laborales"),
    ("diseno-desarrollo", "Diseño y desarrollo de productos"),
    ("ensayos-laboratorio", "Ensayos de laboratorio"),
    ("informacion-tecnologica", "Información tecnológica especializada"),
    ("idi", "Promoción de investigación, desarrollo y gestión de la innovación (I+D+i)"),
    ("soporte-productivo", "Soporte productivo"),
]

PROGRAMMES = [
    {
        "code": "economia-circular-eficiencia-energetica",
        "name": "Servicios de economía circular y eficiencia energética",
        "funders": "AECID, GIZ",
        "themes": (
            "Economía circular, eficiencia energética, residuos, subproductos, agua, ecodiseño"
        ),
        "description": (
            "50 servicios diseñados con AECID y GIZ en 12 CITE, "
            "gratuitos hasta el 30 de junio de 2026."
        ),
        "ends_on": "2026-06-30",
    },
    {
        "code": "vales-mype-2020",
        "name": "Vales de servicios tecnológicos para MIPYME",
        "funders": "ITP",
        "themes": "Reactivación económica",
        "description": (
            "Vales de hasta S/ 4 300 por MIPYME (RE 76-2020-ITP/DE), "
            "con topes por tipo de servicio."
        ),
    },
]

MODALITIES = [("cdpd", "Centro de desarrollo productivo digital (CDPD)")]

KINDS = {
    "public": Center.Kind.PUBLIC,
    "private": Center.Kind.PRIVATE,
    "unidad_tecnica": Center.Kind.TECHNICAL_UNIT,
}


@dataclass
class NetworkReport:
    centers: int = 0
    chains: int = 0
    warnings: list[str] = field(default_factory=list)


def center_code(name: str) -> str:
    return slugify(name)[:80]


def _seat_district(city: str, department):
    """The district named by the source's city, or None when it is missing or ambiguous."""
    city = re.sub(r"\(.*?\)", "", city).strip()
    if not city or department is None:
        return None
    matches = find_districts_by_name(city, department=department)
    return matches[0] if len(matches) == 1 else None


def _load_vocabularies() -> None:
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        ServiceCategory.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    for values in PROGRAMMES:
        Programme.objects.update_or_create(code=values["code"], defaults=values)
    for code, name in MODALITIES:
        Modality.objects.update_or_create(code=code, defaults={"name": name})


def _load_center(row: dict[str, str], report: NetworkReport) -> Center:
    department = find_department(row["department"]) if row["department"] else None
    if row["department"] and department is None:
        report.warnings.append(f"{row['name']}: departamento desconocido «{row['department']}».")
    district = _seat_district(row["city"], department)
    if row["city"] and department and district is None:
        report.warnings.append(f"{row['name']}: no se ubicó el distrito de «{row['city']}».")
    center, _ = Center.objects.update_or_create(
        code=center_code(row["name"]),
        defaults={
            "name": row["name"],
            "kind": KINDS[row["kind"]],
            "department": department,
            "district": district,
            "locality": row["city"],
            "created_year": int(row["created_year"]) if row["created_year"] else None,
            "source_url": row["source_url"],
            "source_notes": row["notes"],
        },
    )
    if department is not None and not center.scope.filter(department=department).exists():
        # The seat's department, undated: history.py dates it when an event names its start.
        CenterTerritory.objects.create(
            center=center, department=department, source=row["source_url"]
        )
    for chain_name in filter(None, (c.strip() for c in row["chains"].split(";"))):
        chain, created = Chain.objects.get_or_create(
            code=slugify(chain_name), defaults={"name": chain_name[0].upper() + chain_name[1:]}
        )
        report.chains += created
        center.chains.add(chain)
    return center


@transaction.atomic
def load_network(path: Path = DATA_DIR / "cites.csv") -> NetworkReport:
    """Create or update the categories, programmes, chains and centers of the real network."""
    _load_vocabularies()
    report = NetworkReport()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    centers = {row["name"]: _load_center(row, report) for row in rows}
    for row in rows:
        center = centers[row["name"]]
        parent = centers.get(row["parent_cite"]) if row["parent_cite"] else None
        if parent is not None and center.parent_id != parent.pk:
            center.parent = parent
            center.full_clean()
            center.save(update_fields=["parent"])
    report.warnings += load_history()
    for unit in Center.objects.filter(kind=Center.Kind.TECHNICAL_UNIT, parent=None):
        report.warnings.append(f"{unit.name}: unidad técnica sin CITE del que depende en la fuente")
    report.centers = Center.objects.count()
    report.chains = Chain.objects.count()
    return report
