"""Writing a generation of the read model: a rebuild from scratch, or an incremental refresh.

Called by analytics.refresh (which holds the writer lock and decides which one runs); split
from it so that each module stays readable. See refresh.py for freshness and recovery.
"""

# SQL here is assembled from constant identifiers only; every value is a bound parameter.
# ruff: noqa: S608

import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.utils import timezone

from citesmart.analytics import (
    aggregates,
    conf,
    connection,
    cube,
    cubebits,
    dimtables,
    recordkey,
    schema,
    sharedcache,
    source,
    surveyunits,
    watermark,
)
from citesmart.lib.laps import Laps

REBUILD_ABOVE = 100_000  # changed reports + units beyond which a rebuild beats a delta


@dataclass(frozen=True)
class Outcome:
    generation: str  # "" when nothing changed
    kind: str  # "rebuild" | "refresh" | "unchanged"
    reports: int  # reports reloaded (all of them on a rebuild)
    rows: int  # fact rows in the generation
    seconds: float
    phases: str = ""  # where a refresh's time went (lib.laps), for the log
    # Whether a public answer may differ from the previous generation's: False when a
    # refresh left every content version, and the surveys, as they were (registered reports
    # imported), so what was cached for the previous generation still serves.
    public_moved: bool = True


def rebuild_locked(directory: Path) -> Outcome:
    started = time.perf_counter()
    with connection.new_generation(
        directory, copy_current=False, config=conf.build_config()
    ) as con:
        # The watermark is read *before* the data: whatever commits in between is in the
        # data and also moves the watermark, so the worst case is one needless refresh.
        as_of, anchors = timezone.now(), _new_anchors()
        marks = watermark.windows(anchors)
        seen = watermark.changed_since(anchors)  # before the data, like the watermark
        historic, surveys = aggregates.version(), surveyunits.version()
        dimensions = dimtables.dimension_tables()
        schema.create(con)
        aggregates.write(con, aggregates.table())
        surveyunits.write(con, surveyunits.table())
        _store_seen(con, seen, anchors)
        schema.replace_dimensions(con, dimensions)
        # Staged in DuckDB's temp schema (memory, spilling to disk): the file is written once,
        # a year at a time (see schema.RAW_WITH_FIRST_DATES_SQL).
        _load_tables(con)
        con.execute(schema.RAW_VIEW_SQL)
        con.execute(schema.RAW_WITH_FIRST_DATES_SQL)
        con.execute("DROP VIEW temp.batch")
        for name in source.TABLE_READS:
            con.execute(f"DROP TABLE temp.{name}")
        years = con.execute("SELECT DISTINCT year(date) FROM temp.raw_facts ORDER BY 1")
        for (year,) in years.fetchall():
            con.execute(
                schema.enrich_sql().format(
                    name="facts",
                    extra=schema.FIRST_DATES_COLUMNS,
                    # Within a year, rows of one chain sit together: zone maps then skip
                    # most row groups for a chain filter too (and centers follow chains).
                    source=f"(SELECT * FROM temp.raw_facts WHERE year(date) = {int(year)} "
                    "ORDER BY chain_id, center_id)",
                )
            )
        con.execute("DROP TABLE temp.raw_facts")
        cube.build(con)
        rows = _count(con)
        # Distinct reports as a bitmap of their ids: no hash table over 10M rows.
        low, high = con.execute("SELECT min(report_id), max(report_id) FROM facts").fetchone()
        reports = (
            0
            if low is None
            else _count(con, f"bit_count(bitstring_agg(report_id, {int(low)}, {int(high)}))")
        )
        _store_meta(con, as_of, anchors, marks, dimtables.dimensions_digest(dimensions), rows, None)
        schema.write_meta(con, {"aggregates": historic, "surveys": surveys})
    generation = _published(directory)
    return Outcome(generation, "rebuild", reports, rows, time.perf_counter() - started)


def _load_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The services, reports and units tables as they are, into DuckDB temp tables."""
    for name in source.TABLE_READS:
        created = False
        for batch in source.table_batches(name):
            con.register("arrow_batch", batch)
            if not created:
                con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM arrow_batch")
                created = True
            else:
                con.execute(f"INSERT INTO temp.{name} SELECT * FROM arrow_batch")
            con.unregister("arrow_batch")
        if not created:  # an empty table: the columns still have to exist
            columns = ", ".join(
                f"{column} {'BIGINT' if kind == pa.int64() else 'VARCHAR'}"
                for column, kind in source.table_columns(name)
            )
            con.execute(f"CREATE TEMP TABLE {name} ({columns})")


def refresh_locked(directory: Path, meta: dict[str, str]) -> Outcome:
    laps = Laps()
    old_anchors = json.loads(meta["anchors"])
    as_of, anchors = timezone.now(), _new_anchors()
    marks = watermark.windows(anchors)
    dimensions = dimtables.dimension_tables()
    digest = dimtables.dimensions_digest(dimensions)
    historic = aggregates.version()  # ITP's tables (analytics.aggregates), read before them
    surveys = surveyunits.version()  # the surveys' invitations (analytics.surveyunits), too
    if (
        watermark.windows(old_anchors) == json.loads(meta["windows"])
        and digest == meta["digest"]
        and historic == meta.get("aggregates", "")
        and surveys == meta.get("surveys", "")
    ):
        return Outcome("", "unchanged", 0, int(meta["rows"]), laps.seconds)
    laps("marcas")
    changed = watermark.changed_since(old_anchors)
    current = connection.current_path(directory)
    report_ids, unit_ids = _unseen(current, changed)
    laps("cambios")
    if len(report_ids) + len(unit_ids) > REBUILD_ABOVE:
        return rebuild_locked(directory)  # a mass update: one sequential read is cheaper
    with connection.new_generation(directory, copy_current=True, config=conf.build_config()) as con:
        laps("copia")
        _store_seen(con, changed, anchors)
        _begin(con)
        if digest != meta["digest"]:  # the registry changed: its tables, and the labels
            schema.replace_dimensions(con, dimensions)
            schema.rewrite_labels(con)
        # A merge moves services, not reports: add each changed unit's reports, before and now.
        report_ids |= _reports_of_units(con, unit_ids) | source.reports_touching_units(unit_ids)
        years, centers = _reload_reports(con, report_ids)
        laps("registros")
        # The cube holds validated rows only: an import of registered reports leaves it as it
        # was. Codes may have changed with the registry: then every year of it is redone.
        if digest == meta["digest"]:
            cube.build(con, years, changes=_changes(centers, unit_ids) if report_ids else None)
        else:
            cube.build(con, None)
        laps("cubo")
        rows = _count(con)
        # New labels change every answer; otherwise the years and centers whose rows moved.
        versions = sharedcache.renewed(meta, years, centers) if digest == meta["digest"] else None
        if historic != meta.get("aggregates", ""):
            # A load or revert of ITP's tables (rare): the series of every page may move.
            aggregates.write(con, aggregates.table())
            versions = None
        if surveys != meta.get("surveys", "") or digest != meta["digest"]:
            # Survey answers are keyed by the build (analytics.surveyresults): no content
            # version moves. New registry names are copied with the rows.
            surveyunits.write(con, surveyunits.table())
        _store_meta(con, as_of, anchors, marks, digest, rows, versions)
        schema.write_meta(con, {"aggregates": historic, "surveys": surveys})
        con.execute("COMMIT")
        laps("resto")
    laps("cierre")
    generation = _published(directory)
    moved = versions is None or bool(years) or surveys != meta.get("surveys", "")
    return Outcome(generation, "refresh", len(report_ids), rows, laps.seconds, str(laps), moved)


def _begin(con: duckdb.DuckDBPyConnection) -> None:
    """One transaction and one checkpoint, when the generation is complete. Each commit
    fsyncs the WAL, and on ext4 the first fsync waited for the whole copied file to reach the
    disk (0.7-1.6 s at 10M services) instead of letting it be written out while the changes
    are applied; an automatic checkpoint midway (16 MB of WAL by default) wrote and fsynced
    the file a second time."""
    con.execute("SET wal_autocheckpoint = '1TB'")
    con.execute("BEGIN TRANSACTION")


# --- what the last build saw ----------------------------------------------------------------
# The watermark window spans the overlap (10 minutes) for late commits, so the rows changed
# since the old anchors include those a previous build already loaded: while operators keep
# importing, reloading them all at every refresh made each refresh slower than the last.
# Each generation keeps (id, updated_at) of the rows in its window, read before its data;
# the next refresh reloads only rows that are new or whose updated_at moved since.


def _store_seen(
    con: duckdb.DuckDBPyConnection, changed: dict[str, dict[int, int]], anchors: dict[str, str]
) -> None:
    for name, rows in changed.items():
        after = watermark.micros(datetime.fromisoformat(anchors[name]))
        kept = {pk: at for pk, at in rows.items() if at > after}  # the next window's rows
        con.register("seen_rows", _id_table(kept))
        con.execute(f"CREATE OR REPLACE TABLE seen_{name} AS SELECT * FROM seen_rows")
        con.unregister("seen_rows")


def _unseen(current: Path | None, changed: dict[str, dict[int, int]]) -> tuple[set[int], set[int]]:
    """(report ids, unit ids) changed since the current generation read them (all of them
    without one): one short read-only look at its seen tables, compared there (after a bulk
    load both sides hold every loaded row for the overlap)."""
    if current is None or not any(changed.values()):
        return set(changed["reports"]), set(changed["units"])
    found = {}
    with duckdb.connect(str(current), read_only=True) as con:
        for name in ("reports", "units"):
            rows = changed[name]
            con.register("changed_rows", _id_table(rows))
            moved = con.execute(
                f"SELECT c.id FROM changed_rows c LEFT JOIN seen_{name} s ON s.id = c.id"
                " WHERE s.updated_at IS DISTINCT FROM c.updated_at"
            ).fetchall()
            con.unregister("changed_rows")
            found[name] = {pk for (pk,) in moved}
    return found["reports"], found["units"]


def _id_table(rows: dict[int, int]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(list(rows), type=pa.int64()),
            "updated_at": pa.array(list(rows.values()), type=pa.int64()),
        }
    )


def _reload_reports(
    con: duckdb.DuckDBPyConnection, report_ids: set[int]
) -> tuple[set[int], set[str] | None]:
    """Replace the fact rows of these reports with their current rows, then fix first dates.

    Returns the years whose public (validated) figures may have changed: those of validated
    rows that differ before and after (a report reloaded as it was changes nothing; an import
    of registered reports leaves every validated answer as it was), and those a unit's first
    validated service moved from or to; and the centers of those rows, or None (every center)
    when a first service moved (new units may move at any center). Leaves behind, for
    cube.build: `temp.rows_before` and `temp.rows_after` (the old and new fact rows of these
    reports) and `temp.touched_units` (every unit of either: no other unit's rows or first
    dates changed).

    The facts (10M rows) are scanned three times: to take the old rows out, to delete them
    (both while the records are read) and to read the other rows of the touched units; a
    fourth time only when a unit's first service moved and it has rows outside these
    reports. Everything else works on the few thousand rows staged in temp tables.
    """
    if not report_ids:
        return set(), set()
    _stage_rows(con, report_ids)
    _replace_rows(con)
    changed = _changed_years(con)
    con.execute("DROP TABLE temp.unit_firsts")
    return changed


def _stage_rows(con: duckdb.DuckDBPyConnection, report_ids: set[int]) -> None:
    """Take these reports' rows out of the facts (into `temp.rows_before`) and stage their
    current rows (`temp.new_rows`) and every unit of either (`temp.touched_units`)."""
    _temp_ids(con, "touched_reports", report_ids)
    touched = "FROM facts WHERE report_id IN (SELECT id FROM temp.touched_reports)"

    def take_out() -> None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE rows_before AS SELECT * {touched}")
        con.execute(f"DELETE {touched}")

    # The old rows come out of the facts (DuckDB, in a thread) while the new ones are read
    # from the records (PostgreSQL or SQLite): both wait on something else than Python.
    # The connection is used by one thread at a time: the reader waits for the thread.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analytics-reload") as pool:
        taking = pool.submit(take_out)
        try:
            tables = source.tables_of_reports(report_ids)
        finally:
            taking.result()
    # The new rows, read apart and joined here as in a rebuild, then enriched.
    for name, table in tables.items():
        con.register("arrow_table", table)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM arrow_table")
        con.unregister("arrow_table")
    con.execute(schema.RAW_VIEW_SQL)
    con.execute("CREATE OR REPLACE TEMP TABLE new_rows AS SELECT * FROM facts LIMIT 0")
    schema.insert_raw(con, "temp.batch", into="temp.new_rows")
    con.execute("DROP VIEW temp.batch")
    for name in tables:
        con.execute(f"DROP TABLE temp.{name}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched_units AS "
        "SELECT unit_id FROM temp.rows_before UNION SELECT unit_id FROM temp.new_rows"
    )


def _replace_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Each touched unit's first dates (`temp.unit_firsts`), fixed on its other rows when
    they moved; the staged rows, with them, into the facts (and `temp.rows_after`)."""
    # Each touched unit's first dates, before (as stored on its rows: they all agree) and
    # now (over its other rows and its new ones).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE unit_firsts AS "
        f"SELECT *, {schema.FIRST_YM_SQL.format(p='')} FROM ("
        "WITH rest AS (SELECT unit_id, "
        "  min(date) FILTER (WHERE status = 'validado') AS validated, min(date) AS counted, "
        "  any_value(first_date_validated) AS old_validated, "
        "  any_value(first_date_counted) AS old_counted "
        "  FROM facts WHERE unit_id IN (SELECT unit_id FROM temp.touched_units) "
        "  GROUP BY unit_id), "
        "before AS (SELECT unit_id, any_value(first_date_validated) AS old_validated "
        "  FROM temp.rows_before GROUP BY unit_id), "
        "after AS (SELECT unit_id, min(date) FILTER (WHERE status = 'validado') AS validated, "
        "  min(date) AS counted FROM temp.new_rows GROUP BY unit_id) "
        "SELECT t.unit_id, rest.unit_id IS NOT NULL AS has_rest, "
        "  CASE WHEN rest.unit_id IS NOT NULL THEN rest.old_validated "
        "       ELSE before.old_validated END AS old_validated, rest.old_counted, "
        "  least(rest.validated, after.validated) AS first_date_validated, "
        "  least(rest.counted, after.counted) AS first_date_counted "
        "FROM temp.touched_units t LEFT JOIN rest USING (unit_id) "
        "LEFT JOIN before USING (unit_id) LEFT JOIN after USING (unit_id))"
    )
    # A unit's first date can move either way (new earlier service, cancelled first one):
    # its rows outside these reports follow (rare: one more scan of the facts).
    moved = (
        "FROM temp.unit_firsts WHERE has_rest AND ("
        "old_validated IS DISTINCT FROM first_date_validated OR "
        "old_counted IS DISTINCT FROM first_date_counted)"
    )
    if cubebits.count_of(con, f"SELECT count(*) {moved}"):
        con.execute(
            "UPDATE facts SET first_date_validated = fd.first_date_validated, "
            "first_date_counted = fd.first_date_counted, "
            "first_ym_validated = fd.first_ym_validated, first_ym_counted = fd.first_ym_counted "
            f"FROM (SELECT * {moved}) fd WHERE facts.unit_id = fd.unit_id"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rows_after AS SELECT n.* REPLACE ("
        f"{', '.join(f'fd.{c} AS {c}' for c in _FIRSTS)}) "
        "FROM temp.new_rows n JOIN temp.unit_firsts fd USING (unit_id)"
    )
    con.execute("DROP TABLE temp.new_rows")
    con.execute("INSERT INTO facts BY NAME SELECT * FROM temp.rows_after")


def _changed_years(con: duckdb.DuckDBPyConnection) -> tuple[set[int], set[str] | None]:
    """The years and centers whose validated figures may have changed (see _reload_reports)."""
    # Rows that differ before and after, matched by service (both sides of a moved row).
    columns = [c for (c, *_) in con.execute("DESCRIBE temp.rows_before").fetchall()]
    differs = " OR ".join(f"a.{c} IS DISTINCT FROM b.{c}" for c in columns if c not in _FIRSTS)
    changed = (
        "FROM temp.rows_after a FULL JOIN temp.rows_before b ON a.service_id = b.service_id "
        f"WHERE ({differs})"
    )
    rows = con.execute(
        f"SELECT a.year, a.center_code {changed} AND a.is_validated UNION "
        f"SELECT b.year, b.center_code {changed} AND b.is_validated"
    ).fetchall()
    # Where a unit's first validated service was and is, by month ("new units" per year).
    old_ym = "(year(old_validated) * 100 + month(old_validated))"
    moved_ym = f"FROM temp.unit_firsts WHERE {old_ym} IS DISTINCT FROM first_ym_validated"
    # (First validated dates depend on validated rows only: the public figures move too.)
    moved_years = _years(
        con, f"SELECT {old_ym} // 100 {moved_ym} UNION SELECT first_ym_validated // 100 {moved_ym}"
    )
    years = {int(year) for year, _ in rows} | moved_years
    return years, (None if moved_years else {center for _, center in rows})


def _changes(centers: set[str] | None, unit_ids: set[int]) -> cube.Changes:
    """The tables _reload_reports leaves for cube.build. Every cell of a changed unit gets
    new bitmaps when first services moved (`centers` None, see _changed_years) or units
    themselves changed (`unit_ids`: edited, merged or new)."""
    return cube.Changes(
        before="temp.rows_before",
        after="temp.rows_after",
        units="temp.touched_units",
        all_cells=centers is None or bool(unit_ids),
    )


# A reloaded row equal on all but these (compared on their own, per unit) leaves every
# figure of its year as it was.
_FIRSTS = ("first_date_validated", "first_date_counted", "first_ym_validated", "first_ym_counted")


def _years(con: duckdb.DuckDBPyConnection, sql: str) -> set[int]:
    return {int(row[0]) for row in con.execute(sql).fetchall() if row[0] is not None}


def _reports_of_units(con: duckdb.DuckDBPyConnection, unit_ids: set[int]) -> set[int]:
    if not unit_ids:
        return set()
    _temp_ids(con, "changed_units", unit_ids)
    # Two semi-joins in a UNION: an OR of the two made DuckDB compare every row (8x slower).
    rows = con.execute(
        "SELECT report_id FROM facts WHERE unit_id IN (SELECT id FROM changed_units) UNION "
        "SELECT report_id FROM facts WHERE raw_unit_id IN (SELECT id FROM changed_units)"
    ).fetchall()
    return {row[0] for row in rows}


def _temp_ids(con: duckdb.DuckDBPyConnection, name: str, ids: Iterable[int]) -> None:
    con.register("ids", pa.table({"id": pa.array(sorted(ids), type=pa.int64())}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT id FROM ids")
    con.unregister("ids")


def _count(con: duckdb.DuckDBPyConnection, expression: str = "count(*)") -> int:
    row = con.execute(f"SELECT {expression} FROM facts").fetchone()
    return int(row[0]) if row else 0


def _new_anchors() -> dict[str, str]:
    return watermark.new_anchors(conf.overlap_seconds(), conf.clock_margin_seconds())


def _published(directory: Path) -> str:
    path = connection.current_path(directory)  # we still hold the writer lock
    return path.name if path else ""


def _store_meta(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    anchors: dict[str, str],
    marks: dict,
    digest: str,
    rows: int,
    versions: dict[str, Any] | None,
) -> None:
    """`versions` None: a new base (every cached answer and page of older builds is stale)."""
    if versions is None:
        build = sharedcache.new_build_id()
        versions = {"base": build, "years": {}, "centers": {}, "build": build}
    schema.write_meta(
        con,
        {
            "schema": schema.VERSION,
            "record_keys": recordkey.fingerprint(),
            "fresh_as_of": as_of.isoformat(),
            "anchors": json.dumps(anchors, sort_keys=True),
            "windows": json.dumps(marks, sort_keys=True),
            "digest": digest,
            "rows": str(rows),
            "written_at": timezone.now().isoformat(),
            # Unique per build (rebuild or refresh): the key of shared cached answers of
            # registered reports; "versions" keys validated answers and public pages.
            "build": versions.pop("build"),
            "versions": json.dumps(versions, sort_keys=True),
        },
    )


def read_meta(path: Path) -> dict[str, str]:
    # A short read-only look: published generations are never written again.
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
