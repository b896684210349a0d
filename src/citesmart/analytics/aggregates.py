"""Historic aggregates in the read model: services per center, month and category from a
source above this app (ITP's institutional tables, `citesmart.historic`).

analytics sits below historic and never imports it. historic registers a `Provider` here
from its AppConfig.ready(); every build of the read model then copies the provider's rows
into the generation's `agg_services` table, and a refresh rewrites that table when the
provider's version moves (a load or a revert of ITP's tables). `analytics.series` reads it
to answer one series from aggregates and records (docs/COUNTING.md, "One series").
"""

# SQL here is assembled from constant identifiers only.
# ruff: noqa: S608

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

TABLE = "agg_services"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (center_code VARCHAR NOT NULL, year INTEGER NOT NULL, "
    "month INTEGER NOT NULL, category_code VARCHAR NOT NULL, services BIGINT NOT NULL)"
)
COLUMNS = ("center_code", "year", "month", "category_code", "services")

Row = tuple[str, int, int, str, int]  # center code, year, month 1..12, category code, services


@dataclass(frozen=True)
class Provider:
    """A source of historic aggregates.

    `rows()`: every (center code, year, month, category code, services), at most one per key;
    `version()`: a short text that changes whenever those rows may have changed (cheap: it is
    read at every freshness check); `totals()`: services per (center code, year), summed by
    the database itself (what `analytics check` reconciles the read model with);
    `models()`: the models whose writes change them (for the push triggers on PostgreSQL).
    """

    name: str
    rows: Callable[[], Iterable[Row]]
    version: Callable[[], str]
    totals: Callable[[], dict[tuple[str, int], int]]
    models: Callable[[], Sequence[type]] = field(default=lambda: ())


_providers: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Called from the providing app's AppConfig.ready() (idempotent by name)."""
    _providers[provider.name] = provider


def providers() -> list[Provider]:
    return [_providers[name] for name in sorted(_providers)]


def version() -> str:
    """The providers' versions together ("" without providers)."""
    return "|".join(f"{p.name}:{p.version()}" for p in providers())


def models() -> list[type]:
    return [model for p in providers() for model in p.models()]


def table() -> pa.Table:
    """Every provider's rows as one Arrow table (summed by key across providers)."""
    totals: dict[tuple[str, int, int, str], int] = {}
    for provider in providers():
        for center, year, month, category, services in provider.rows():
            key = (center, int(year), int(month), category)
            totals[key] = totals.get(key, 0) + int(services)
    rows = [(*key, n) for key, n in sorted(totals.items())]
    columns = list(zip(*rows, strict=True)) or [() for _ in COLUMNS]
    types = (pa.string(), pa.int32(), pa.int32(), pa.string(), pa.int64())
    return pa.table(
        {
            name: pa.array(list(values), type=kind)
            for name, values, kind in zip(COLUMNS, columns, types, strict=True)
        }
    )


def write(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """Replace the generation's aggregates with `rows` (within the caller's transaction)."""
    con.execute(DDL)
    con.execute(f"DELETE FROM {TABLE}")
    if rows.num_rows:
        con.register("aggregate_rows", rows)
        con.execute(f"INSERT INTO {TABLE} SELECT * FROM aggregate_rows")
        con.unregister("aggregate_rows")


def expected_totals() -> dict[tuple[str, int], int]:
    """Services per (center, year) as the providers' own tables sum them."""
    found: dict[tuple[str, int], int] = {}
    for provider in providers():
        for key, services in provider.totals().items():
            found[key] = found.get(key, 0) + int(services)
    return found


def stored_totals(cursor: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], int]:
    """Services per (center, year) in a generation's aggregates."""
    rows = cursor.execute(
        f"SELECT center_code, year, sum(services) FROM {TABLE} GROUP BY ALL"
    ).fetchall()
    return {(c, int(y)): int(n) for c, y, n in rows}
