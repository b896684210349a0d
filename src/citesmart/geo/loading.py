"""Loads the ubigeo reference files shipped in geo/data/ (see data/SOURCES.md)."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction
from django.dispatch import Signal

from citesmart.geo.models import Department, District, Province
from citesmart.lib.text import fold

DATA_DIR = Path(__file__).resolve().parent / "data"

# Sent inside the load's transaction once the rows are written. Bulk upserts send no model
# signals, so whoever keeps a copy of the geography listens to this one: the registry
# (network.registry.connect_signals) notes a new version, as for any other geo write.
geography_loaded = Signal()


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _boundaries(name: str) -> dict[str, dict]:
    collection = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    return {feature["id"]: feature["geometry"] for feature in collection["features"]}


def _float(value: str) -> float | None:
    return float(value) if value else None


def _upsert(model, objects: list) -> None:
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    model.objects.bulk_create(
        objects, update_conflicts=True, unique_fields=["code"], update_fields=fields, batch_size=500
    )


@transaction.atomic
def load_geography() -> dict[str, int]:
    """Create or update every department, province and district. Safe to run again."""
    _upsert(Department, _departments())
    _upsert(Province, _provinces())
    _upsert(District, _districts())
    geography_loaded.send(sender=Department, what="geo (load_geography)")
    return {
        "departamentos": Department.objects.count(),
        "provincias": Province.objects.count(),
        "distritos": District.objects.count(),
    }


def _named(row: dict[str, str]) -> dict[str, str]:
    """Name, its folded form for lookups, and capital: every level has them."""
    return {"name": row["name"], "search_name": fold(row["name"]), "capital": row["capital"]}


def _centroid(row: dict[str, str]) -> dict[str, float | None]:
    """Centroid and capital coordinates of a department or province row."""
    return {
        "centroid_lat": float(row["centroid_lat"]),
        "centroid_lon": float(row["centroid_lon"]),
        "capital_lat": _float(row["capital_lat"]),
        "capital_lon": _float(row["capital_lon"]),
    }


def _departments() -> list[Department]:
    shapes = _boundaries("peru_departments.geojson")
    return [
        Department(
            code=r["code2"],
            iso_3166_2=r["iso_3166_2"],
            boundary=shapes.get(r["code2"]),
            **_named(r),
            **_centroid(r),
        )
        for r in _rows("ubigeo_departments.csv")
    ]


def _provinces() -> list[Province]:
    shapes = _boundaries("peru_provinces.geojson")
    return [
        Province(
            code=r["code4"],
            department_id=r["department_code2"],
            region=r["region"],
            boundary=shapes.get(r["code4"]),
            **_named(r),
            **_centroid(r),
        )
        for r in _rows("ubigeo_provinces.csv")
    ]


def _districts() -> list[District]:
    return [
        District(
            code=r["code6"],
            province_id=r["province_code4"],
            **_named(r),
            department_id=r["department_code2"],
            capital_lat=_float(r["lat"]),
            capital_lon=_float(r["lon"]),
        )
        for r in _rows("ubigeo_districts.csv")
    ]
