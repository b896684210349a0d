"""The freshness watermark of the records: which reports and units changed after an anchor.

Per watched table, a window after an anchor (the overlap, 10 minutes, behind the newest
`updated_at`): its count, latest value and checksum (`windows`), compared with what the last
build saw to tell whether anything changed, and the rows in it (`changed_since`) to tell which.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from citesmart.records.models import ServiceReport
from citesmart.units.models import ProductiveUnit

logger = logging.getLogger(__name__)
_warned_hidden = False  # the fallback below is logged once per process


def changed_since(anchors: dict[str, str]) -> dict[str, dict[int, int]]:
    """Per watched table, its rows whose updated_at is after the table's anchor: id ->
    updated_at in microseconds since the epoch (what refresh compares with what it saw).

    Counted by the database, as integers: after a bulk load every row stays in the window for
    the overlap (10 minutes), and parsing their timestamps in Python made each refresh of
    that time 0.2 s longer per 10,000 rows.
    """
    found = {}
    for name, model in WATCHED.items():
        sql = f"SELECT id, {_micros_sql()} FROM {model._meta.db_table} WHERE updated_at > %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [connection.ops.adapt_datetimefield_value(_parse(anchors[name]))])
            found[name] = dict(cursor.fetchall())
    return found


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: exact, unlike a float timestamp."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- freshness watermark -------------------------------------------------------------------

WATCHED: dict[str, type[ServiceReport] | type[ProductiveUnit]] = {
    "reports": ServiceReport,
    "units": ProductiveUnit,
}


@dataclass(frozen=True)
class Window:
    """What the rows changed since `anchor` look like: any commit in the window changes it."""

    anchor: str
    count: int
    latest: str
    checksum: int


def new_anchors(overlap: float, margin: float) -> dict[str, str]:
    """Per table: now (or the latest updated_at, if a clock runs ahead) minus the overlap
    allowed for late commits and clocks.

    Not the latest updated_at alone: after a bulk load (the demo data, a migration) and no
    change since, every loaded row would stay in the window and each freshness check would
    sum them all (0.4 s a second on the demo data).

    On PostgreSQL the window reaches back only to the start of the oldest transaction still
    open, less `margin` for the clocks: any transaction that began earlier has committed or
    rolled back, so no row older than that can still appear. While operators import all day
    the window then holds a minute of rows rather than ten, and each refresh reads and
    compares ten times fewer. Never wider than the overlap.
    """
    settled = _settled()
    anchors = {}
    for name, model in WATCHED.items():
        latest = model.objects.aggregate(latest=Max("updated_at"))["latest"]
        newest = max(latest or datetime(2000, 1, 1, tzinfo=UTC), timezone.now())
        anchor = newest - timedelta(seconds=overlap)
        if settled is not None:
            narrow = min(settled, newest) - timedelta(seconds=margin)
            anchor = max(anchor, narrow)
        anchors[name] = anchor.isoformat()
    return anchors


def _settled() -> datetime | None:
    """PostgreSQL: the start of the oldest transaction open in this database now, or now.
    None on SQLite, and when some session's state is hidden from this role (another role's,
    without pg_read_all_stats): then the whole overlap is kept."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        # A session hidden from this role shows no state, no xact_start and no backend_type
        # (all NULL), only its database and pid.
        cursor.execute(
            "SELECT statement_timestamp(), min(xact_start), "
            "COALESCE(bool_or(backend_type IS NULL), false) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND (backend_type = 'client backend' OR backend_type IS NULL)"
        )
        now, oldest, hidden = cursor.fetchone()
    if hidden:
        _warn_hidden()
        return None
    return min(now, oldest) if oldest is not None else now


def _warn_hidden() -> None:
    global _warned_hidden
    if not _warned_hidden:
        _warned_hidden = True
        logger.warning(
            "analytics: otra sesión de la base oculta su estado a este rol; cada refresco lee "
            "los cambios de todo el solape (ANALYTICS_OVERLAP_SECONDS). Conceda "
            "pg_read_all_stats al rol de la aplicación (docs/DEPLOYMENT.md §1)."
        )


def windows(anchors: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The watermark: count, max and a checksum of updated_at per table, after each anchor.

    Cheap: reports have an index on updated_at, units are a single scan. A transaction that
    commits late, with an updated_at older than the max already seen, still changes the count
    or the checksum as long as its rows fall after the anchor (the overlap, 10 minutes).
    """
    found = {}
    for name, model in WATCHED.items():
        anchor = _parse(anchors[name])
        sql = (
            f"SELECT COUNT(*), CAST(MAX(updated_at) AS TEXT), {_checksum_sql()} "
            f"FROM {model._meta.db_table} WHERE updated_at > %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [connection.ops.adapt_datetimefield_value(anchor)])
            count, latest, checksum = cursor.fetchone()
        found[name] = asdict(Window(anchors[name], int(count), latest or "", int(checksum or 0)))
    return found


def _checksum_sql() -> str:
    # Each timestamp in microseconds is reduced modulo a prime before summing: a plain sum of
    # 10^15-sized values overflows SQLite's 64-bit integers after a few thousand rows.
    return f"SUM({_micros_sql()} %% 1000000007)"


def _micros_sql() -> str:
    """updated_at in microseconds since the epoch, exactly as micros() counts it."""
    if connection.vendor == "postgresql":
        return "(EXTRACT(EPOCH FROM updated_at) * 1000000)::bigint"
    # SQLite keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; seconds and microseconds apart.
    return (
        "(CAST(strftime('%%s', updated_at) AS INTEGER) * 1000000"
        " + CAST(substr(updated_at || '.000000', 21, 6) AS INTEGER))"
    )


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)
