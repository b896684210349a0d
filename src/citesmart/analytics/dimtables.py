"""The read model's small dimension tables, read from the registry, geography and choices.

Facts carry codes; these tables carry the names (and the ubigeo hierarchy), so a rename in
the registry rewrites a few thousand rows, not the facts (see build.py and schema.py).
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from citesmart.geo.models import Department, District, Province
from citesmart.network.models import CatalogueService, Center, Chain, Programme, ServiceCategory
from citesmart.units.models import ClientType, SizeClass


def dimension_tables() -> dict[str, pa.Table]:
    """The registry, geography and choices as small Arrow tables (a few thousand rows)."""
    centers = list(
        Center.objects.values_list("id", "code", "name", "kind", "parent__code", "parent__name")
    )
    districts = list(
        District.objects.values_list(
            "code", "name", "province_id", "province__name", "department_id", "department__name"
        )
    )
    return {
        "dim_center": _table(
            ["id", "code", "name", "kind", "cite_code", "cite_name"],
            [(i, c, n, k, pc or c, pn or n) for i, c, n, k, pc, pn in centers],
        ),
        "dim_chain": _table(
            ["id", "code", "name"], Chain.objects.values_list("id", "code", "name")
        ),
        "dim_category": _table(
            ["id", "code", "name"], ServiceCategory.objects.values_list("id", "code", "name")
        ),
        "dim_programme": _table(
            ["id", "code", "name"], Programme.objects.values_list("id", "code", "name")
        ),
        "dim_catalogue": _table(
            ["id", "name", "center_code"],
            CatalogueService.objects.values_list("id", "name", "center__code"),
        ),
        "dim_department": _table(["code", "name"], Department.objects.values_list("code", "name")),
        "dim_province": _table(
            ["code", "name", "department_code"],
            Province.objects.values_list("code", "name", "department_id"),
        ),
        "dim_district": _table(
            [
                *("code", "name", "province_code", "province_name"),
                *("department_code", "department_name"),
            ],
            districts,
        ),
        "dim_client_type": _table(["code", "name"], [(c, str(n)) for c, n in ClientType.choices]),
        "dim_size_class": _table(["code", "name"], [(c, str(n)) for c, n in SizeClass.choices]),
        "dim_center_kind": _table(["code", "name"], [(c, str(n)) for c, n in Center.Kind.choices]),
    }


def _table(names: list[str], rows: Iterable[Sequence[Any]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) or [() for _ in names]
    return pa.table({name: list(values) for name, values in zip(names, columns, strict=True)})


def dimensions_digest(tables: dict[str, pa.Table]) -> str:
    """A digest of every name and code: when it moves, the labels in the facts are rewritten."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode())
        digest.update(repr(tables[name].to_pydict()).encode())
    return digest.hexdigest()
