"""Survey invitations in the read model: one row per unit invited to a published survey,
from a source above this app (`citesmart.surveys`).

analytics sits below surveys and never imports it. surveys registers a `Provider` here from
its AppConfig.ready(); every build of the read model copies the provider's rows into the
generation's `survey_units` table, and a refresh rewrites it when the provider's version
moves (an invitation, an answer, a drawn wave, an edited report) or the registry's names
change. `analytics.surveyresults` estimates from it; `analytics check` reconciles its counts.

A row says where the unit stands in the design (stratum, N_h), which domains it belongs to
(center, chain, category, programme, year: codes and names of the registry) and, for each
indicator the provider declares, its answer as 1, 0 or none. Never the unit, its name,
document or contact, nor an answer's comment: nothing here can say who answered what.
"""

# SQL here is assembled from constant identifiers and checked indicator codes only.
# ruff: noqa: S608

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

TABLE = "survey_units"
# (column, DuckDB type, Arrow type): the fixed columns, then one BOOLEAN per indicator.
FIXED = (
    ("stratum", "VARCHAR NOT NULL", pa.string()),  # the design's stratum (a key, nothing more)
    ("population", "INTEGER NOT NULL", pa.int32()),  # N_h of the stratum
    ("center_code", "VARCHAR NOT NULL", pa.string()),
    ("center_name", "VARCHAR NOT NULL", pa.string()),
    ("chain_code", "VARCHAR", pa.string()),
    ("chain_name", "VARCHAR", pa.string()),
    ("category_code", "VARCHAR", pa.string()),
    ("category_name", "VARCHAR", pa.string()),
    ("programme_code", "VARCHAR", pa.string()),
    ("programme_name", "VARCHAR", pa.string()),
    ("year", "INTEGER NOT NULL", pa.int32()),  # the year the service ended
    ("kind", "VARCHAR NOT NULL", pa.string()),  # the survey: satisfaction or follow-up
    ("responded", "BOOLEAN NOT NULL", pa.bool_()),  # the invitation has an answer
)
PREFIX = "v_"  # an indicator's column: v_<code>
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class Row:
    """One invitation of a published survey (a drawn wave's, or a satisfaction survey's)."""

    stratum: str
    population: int
    center_code: str
    center_name: str
    chain_code: str | None
    chain_name: str | None
    category_code: str | None
    category_name: str | None
    programme_code: str | None
    programme_name: str | None
    year: int
    kind: str
    responded: bool
    values: Mapping[str, bool | None]  # indicator code -> 1, 0 or None (no answer to it)


@dataclass(frozen=True)
class Provider:
    """A source of survey invitations.

    `indicators`: (code, survey kind) of every indicator its rows carry a value for;
    `rows()`: one `Row` per invitation; `version()`: a short text that changes whenever the
    rows may have changed (cheap: read at every freshness check); `totals()`: invitations
    and answers per (center code, kind), counted by the database itself (what `analytics
    check` reconciles the read model with); `models()`: the models whose writes change them
    (for the push triggers on PostgreSQL).
    """

    name: str
    indicators: Sequence[tuple[str, str]]
    rows: Callable[[], Iterable[Row]]
    version: Callable[[], str]
    totals: Callable[[], dict[tuple[str, str], tuple[int, int]]]
    models: Callable[[], Sequence[type]] = field(default=lambda: ())


_providers: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Called from the providing app's AppConfig.ready() (idempotent by name)."""
    for code, _kind in provider.indicators:
        if not _CODE.match(code):
            raise ValueError(f"Código de indicador no válido: {code!r}")
    _providers[provider.name] = provider


def providers() -> list[Provider]:
    return [_providers[name] for name in sorted(_providers)]


def indicators() -> dict[str, str]:
    """Indicator code -> the survey kind whose invitations it is estimated over."""
    found: dict[str, str] = {}
    for provider in providers():
        for code, kind in provider.indicators:
            if found.setdefault(code, kind) != kind:
                raise ValueError(f"El indicador {code!r} se declaró con dos encuestas.")
    return found


def version() -> str:
    """The providers' versions and indicators together ("" without providers)."""
    return "|".join(
        f"{p.name}:{p.version()}:{','.join(code for code, _ in p.indicators)}" for p in providers()
    )


def models() -> list[type]:
    return [model for p in providers() for model in p.models()]


def column(indicator: str) -> str:
    return PREFIX + indicator


def table() -> pa.Table:
    """Every provider's rows as one Arrow table."""
    codes = sorted(indicators())
    data: dict[str, list] = {name: [] for name, *_ in FIXED} | {column(c): [] for c in codes}
    for provider in providers():
        for row in provider.rows():
            for name, *_ in FIXED:
                data[name].append(getattr(row, name))
            for code in codes:
                value = row.values.get(code)
                data[column(code)].append(None if value is None else bool(value))
    types = [kind for _, _, kind in FIXED] + [pa.bool_()] * len(codes)
    return pa.table(
        {
            name: pa.array(values, type=kind)
            for (name, values), kind in zip(data.items(), types, strict=True)
        }
    )


def write(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """Replace the generation's survey table with `rows` (within the caller's transaction)."""
    fixed = [f"{name} {kind}" for name, kind, _ in FIXED]
    flags = [f"{name} BOOLEAN" for name in rows.column_names[len(FIXED) :]]
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} ({', '.join(fixed + flags)})")
    if rows.num_rows:
        con.register("survey_rows", rows)
        con.execute(f"INSERT INTO {TABLE} SELECT * FROM survey_rows")
        con.unregister("survey_rows")


def expected_totals() -> dict[tuple[str, str], tuple[int, int]]:
    """(invitations, answers) per (center code, kind) as the providers' tables count them."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for provider in providers():
        for key, (invited, answered) in provider.totals().items():
            before = found.get(key, (0, 0))
            found[key] = (before[0] + int(invited), before[1] + int(answered))
    return found


def stored_totals(cursor: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[int, int]]:
    """(invitations, answers) per (center code, kind) in a generation's survey table."""
    rows = cursor.execute(
        f"SELECT center_code, kind, count(*), count(*) FILTER (WHERE responded) "
        f"FROM {TABLE} GROUP BY ALL"
    ).fetchall()
    return {(c, k): (int(n), int(r)) for c, k, n, r in rows}
