"""Benchmark of the analytics read model against PostgreSQL and SQLite (`make bench`, not a test).

Loads synthetic services into the real schema of a separate PostgreSQL database (COPY) and
an SQLite file, then times the eight queries of a dashboard page five ways: through
citesmart.analytics.queries; with the straightforward Django ORM query on PostgreSQL with
default settings and on SQLite; the same ORM on PostgreSQL with session settings tuned for
the data and the indexes a DBA would add; and PostgreSQL materialized views at the
dashboard's grain (bench/analytics_peers.py), whose answers are asserted equal to
citesmart's. Every figure is the median of --repeat runs (≥ 5) with min, max and the load
average. Writes bench/results/analytics.json.

    .venv/bin/python bench/analytics_bench.py            # 1M services
    .venv/bin/python bench/analytics_bench.py --10m      # 10M services
    .venv/bin/python bench/analytics_bench.py --table    # bench/README's table of the JSON
"""

# Table and column names below are constants of this script; values are bound or COPY rows.
# ruff: noqa: S608, S603, S311

import argparse
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import analytics_peers as peers
import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240601
FIRST_YEAR, YEARS = 2015, 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="services to generate")
    parser.add_argument("--10m", dest="ten", action="store_true", help="10M services")
    parser.add_argument("--units", type=int, default=400_000, help="productive units")
    parser.add_argument("--pg", help="PostgreSQL URL (default: database cs_bench1m/cs_bench10m)")
    parser.add_argument("--sqlite", help="SQLite file (default: var/bench/<size>.sqlite3)")
    parser.add_argument("--analytics-dir", help="read model (default: var/bench/analytics-<size>)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite column")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each figure")
    parser.add_argument(
        "--orm-repeat", type=int, help="timed runs of the ORM queries (default: --repeat)"
    )
    parser.add_argument(
        "--sqlite-repeat", type=int, help="timed runs on SQLite (default: as --orm-repeat)"
    )
    parser.add_argument("--load-only", action="store_true", help="load the data, time nothing")
    parser.add_argument("--no-peers", action="store_true", help="skip the tuned and rollup peers")
    parser.add_argument("--table", action="store_true", help="print --out as bench/README's table")
    parser.add_argument("--reload", action="store_true", help="regenerate even if loaded")
    parser.add_argument("--out", default=str(ROOT / "bench/results/analytics.json"))
    args = parser.parse_args()
    if args.ten:
        args.rows = 10_000_000
    size = f"{args.rows // 1_000_000}m" if args.rows % 1_000_000 == 0 else str(args.rows)
    args.pg = args.pg or f"postgres://postgres@127.0.0.1:5432/cs_bench{size}"
    args.sqlite = args.sqlite or str(ROOT / f"var/bench/{size}.sqlite3")
    args.analytics_dir = args.analytics_dir or str(ROOT / f"var/bench/analytics-{size}")
    args.orm_repeat = args.orm_repeat or args.repeat
    args.sqlite_repeat = args.sqlite_repeat or args.orm_repeat
    return args


def setup_django(args: argparse.Namespace) -> None:
    os.environ.update(
        DEBUG="1",
        DATABASE_URL=args.pg,
        CITESMART_ANALYTICS_DIR=args.analytics_dir,
        # The engine is what is measured: no answer shared between runs through a cache.
        ANALYTICS_CACHE_BACKEND="django.core.cache.backends.dummy.DummyCache",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
    import dj_database_url
    import django
    from django.conf import settings

    django.setup()
    # A second alias so the same ORM code runs on SQLite; must exist before first DB access.
    sqlite = dj_database_url.parse(f"sqlite:///{args.sqlite}")
    sqlite["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;"}
    settings.DATABASES["sqlite"] = sqlite
    # A third alias on the same PostgreSQL database whose sessions carry the tuned settings.
    tuned = dict(settings.DATABASES["default"])
    options = " ".join(f"-c {key}={value}" for key, value in peers.TUNED_SETTINGS.items())
    tuned["OPTIONS"] = {**tuned.get("OPTIONS", {}), "options": options}
    settings.DATABASES["tuned"] = tuned
    from django.db import connections

    connections.settings = connections.configure_settings(settings.DATABASES)


def citesmart(*command: str, database_url: str) -> None:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url}
    subprocess.run([str(ROOT / ".venv/bin/citesmart"), *command], env=env, check=True)


# --- synthetic data --------------------------------------------------------------------------

# A uniform number in [0, 1) from an id and a salt: hash-based, so the data are the same on
# every run and with any number of DuckDB threads (random() with setseed is not, in parallel).
UNIFORM_MACRO = "CREATE MACRO u(i, s) AS hash(i * 64 + s) / 18446744073709551616.0"
MEAN_SERVICES_PER_REPORT = 2.95  # 70% one unit, 20% 2-5, 10% 6-25 (see REPORTS_SQL)

REPORTS_SQL = """
CREATE TABLE drawn AS
SELECT id,
       CASE WHEN u(id, 1) < 0.7 THEN 1
            WHEN u(id, 1) < 0.9 THEN 2 + floor(u(id, 2) * 4)::INTEGER
            ELSE 6 + floor(u(id, 2) * 20)::INTEGER END AS size,
       -- the network grows ~15% a year: inverse of the geometric distribution over 10 years
       make_date($first_year + least($years - 1, floor(
           ln(1 + u(id, 3) * (pow(1.15, $years) - 1)) / ln(1.15))::INTEGER), 1, 1)
         + floor(u(id, 4) * 365)::INTEGER AS end_date,
       floor(u(id, 5) * 21)::INTEGER AS span,
       u(id, 6) < 0.3 AS is_free,
       CASE WHEN u(id, 7) < 0.85 THEN 'validado'
            WHEN u(id, 7) < 0.95 THEN 'registrado' ELSE 'anulado' END AS status,
       $center_slots[1 + floor(u(id, 8) * len($center_slots))::INTEGER] AS center_id,
       $categories[1 + floor(u(id, 9) * len($categories))::INTEGER] AS category_id,
       CASE WHEN u(id, 10) < 0.9
            THEN $chains[1 + floor(u(id, 11) * len($chains))::INTEGER] END AS chain_id,
       CASE WHEN u(id, 6) < 0.3 AND u(id, 12) < 0.3
            THEN $programmes[1 + floor(u(id, 13) * len($programmes))::INTEGER] END
         AS programme_id,
       -- repeat use: half the reports attend the 5% "hot" units
       CASE WHEN u(id, 14) < 0.5 THEN 1 + floor(u(id, 15) * $hot)
            ELSE 1 + floor(u(id, 15) * $units) END::BIGINT AS first_unit
FROM range(1, $drawn + 1) t(id);
CREATE TABLE reports AS
SELECT * REPLACE (least(size, $rows - offset_)::INTEGER AS size)
FROM (SELECT *, (sum(size) OVER (ORDER BY id) - size)::BIGINT AS offset_ FROM drawn)
WHERE offset_ < $rows ORDER BY id;
DROP TABLE drawn;
"""

SERVICES_SQL = """
SELECT offset_ + k + 1 AS id, id AS report_id,
       (first_unit + k * 7919 - 1) % $units + 1 AS unit_id,  -- distinct within the report
       CASE WHEN is_free THEN 0
            ELSE [50, 80, 120, 250, 400, 900, 1500][1 + floor(u(offset_ + k + 1, 16) * 7)::INTEGER]
       END AS amount, '' AS typed_name
FROM (SELECT id, offset_, first_unit, is_free, unnest(range(size)) AS k FROM reports)
ORDER BY id
"""

# Rows were last touched when recorded (two days after the end date, years ago), not all at
# load time: otherwise every row would sit inside the refresh's overlap window.
REPORT_ROWS_SQL = """
SELECT id, center_id, 'B' || id AS code, category_id, chain_id, end_date - span AS start_date,
       end_date, status, is_free, programme_id, '' AS notes, '' AS cancel_reason,
       strftime(end_date + 2, '%Y-%m-%d') || ' 12:00:00+00' AS created_at,
       strftime(end_date + 2, '%Y-%m-%d') || ' 12:00:00+00' AS updated_at
FROM reports ORDER BY id
"""


def generate(args: argparse.Namespace, refs: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Deterministic units, reports and services with a realistic skew, inside DuckDB.

    Vectorised: 10M services take seconds, and nothing is held as Python objects (the
    Python-loop generator needed minutes and gigabytes at 10M).
    """
    con = duckdb.connect(config={"threads": "2", "preserve_insertion_order": "true"})
    con.execute(UNIFORM_MACRO)
    con.register("units_arrow", _units_table(args, refs))
    con.execute("CREATE TABLE units AS SELECT * FROM units_arrow")
    con.unregister("units_arrow")
    centers = refs["centers"]
    weights = [1 / (i + 1) ** 0.7 for i in range(len(centers))]
    slots = [c for c, w in zip(centers, weights, strict=True) for _ in range(round(w * 100))]
    params = {
        "first_year": FIRST_YEAR,
        "years": YEARS,
        "center_slots": slots,
        "categories": refs["categories"],
        "chains": refs["chains"],
        "programmes": refs["programmes"],
        "hot": max(1, args.units // 20),
        "units": args.units,
        "rows": args.rows,
        "drawn": int(args.rows / MEAN_SERVICES_PER_REPORT * 1.1) + 1000,
    }
    for statement in REPORTS_SQL.split(";"):
        if statement.strip():
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used)
    return con


def _units_table(args: argparse.Namespace, refs: dict[str, Any]) -> pa.Table:
    rng = random.Random(SEED)
    districts = refs["districts"]
    dept_weights = [1 / (i + 1) ** 0.8 for i in range(len(refs["departments"]))]
    by_dept: dict[str, list[str]] = {}
    for code, dept in districts:
        by_dept.setdefault(dept, []).append(code)
    depts = list(by_dept)
    client_types = [
        "empresa_formal",
        "persona_natural_negocio",
        "asociacion_cooperativa",
        "emprendedor",
        "academia",
        "otros",
    ]
    columns: dict[str, list[Any]] = {name: [] for name in UNIT_COLUMNS.split(", ")}
    start = datetime(FIRST_YEAR, 1, 1)
    for n in range(1, args.units + 1):
        dept = rng.choices(depts, dept_weights[: len(depts)])[0]
        district = rng.choice(by_dept[dept]) if rng.random() < 0.9 else None
        touched = f"{start + timedelta(minutes=10 * n):%Y-%m-%d %H:%M:%S}+00"
        values = (
            n,
            "dni",
            f"{10_000_000 + n}",
            f"{10_000_000 + n}",
            f"Unidad {n}",
            rng.choices(client_types, [30, 35, 10, 20, 2, 3])[0],
            rng.choices(["micro", "pequena", "mediana", "grande", "sin_dato"], [60, 15, 4, 1, 20])[
                0
            ],
            district,
            dept,
            *("", "", "", "", ""),
            touched,
            touched,
        )
        for name, value in zip(columns, values, strict=True):
            columns[name].append(value)
    return pa.table(columns)


UNIT_COLUMNS = (
    "id, document_type, document_number, person_dni, name, client_type, size_class, "
    "district_id, department_id, taxpayer_type, ciiu, email, phone, consent_channel, "
    "created_at, updated_at"
)
REPORT_COLUMNS = (
    "id, center_id, code, category_id, chain_id, start_date, end_date, status, "
    "is_free, programme_id, notes, cancel_reason, created_at, updated_at"
)
SERVICE_COLUMNS = "id, report_id, unit_id, amount, typed_name"
TABLES = [
    ("units_productiveunit", UNIT_COLUMNS, f"SELECT {UNIT_COLUMNS} FROM units ORDER BY id"),
    ("records_servicereport", REPORT_COLUMNS, REPORT_ROWS_SQL),
    ("records_service", SERVICE_COLUMNS, SERVICES_SQL),
]


def _batches(con: duckdb.DuckDBPyConnection, sql: str, args: argparse.Namespace) -> Iterator:
    """Arrow record batches of one generated table (1M rows each)."""
    used = {k: v for k, v in {"units": args.units}.items() if f"${k}" in sql}
    yield from con.sql(sql, params=used).to_arrow_reader(1_000_000)


def load_postgres(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    """COPY … FROM STDIN (csv) fed by Arrow's C++ CSV writer; FK triggers off during the load.

    The rows are generated consistent (every key exists), so skipping the per-row foreign
    key triggers (session_replication_role = replica) loses nothing and is several times
    faster at 10M rows. Indexes and unique constraints stay in force.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE records_service, records_servicereport, "
            "units_productiveunit RESTART IDENTITY CASCADE"
        )
    raw = connection.connection
    options = pacsv.WriteOptions(include_header=False)
    with raw.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for table, columns, sql in TABLES:
            statement = (
                f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, "
                "FORCE_NOT_NULL (" + _texts(table) + "))"
            )
            with cursor.copy(statement) as copy:
                for batch in _batches(con, sql, args):
                    buffer = io.BytesIO()
                    pacsv.write_csv(batch, buffer, write_options=options)
                    copy.write(buffer.getbuffer())
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("SET session_replication_role = DEFAULT")
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _texts(table: str) -> str:
    # Empty strings stay empty strings (not NULL) in the blank=True text columns.
    return {
        "units_productiveunit": "taxpayer_type, ciiu, email, phone, consent_channel",
        "records_servicereport": "notes, cancel_reason",
        "records_service": "typed_name",
    }[table]


def load_sqlite(path: str, con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    for table, columns, sql in TABLES:
        db.execute(f"DELETE FROM {table}")
        marks = ", ".join("?" * len(columns.split(",")))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        for batch in _batches(con, sql, args):
            values = [_sqlite_column(c.to_pylist()) for c in batch.columns]
            db.executemany(insert, zip(*values, strict=True))
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _sqlite_column(values: list[Any]) -> list[Any]:
    # Django keeps SQLite datetimes as naive UTC text "YYYY-MM-DD HH:MM:SS", dates as text.
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, str) and sample.endswith("+00"):
        return [v[:-3] if v else v for v in values]
    if isinstance(sample, date):
        return [str(v) if v is not None else None for v in values]
    return values


def references() -> dict[str, Any]:
    from citesmart.geo.models import Department, District
    from citesmart.network.models import Center, Chain, Programme, ServiceCategory

    return {
        "centers": list(Center.objects.order_by("code").values_list("id", flat=True)),
        "chains": list(Chain.objects.order_by("code").values_list("id", flat=True)),
        "categories": list(ServiceCategory.objects.order_by("order").values_list("id", flat=True)),
        "programmes": list(Programme.objects.values_list("id", flat=True)),
        "departments": list(Department.objects.values_list("code", flat=True)),
        "districts": list(District.objects.values_list("code", "department_id")),
    }


# --- the dashboard page ----------------------------------------------------------------------


def dashboard(
    year: int, chain: str, category: str, department: str
) -> list[tuple[str, Callable, Callable]]:
    """(name, through our interface, through the ORM on a database alias) for 8 queries."""
    from django.db.models import Count, F, Min
    from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

    from citesmart.analytics.queries import Filters, figures, top
    from citesmart.records.models import Service

    def services(alias: str):
        return Service.objects.using(alias).filter(report__status="validado")

    units = Count(Coalesce("unit__merged_into", "unit"), distinct=True)
    dept = Coalesce("unit__district__department", "unit__department")
    end_year = ExtractYear("report__end_date")
    three = [year - 2, year - 1, year]

    def new_units(alias: str):
        firsts = (
            services(alias)
            .values(who=Coalesce("unit__merged_into", "unit"))
            .annotate(first=Min("report__end_date"))
        )
        return Counter(d.year for d in firsts.values_list("first", flat=True))

    return [
        (
            "totals_year",
            lambda: figures(Filters(years=[year]), measures=["services", "units"]).totals,
            lambda a: (
                services(a)
                .filter(report__end_date__year=year)
                .aggregate(services=Count("id"), units=units)
            ),
        ),
        (
            "by_department_year",
            lambda: figures(
                Filters(years=[year]), by=["department"], measures=["services", "units"]
            ),
            lambda a: list(
                services(a)
                .filter(report__end_date__year=year)
                .values(d=dept)
                .annotate(services=Count("id"), units=units)
            ),
        ),
        (
            "center_by_year",
            lambda: figures(by=["center", "year"], measures=["services", "units"]),
            lambda a: list(
                services(a)
                .values(c=F("report__center__code"), y=end_year)
                .annotate(services=Count("id"), units=units)
            ),
        ),
        (
            "monthly_series_chain",
            lambda: figures(Filters(chains=[chain]), by=["month"], measures=["services"]),
            lambda a: list(
                services(a)
                .filter(report__chain__code=chain)
                .values(y=end_year, m=ExtractMonth("report__end_date"))
                .annotate(services=Count("id"))
            ),
        ),
        (
            "top10_centers_units",
            lambda: top(
                "center", "units", 10, Filters(years=[year], chains=[chain], categories=[category])
            ),
            lambda a: list(
                services(a)
                .filter(
                    report__end_date__year=year,
                    report__chain__code=chain,
                    report__category__code=category,
                )
                .values(c=F("report__center__code"))
                .annotate(units=units)
                .order_by("-units")[:10]
            ),
        ),
        (
            "units_by_category_dept_3y",
            lambda: figures(
                Filters(departments=[department], years=three), by=["category"], measures=["units"]
            ),
            lambda a: list(
                services(a)
                .annotate(d=dept)
                .filter(d=department, report__end_date__year__in=three)
                .values(k=F("report__category__code"))
                .annotate(units=units)
            ),
        ),
        (
            "free_share_by_year",
            lambda: figures(by=["year", "free"], measures=["services"]),
            lambda a: list(
                services(a)
                .values(y=end_year, f=F("report__is_free"))
                .annotate(services=Count("id"))
            ),
        ),
        ("new_units_by_year", lambda: figures(by=["year"], measures=["new_units"]), new_units),
    ]


def timed(
    call: Callable[[], Any], repeat: int, before: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Median, min and max of `repeat` timed calls after one untimed, and the load average."""
    call()  # warm-up: connections, plans, page cache
    times = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return peers.stats(times, os.getloadavg()[0])


def median_ms(
    call: Callable[[], Any], repeat: int, before: Callable[[], None] | None = None
) -> float:
    return timed(call, repeat, before)["median_ms"]


def touch_10k_services(now: str, units: int = 400_000) -> None:
    """4,000 new validated reports with 10,000 services, committed like an import would."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM records_servicereport")
        last_report = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM records_service")
        last_service = cursor.fetchone()[0]
        cursor.execute("SELECT min(id), count(*) FROM network_center")
        first_center, _ = cursor.fetchone()
        cursor.execute("SELECT min(id) FROM network_servicecategory")
        category = cursor.fetchone()[0]
    buffer, services = io.StringIO(), []
    for i in range(1, 4001):
        rid = last_report + i
        buffer.write(
            f"{rid}\t{first_center}\tR10K-{rid}\t{category}\t2024-06-01\t2024-06-03\t"
            f"validado\tf\t\t\t{now}\t{now}\n"
        )
        for k in range(3 if i <= 2000 else 2):
            services.append((rid, (rid * 31 + k * 7919) % units + 1))
    raw = connection.connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY records_servicereport (id, center_id, code, category_id, "
            "start_date, end_date, status, is_free, notes, cancel_reason, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        with cursor.copy(
            "COPY records_service (id, report_id, unit_id, amount, typed_name) FROM STDIN"
        ) as copy:
            for n, (rid, unit) in enumerate(services, start=1):
                copy.write_row((last_service + n, rid, unit, 100, ""))
        # Ids were given: move the sequences past them, or the application's own inserts
        # (an import, the load benchmark's operators) collide with these rows.
        for table in ("records_servicereport", "records_service"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    raw.commit()
    assert len(services) == 10_000


def remove_refresh_reports() -> None:
    """Delete what touch_10k_services added in an earlier run (the rebuild follows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM records_service WHERE report_id IN "
            "(SELECT id FROM records_servicereport WHERE code LIKE 'R10K-%%')"
        )
        cursor.execute("DELETE FROM records_servicereport WHERE code LIKE 'R10K-%%'")


def prepare(args: argparse.Namespace) -> None:
    """The database of this size, made and loaded once; earlier runs' additions removed."""
    import psycopg
    from django.db import connection

    from citesmart.records.models import Service

    admin_url = args.pg.rsplit("/", 1)[0] + "/postgres"
    name = args.pg.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    if exists:
        with connection.cursor() as cursor:
            peers.drop_peers(cursor)  # the default-settings baseline sees none of them
        remove_refresh_reports()
    loaded = exists and not args.reload and Service.objects.count() == args.rows
    if not loaded:
        print(f"Generando {args.rows:,} servicios…", flush=True)
        citesmart("migrate", "-v0", database_url=args.pg)
        citesmart("load_reference", database_url=args.pg)
        started = time.perf_counter()
        data = generate(args, references())
        print(f"Datos generados en {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        load_postgres(data, args)
        print(f"PostgreSQL cargado en {time.perf_counter() - started:.1f} s", flush=True)
        if not args.no_sqlite:
            Path(args.sqlite).unlink(missing_ok=True)
            citesmart("migrate", "-v0", database_url=f"sqlite:///{args.sqlite}")
            citesmart("load_reference", database_url=f"sqlite:///{args.sqlite}")
            started = time.perf_counter()
            load_sqlite(args.sqlite, data, args)
            print(f"SQLite cargado en {time.perf_counter() - started:.1f} s", flush=True)
        data.close()
    connection.close()


def rebuilds(args: argparse.Namespace) -> dict[str, Any]:
    """`args.repeat` full rebuilds of the read model: wall seconds and this process's CPU."""
    from citesmart.analytics import refresh

    walls, cpus = [], []
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        refresh.rebuild()
        walls.append((time.perf_counter() - started) * 1000)
        # CPU seconds of this process (all DuckDB threads), not PostgreSQL's: on a machine
        # shared with other jobs the wall time mostly measures the queue for the two cores.
        cpus.append((time.process_time() - cpu) * 1000)
        print(f"Rebuild: {walls[-1] / 1000:.2f} s (CPU de este proceso: {cpus[-1] / 1000:.2f} s)")
    return {"wall": peers.stats(walls, os.getloadavg()[0]), "cpu": peers.stats(cpus, 0)}


def time_page(page: list, args: argparse.Namespace) -> list[dict[str, Any]]:
    """citesmart, the ORM on PostgreSQL with default settings, and on SQLite (as before)."""
    from citesmart.analytics import queries

    results = []
    print(f"{'consulta':28} {'citesmart':>10} {'postgres':>10} {'sqlite':>10} {'x pg':>7}")
    for query_name, ours, orm in page:
        stats = {
            "citesmart": timed(ours, args.repeat, before=queries.clear_cache),
            "postgres": timed(lambda orm=orm: orm("default"), args.orm_repeat),
        }
        if not args.no_sqlite:
            stats["sqlite"] = timed(lambda orm=orm: orm("sqlite"), args.sqlite_repeat)
        results.append({"name": query_name, "stats": stats})
        ms = {key: value["median_ms"] for key, value in stats.items()}
        print(
            f"{query_name:28} {ms['citesmart']:>10} {ms['postgres']:>10} "
            f"{ms.get('sqlite', '-'):>10} {ms['postgres'] / ms['citesmart']:>7.1f}",
            flush=True,
        )
    return results


def time_peers(page: list, results: list, questions: list, args: argparse.Namespace) -> dict:
    """The tuned ORM (after its indexes) and the rollups (asserted equal to citesmart)."""
    from django.db import connection, connections

    from citesmart.analytics import queries

    with connection.cursor() as cursor:
        started = time.perf_counter()
        indexes = peers.make_indexes(cursor)
        indexes_s = time.perf_counter() - started
    with connections["tuned"].cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    for row, (_, _, orm) in zip(results, page, strict=True):
        row["stats"]["postgres_tuned"] = timed(lambda orm=orm: orm("tuned"), args.orm_repeat)
        print(f"{row['name']:28} ORM ajustado {row['stats']['postgres_tuned']['median_ms']:>10}")
    report = {
        "tuned_settings": peers.TUNED_SETTINGS,
        "shared_buffers": shared_buffers,
        "server_advice": peers.SERVER_ADVICE,
        "tuned_indexes": indexes,
        "tuned_indexes_and_vacuum_s": round(indexes_s, 2),
    }
    for engine, (views, _) in peers.ROLLUP_SETS.items():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            made = peers.make_rollups(cursor, views)
            build_s = time.perf_counter() - started
        answers = check_rollups(page, questions, engine)
        with connection.cursor() as cursor:
            for row in results:
                question = answers[row["name"]]
                row["stats"][engine] = timed(lambda q=question: q(cursor), args.repeat)
                print(f"{row['name']:28} {engine} {row['stats'][engine]['median_ms']:>10}")
            sizes = peers.rollup_sizes(cursor, views)
        report[engine] = {"statements": made, "build_s": round(build_s, 2), "sizes": sizes}
    queries.clear_cache()
    return report


def check_rollups(page: list, questions: list, engine: str) -> dict[str, Callable]:
    """The rollups' answer to each question, asserted equal to citesmart's."""
    from django.db import connection

    from citesmart.analytics import queries

    answers = peers.ROLLUP_SETS[engine][1](*questions)
    queries.clear_cache()
    with connection.cursor() as cursor:
        for name, ours, _ in page:
            theirs, mine = answers[name](cursor), peers.canonical(name, ours())
            assert theirs == mine, (engine, name, sorted(set(theirs) ^ set(mine))[:5])
    return answers


def refresh_rounds(page: list, questions: list, args: argparse.Namespace) -> dict[str, Any]:
    """Rounds of 10,000 new services: citesmart's refresh, then REFRESH … CONCURRENTLY."""
    from django.db import connection
    from django.utils import timezone

    from citesmart.analytics import refresh

    sets = {} if args.no_peers else peers.ROLLUP_SETS
    ours, ours_cpu = [], []
    concurrent: dict[str, list[float]] = {engine: [] for engine in sets}
    for _ in range(args.repeat):
        touch_10k_services(timezone.now().isoformat(), args.units)
        started, cpu = time.perf_counter(), time.process_time()
        outcome = refresh.refresh()
        ours.append((time.perf_counter() - started) * 1000)
        ours_cpu.append((time.process_time() - cpu) * 1000)
        assert outcome.kind == "refresh" and outcome.reports >= 4000, outcome
        for engine, (views, _) in sets.items():
            with connection.cursor() as cursor:
                started = time.perf_counter()
                peers.refresh_rollups(cursor, views, concurrently=True)
                concurrent[engine].append((time.perf_counter() - started) * 1000)
        times = {engine: round(values[-1]) for engine, values in concurrent.items()}
        print(f"Refresco de 10k servicios: {ours[-1]:.0f} ms; vistas: {times} ms", flush=True)
    load = os.getloadavg()[0]
    result = {"citesmart": peers.stats(ours, load), "citesmart_cpu": peers.stats(ours_cpu, 0)}
    for engine, (views, _) in sets.items():
        check_rollups(page, questions, engine)  # still equal after the rounds of new services
        full = []
        with connection.cursor() as cursor:
            for _ in range(args.repeat):
                started = time.perf_counter()
                peers.refresh_rollups(cursor, views, concurrently=False)
                full.append((time.perf_counter() - started) * 1000)
        load = os.getloadavg()[0]
        result |= {f"{engine}_concurrently": peers.stats(concurrent[engine], load),
                   f"{engine}_full": peers.stats(full, load)}  # fmt: skip
    return result


def main() -> None:
    args = parse_args()
    if args.table:
        print(peers.markdown(json.loads(Path(args.out).read_text())))
        return
    Path(args.sqlite).parent.mkdir(parents=True, exist_ok=True)
    setup_django(args)
    from citesmart.analytics import queries, watermark

    prepare(args)
    if args.load_only:
        return
    args.load_before = os.getloadavg()[0]
    rebuild = rebuilds(args)

    year = FIRST_YEAR + YEARS - 1
    from citesmart.network.models import Chain, ServiceCategory

    chain = Chain.objects.order_by("code").first().code
    category = ServiceCategory.objects.order_by("order").first().code
    questions = [year, chain, category, "15"]
    page = dashboard(*questions)
    results = time_page(page, args)
    cached = median_ms(lambda: [ours() for _, ours, _ in page], args.repeat)
    totals = page[0][1]()
    assert totals == {**page[0][2]("default"), "flagged": False}, totals
    check_ms = median_ms(lambda: watermark.windows(watermark.new_anchors(600, 60)), args.repeat)
    peer_report = {} if args.no_peers else time_peers(page, results, questions, args)
    queries.clear_cache()
    refreshes = refresh_rounds(page, questions, args)
    write_report(args, questions, results, cached, check_ms, rebuild, refreshes, peer_report)


def write_report(args, questions, results, cached, check_ms, rebuild, refreshes, peer_report):
    for row in results:  # the medians also where earlier versions of this file kept them
        row.update({f"{key}_ms": value["median_ms"] for key, value in row["stats"].items()})
    engines = list(results[0]["stats"])
    page_ms = {key: round(sum(row["stats"][key]["median_ms"] for row in results), 2)
               for key in engines}  # fmt: skip
    report = {
        "rows": args.rows,
        "repeats": {
            "citesmart": args.repeat,
            "postgres": args.orm_repeat,
            "sqlite": args.sqlite_repeat,
        },
        "units": args.units,
        "questions": dict(zip(["year", "chain", "category", "department"], questions, strict=True)),
        "queries": results,
        # the sum of the 8 medians per engine, in milliseconds
        "page_ms": page_ms | {"citesmart_cached": cached},
        "refresh_10k_ms": refreshes["citesmart"]["median_ms"],
        "rebuild_s": round(rebuild["wall"]["median_ms"] / 1000, 2),
        "refresh_10k_cpu_ms": refreshes["citesmart_cpu"]["median_ms"],
        "rebuild_cpu_s": round(rebuild["cpu"]["median_ms"] / 1000, 2),
        "rebuild": rebuild,
        "refresh_10k": refreshes,
        "watermark_check_ms": check_ms,
        "postgres_peers": peer_report,
        "duckdb_file_mb": round(
            sum(p.stat().st_size for p in Path(args.analytics_dir).glob("gen-*.duckdb"))
            / 2**20
            / 2,
            1,
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "shared": "2 cores shared with other engineers' jobs",
            "load_average_at_start": round(args.load_before, 2),
            "load_average_at_end": round(os.getloadavg()[0], 2),
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(peers.markdown(report))
    print(f"Página: {page_ms} (con caché: {cached} ms); refresco: {refreshes}; → {args.out}")


if __name__ == "__main__":
    main()
