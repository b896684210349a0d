"""The network's dated facts, loaded from data/events.csv (the ministry's 2025 changes).

The sources name only the year of each change: a fact "since 2025" is stored from
1 January of that year (SOURCES.md says so). Every fact keeps its source. Idempotent: a fact
already held (same center, department or modality, and start) is left as it is, so an edit
made in the back office since is kept.
"""

import csv
from datetime import date
from pathlib import Path
from typing import Any

from citesmart.geo.queries import find_department
from citesmart.lib.text import fold
from citesmart.network.models import (
    Center,
    CenterModality,
    CenterName,
    CenterTerritory,
    Chain,
    LegalAct,
    Modality,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

# The rename the sources date exactly (El Peruano, RCD 000009-2024-ITP/PCD).
RENAMES: list[dict[str, Any]] = [
    {
        "center": "CITEmadera y del Mueble Lima",
        "old_name": "CITEmadera Lima",
        "number": "RCD 000009-2024-ITP/PCD",
        "date": date(2024, 12, 4),
        "source": "https://busquedas.elperuano.pe/api/visor_html/2351255-1",
    }
]


def _find(centers: dict[str, Center], name: str) -> Center | None:
    return centers.get(fold(name))


def _technical_unit(centers: dict[str, Center], row: dict[str, str]) -> Center:
    """The technical unit of the row's department, created when the reference lacks it."""
    department = find_department(row["department"])
    if department is None:
        raise ValueError(f"events.csv: departamento desconocido «{row['department']}»")
    for center in centers.values():
        if (
            center.kind == Center.Kind.TECHNICAL_UNIT
            and center.department_id == department.pk
            and center.created_year == int(row["year"])
        ):
            return center
    name = f"Unidad técnica agroindustrial {department.name}"
    center, _ = Center.objects.get_or_create(
        code=f"ut-agroindustrial-{fold(department.name).replace(' ', '-')}",
        defaults={
            "name": name,
            "kind": Center.Kind.TECHNICAL_UNIT,
            "department": department,
            "created_year": int(row["year"]),
            "source_url": row["source_url"],
            "source_notes": row["detail"] + " (nombre descriptivo: la nota no da el oficial).",
        },
    )
    # "Agro-industrial technical unit": the note names its chain.
    chain, _ = Chain.objects.get_or_create(code="agroindustria", defaults={"name": "Agroindustria"})
    center.chains.add(chain)
    centers[fold(name)] = center
    return center


def _dated(model, center: Center, since: date, source: str, **link) -> None:
    # The seat's undated row (reference.py) gets the start the event names.
    model.objects.filter(center=center, since__isnull=True, **link).update(
        since=since, source=source
    )
    model.objects.get_or_create(center=center, since=since, **link, defaults={"source": source})


def _apply(row: dict[str, str], center: Center | None, centers, warnings: list[str]) -> None:
    since, source, event = date(int(row["year"]), 1, 1), row["source_url"], row["event"]
    if event == "technical_unit_created":
        center = _technical_unit(centers, row)
    if center is None:
        if event != "programme":  # the programme is loaded with its dates (reference.py)
            warnings.append(f"events.csv: centro desconocido «{row['center']}» ({event}).")
        return
    if event in ("opened", "technical_unit_created") and center.active_from is None:
        Center.objects.filter(pk=center.pk).update(active_from=since)
        center.active_from = since
    if event in ("opened", "technical_unit_created", "scope_extension") and row["department"]:
        department = find_department(row["department"])
        _dated(CenterTerritory, center, since, source, department=department)
    elif event == "cdpd_designation":
        _dated(CenterModality, center, since, source, modality=Modality.objects.get(code="cdpd"))
    elif event == "chain_added":
        chain, _ = Chain.objects.get_or_create(code="acuicultura", defaults={"name": "Acuicultura"})
        center.chains.add(chain)


def _renames(centers: dict[str, Center]) -> None:
    for fact in RENAMES:
        center = _find(centers, fact["center"])
        if center is None:
            continue
        LegalAct.objects.get_or_create(
            center=center,
            number=fact["number"],
            defaults={
                "kind": LegalAct.Kind.NAME,
                "date": fact["date"],
                "summary": f"Cambio de denominación: {fact['old_name']} → {center.name}",
                "document_url": fact["source"],
            },
        )
        CenterName.objects.get_or_create(
            center=center,
            name=fact["old_name"],
            defaults={"valid_to": fact["date"], "source": fact["number"]},
        )


def load_history(path: Path = DATA_DIR / "events.csv") -> list[str]:
    """Apply the dated facts of the reference to the loaded centers; returns warnings."""
    centers = {fold(c.name): c for c in Center.objects.all()}
    warnings: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            _apply(row, _find(centers, row["center"]) if row["center"] else None, centers, warnings)
    _renames(centers)
    return warnings
