"""The PostgreSQL peers of analytics_bench.py: the ORM tuned for the data, and rollups.

*Tuned*: the same ORM queries on a second database alias whose sessions carry settings
sized for the data (`TUNED_SETTINGS`), after the indexes a DBA would add for the dashboard's
filters (`TUNED_INDEXES`, made in the bench database only) and VACUUM ANALYZE.

*Rollup*: three materialized views at the grain the dashboard needs, answering the same 8
questions in SQL (`rollup_answers`): services summed by year, month, center, chain, category,
department and free/paid; for distinct productive units, which cannot be summed, one row
per distinct (year, center, chain, category, department, unit), so that distinct counts over
any combination of those stay exact; and each unit's first validated service (new units).
`canonical()` puts citesmart's answers and the rollups' in one form, so the bench asserts
they are equal.
"""

# Table and column names below are constants of this script; values are bound.
# ruff: noqa: S608

from typing import Any

TUNED_SETTINGS = {
    # Enough for the hash aggregates and the sorts of count(DISTINCT …) to stay in memory.
    "work_mem": "256MB",
    # 2 cores: the leader and one worker (the default, 2 workers, makes 3 processes).
    "max_parallel_workers_per_gather": "1",
    # The machine's page cache (23 GB of RAM, mostly free) holds the whole data set.
    "effective_cache_size": "16GB",
    "random_page_cost": "1.1",  # SSD
    # JIT compiles each query's expressions (~100 ms+) for queries of a few seconds at most.
    "jit": "off",
}
# What a tuned server would also set in postgresql.conf (not settable per session).
SERVER_ADVICE = {
    "shared_buffers": "25% of RAM (e.g. 4GB on a 16 GB server), restart needed",
    "max_worker_processes / max_parallel_workers": "the number of cores",
}

TUNED_INDEXES = {
    # The counted reports by end date (every question filters validated, most by year),
    # covering what the joins and groupings read from the report.
    "bench_report_valid_end": "records_servicereport (end_date) "
    "INCLUDE (id, center_id, chain_id, category_id, is_free) WHERE status = 'validado'",
    # One chain's reports (the monthly series, the top 10 of a year, chain and category).
    "bench_report_valid_chain": "records_servicereport (chain_id, end_date) "
    "INCLUDE (id, center_id, category_id) WHERE status = 'validado'",
    # The unit's survivor and place without reading the table's wide rows.
    "bench_unit_place": "units_productiveunit (id) INCLUDE (merged_into_id, district_id, "
    "department_id)",
    # Services of a report with their unit: already there, the unique (report_id, unit_id).
}

_FACTS = """
FROM records_service s
JOIN records_servicereport r ON r.id = s.report_id AND r.status = 'validado'
JOIN units_productiveunit u ON u.id = s.unit_id
JOIN units_productiveunit su ON su.id = COALESCE(u.merged_into_id, u.id)
LEFT JOIN geo_district d ON d.code = su.district_id
"""
ROLLUPS = {
    "bench_rollup_services": (
        "SELECT extract(year FROM r.end_date)::int AS year, "
        "extract(month FROM r.end_date)::int AS month, r.center_id, r.chain_id, "
        "r.category_id, r.is_free, COALESCE(d.department_id, su.department_id) AS department, "
        f"count(*) AS services {_FACTS} GROUP BY 1, 2, 3, 4, 5, 6, 7",
        ["year, month, center_id, chain_id, category_id, is_free, department"],
        ["chain_id, year, month"],
    ),
    "bench_rollup_units": (
        "SELECT DISTINCT extract(year FROM r.end_date)::int AS year, r.center_id, r.chain_id, "
        "r.category_id, COALESCE(d.department_id, su.department_id) AS department, "
        f"su.id AS unit_id {_FACTS}",
        # the department is the unit's: (year, center, chain, category, unit) is unique
        ["year, center_id, chain_id, category_id, unit_id"],
        ["department, year, category_id, unit_id", "year, chain_id, category_id, center_id"],
    ),
    "bench_rollup_unit_first": (
        f"SELECT su.id AS unit_id, min(r.end_date) AS first_date {_FACTS} GROUP BY su.id",
        ["unit_id"],
        [],
    ),
}


_YEAR = "extract(year FROM r.end_date)::int"
_DEPARTMENT = "COALESCE(d.department_id, su.department_id)"
# The strongest peer for a dashboard whose questions never change: one view per question,
# each holding that question's answer for every value of its filters, distinct counts
# included (exact: counted per cell when the view is made). Nothing else can be asked.
NARROW = {
    # The department is the unit's, so a unit is in one department: the year's distinct
    # units are the sum over departments.
    "bench_q_year_department": (
        f"SELECT {_YEAR} AS year, {_DEPARTMENT} AS department, count(*) AS services, "
        f"count(DISTINCT su.id) AS units {_FACTS} GROUP BY 1, 2",
        ["year, department"],
        [],
    ),
    "bench_q_center_year": (
        f"SELECT r.center_id, {_YEAR} AS year, count(*) AS services, "
        f"count(DISTINCT su.id) AS units {_FACTS} GROUP BY 1, 2",
        ["center_id, year"],
        [],
    ),
    "bench_q_chain_month": (
        f"SELECT r.chain_id, {_YEAR} AS year, extract(month FROM r.end_date)::int AS month, "
        f"count(*) AS services {_FACTS} GROUP BY 1, 2, 3",
        ["chain_id, year, month"],
        [],
    ),
    "bench_q_center_units": (
        f"SELECT {_YEAR} AS year, r.chain_id, r.category_id, r.center_id, "
        f"count(DISTINCT su.id) AS units {_FACTS} GROUP BY 1, 2, 3, 4",
        ["year, chain_id, category_id, center_id"],
        [],
    ),
    # Distinct units over several years cannot be added up year by year: unit rows.
    "bench_q_department_category_units": (
        f"SELECT DISTINCT {_DEPARTMENT} AS department, r.category_id, {_YEAR} AS year, "
        f"su.id AS unit_id {_FACTS}",
        ["department, year, category_id, unit_id"],
        [],
    ),
    "bench_q_year_free": (
        f"SELECT {_YEAR} AS year, r.is_free, count(*) AS services {_FACTS} GROUP BY 1, 2",
        ["year, is_free"],
        [],
    ),
    "bench_q_new_units": (
        "SELECT extract(year FROM first_date)::int AS year, count(*) AS new_units FROM "
        f"(SELECT su.id, min(r.end_date) AS first_date {_FACTS} GROUP BY su.id) f GROUP BY 1",
        ["year"],
        [],
    ),
}


def drop_peers(cursor: Any) -> None:
    """Back to the database as loaded: the default-settings baseline sees none of this."""
    for view in [*ROLLUPS, *NARROW]:
        cursor.execute(f"DROP MATERIALIZED VIEW IF EXISTS {view}")
    for index in TUNED_INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {index}")


def make_indexes(cursor: Any) -> list[str]:
    made = []
    for name, definition in TUNED_INDEXES.items():
        statement = f"CREATE INDEX {name} ON {definition}"
        cursor.execute(statement)
        made.append(statement)
    for table in ("records_servicereport", "records_service", "units_productiveunit"):
        cursor.execute(f"VACUUM (ANALYZE) {table}")  # statistics and the visibility map
    return made


def make_rollups(cursor: Any, views: dict) -> list[str]:
    made = []
    for view, (select, unique, others) in views.items():
        made.append(f"CREATE MATERIALIZED VIEW {view} AS {select}")
        cursor.execute(made[-1])
        for n, columns in enumerate(unique + others):
            kind = "UNIQUE INDEX" if n < len(unique) else "INDEX"
            made.append(f"CREATE {kind} {view}_{n} ON {view} ({columns})")
            cursor.execute(made[-1])
        cursor.execute(f"VACUUM (ANALYZE) {view}")
    return made


def refresh_rollups(cursor: Any, views: dict, concurrently: bool) -> None:
    how = "CONCURRENTLY " if concurrently else ""
    for view in views:
        cursor.execute(f"REFRESH MATERIALIZED VIEW {how}{view}")
    for view in views:
        cursor.execute(f"ANALYZE {view}")


def rollup_sizes(cursor: Any, views: dict) -> dict[str, dict[str, Any]]:
    sizes = {}
    for view in views:
        cursor.execute(f"SELECT count(*), pg_total_relation_size('{view}') FROM {view}")
        rows, size = cursor.fetchone()
        sizes[view] = {"rows": rows, "mb_with_indexes": round(size / 2**20, 1)}
    return sizes


def _rows(cursor: Any, sql: str, params: list[Any], width: int) -> dict[tuple, tuple]:
    cursor.execute(sql, params)
    return {tuple(r[:width]): tuple(int(v) for v in r[width:]) for r in cursor.fetchall()}


CHAIN_ID = "(SELECT id FROM network_chain WHERE code = %s)"
CATEGORY_ID = "(SELECT id FROM network_servicecategory WHERE code = %s)"


def narrow_answers(year: int, chain: str, category: str, department: str) -> dict[str, Any]:
    """name → a function of a cursor giving that question's answer from NARROW."""
    three = [year - 2, year - 1, year]
    sqls = {
        "totals_year": ("SELECT COALESCE(sum(services), 0), COALESCE(sum(units), 0) "
                        "FROM bench_q_year_department WHERE year = %s", [year], 0),
        "by_department_year": ("SELECT department, services, units FROM bench_q_year_department "
                               "WHERE year = %s", [year], 1),
        "center_by_year": ("SELECT c.code, year, services, units FROM bench_q_center_year q "
                           "JOIN network_center c ON c.id = q.center_id", [], 2),
        "monthly_series_chain": ("SELECT year || '-' || lpad(month::text, 2, '0'), services "
                                 f"FROM bench_q_chain_month WHERE chain_id = {CHAIN_ID}",
                                 [chain], 1),
        "units_by_category_dept_3y": (
            "SELECT k.code, count(DISTINCT unit_id) FROM bench_q_department_category_units q "
            "JOIN network_servicecategory k ON k.id = q.category_id "
            "WHERE department = %s AND year = ANY(%s) GROUP BY k.code", [department, three], 1),
        "free_share_by_year": ("SELECT year, is_free, services FROM bench_q_year_free", [], 2),
        "new_units_by_year": ("SELECT year, new_units FROM bench_q_new_units", [], 1),
    }  # fmt: skip
    answers: dict[str, Any] = {
        name: (
            lambda cursor, sql=sql, params=params, width=width: _rows(cursor, sql, params, width)
        )
        for name, (sql, params, width) in sqls.items()
    }

    def top10_centers_units(cursor: Any) -> list[tuple]:
        cursor.execute(
            "SELECT c.code, units FROM bench_q_center_units q "
            "JOIN network_center c ON c.id = q.center_id "
            f"WHERE year = %s AND chain_id = {CHAIN_ID} AND category_id = {CATEGORY_ID} "
            'ORDER BY units DESC, c.code COLLATE "C" LIMIT 10',
            [year, chain, category],
        )
        return [(code, int(units)) for code, units in cursor.fetchall()]

    answers["top10_centers_units"] = top10_centers_units
    return answers


def rollup_answers(year: int, chain: str, category: str, department: str) -> dict[str, Any]:
    """name → a function of a cursor giving that question's canonical answer."""
    three = [year - 2, year - 1, year]
    chain_id, category_id, rows = CHAIN_ID, CATEGORY_ID, _rows

    def totals_year(cursor: Any) -> dict[tuple, tuple]:
        sql = (
            "SELECT (SELECT COALESCE(sum(services), 0) FROM bench_rollup_services WHERE year = %s),"
            " (SELECT count(DISTINCT unit_id) FROM bench_rollup_units WHERE year = %s)"
        )
        return rows(cursor, sql, [year, year], 0)

    def by_department_year(cursor: Any) -> dict[tuple, tuple]:
        sql = (
            "WITH s AS (SELECT department, sum(services) AS services FROM bench_rollup_services "
            "WHERE year = %s GROUP BY department), u AS (SELECT department, "
            "count(DISTINCT unit_id) AS units FROM bench_rollup_units WHERE year = %s "
            "GROUP BY department) "
            "SELECT s.department, s.services, u.units FROM s "
            "JOIN u ON u.department IS NOT DISTINCT FROM s.department"
        )
        return rows(cursor, sql, [year, year], 1)

    def center_by_year(cursor: Any) -> dict[tuple, tuple]:
        sql = (
            "WITH s AS (SELECT center_id, year, sum(services) AS services "
            "FROM bench_rollup_services GROUP BY 1, 2), u AS (SELECT center_id, year, "
            "count(DISTINCT unit_id) AS units FROM bench_rollup_units GROUP BY 1, 2) "
            "SELECT c.code, s.year, s.services, u.units FROM s JOIN u USING (center_id, year) "
            "JOIN network_center c ON c.id = s.center_id"
        )
        return rows(cursor, sql, [], 2)

    def monthly_series_chain(cursor: Any) -> dict[tuple, tuple]:
        sql = (
            "SELECT year || '-' || lpad(month::text, 2, '0'), sum(services) "
            f"FROM bench_rollup_services WHERE chain_id = {chain_id} GROUP BY year, month"
        )
        return rows(cursor, sql, [chain], 1)

    def top10_centers_units(cursor: Any) -> list[tuple]:
        cursor.execute(
            "SELECT c.code, count(DISTINCT unit_id) AS units FROM bench_rollup_units u "
            "JOIN network_center c ON c.id = u.center_id "
            f"WHERE year = %s AND chain_id = {chain_id} AND category_id = {category_id} "
            'GROUP BY c.code ORDER BY units DESC, c.code COLLATE "C" LIMIT 10',
            [year, chain, category],
        )
        return [(code, int(units)) for code, units in cursor.fetchall()]

    def units_by_category_dept_3y(cursor: Any) -> dict[tuple, tuple]:
        sql = (
            "SELECT k.code, count(DISTINCT unit_id) FROM bench_rollup_units u "
            "JOIN network_servicecategory k ON k.id = u.category_id "
            "WHERE department = %s AND year = ANY(%s) GROUP BY k.code"
        )
        return rows(cursor, sql, [department, three], 1)

    def free_share_by_year(cursor: Any) -> dict[tuple, tuple]:
        sql = "SELECT year, is_free, sum(services) FROM bench_rollup_services GROUP BY 1, 2"
        return rows(cursor, sql, [], 2)

    def new_units_by_year(cursor: Any) -> dict[tuple, tuple]:
        sql = (
            "SELECT extract(year FROM first_date)::int, count(*) FROM bench_rollup_unit_first "
            "GROUP BY 1"
        )
        return rows(cursor, sql, [], 1)

    return {f.__name__: f for f in (totals_year, by_department_year, center_by_year,
                                    monthly_series_chain, top10_centers_units,
                                    units_by_category_dept_3y, free_share_by_year,
                                    new_units_by_year)}  # fmt: skip


def canonical(name: str, answer: Any) -> Any:
    """citesmart's answer (Figures, or the totals' dict) in the rollups' form."""
    if name == "totals_year":
        return {(): (answer["services"], answer["units"])}
    if name == "top10_centers_units":
        return [(row["center"], row["units"]) for row in answer.rows]
    return {
        tuple(row[d] for d in answer.by): tuple(row[m] for m in answer.measures)
        for row in answer.rows
    }


def stats(times_ms: list[float], load: float) -> dict[str, Any]:
    ordered = sorted(times_ms)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"median_ms": round(median, 2), "min_ms": round(ordered[0], 2),
            "max_ms": round(ordered[-1], 2), "runs": len(ordered),
            "load_average": round(load, 2)}  # fmt: skip


ENGINES = [
    ("citesmart", "citesmart"),
    ("postgres", "PostgreSQL ORM, default"),
    ("postgres_tuned", "PostgreSQL ORM, tuned + indexes"),
    ("rollup", "PostgreSQL rollups at the dashboard's grain"),
    ("rollup_narrow", "PostgreSQL rollups, one per question"),
    ("sqlite", "SQLite ORM"),
]


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _times(ratio: float) -> str:
    if ratio >= 10:
        return f"×{ratio:,.0f}"
    return f"×{ratio:.1f}" if ratio >= 1 else f"×{ratio:.2f}" if ratio >= 0.1 else f"×{ratio:.3f}"


def markdown(report: dict[str, Any]) -> str:
    """bench/README.md's table of one analytics.json: medians (min–max), × citesmart."""
    engines = [(k, title) for k, title in ENGINES if report["page_ms"].get(k)]
    head = "| query | " + " | ".join(title for _, title in engines) + " |"
    lines = [head, "|---" * (len(engines) + 1) + "|"]
    for row in report["queries"]:
        cells = []
        for key, _ in engines:
            s = row["stats"].get(key)
            if not s:
                cells.append("")
                continue
            ratio = s["median_ms"] / row["stats"]["citesmart"]["median_ms"]
            times = f"{_ms(s['median_ms'])} ({_ms(s['min_ms'])}–{_ms(s['max_ms'])})"
            cells.append(times if key == "citesmart" else f"{times} {_times(ratio)}")
        lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    page = report["page_ms"]
    cells = [
        _ms(page[k]) + ("" if k == "citesmart" else f" {_times(page[k] / page['citesmart'])}")
        for k, _ in engines
    ]
    lines.append("| the 8 queries, sum of medians | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + _upkeep(report)


def _upkeep(report: dict[str, Any]) -> str:
    """Keeping each up to date: citesmart's refresh and rebuild, the views' REFRESH."""
    rounds, rebuild = report["refresh_10k"], report["rebuild"]["wall"]
    sets = [k for k, _ in ENGINES if f"{k}_full" in rounds]

    def cell(s: dict[str, Any]) -> str:
        return (
            f"{s['median_ms'] / 1000:,.2f} s ({s['min_ms'] / 1000:,.2f}–{s['max_ms'] / 1000:,.2f})"
        )

    titles = dict(ENGINES)
    lines = [
        "| after | citesmart | " + " | ".join(titles[k] for k in sets) + " |",
        "|---" * (len(sets) + 2) + "|",
        "| 10,000 new services (citesmart: refresh; views: REFRESH … CONCURRENTLY) | "
        + " | ".join(
            [cell(rounds["citesmart"])] + [cell(rounds[f"{k}_concurrently"]) for k in sets]
        )
        + " |",
        "| everything (citesmart: rebuild; views: REFRESH) | "
        + " | ".join([cell(rebuild)] + [cell(rounds[f"{k}_full"]) for k in sets])
        + " |",
    ]
    return "\n".join(lines)


# engine → (its materialized views, the answers to the 8 questions from them)
ROLLUP_SETS = {"rollup": (ROLLUPS, rollup_answers), "rollup_narrow": (NARROW, narrow_answers)}
