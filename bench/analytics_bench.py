"""Benchmark of the analytics read model against plain ORM queries (`make bench`, not a test).

Loads synthetic services into the real schema of a separate PostgreSQL database (COPY) and
an SQLite file, then times the eight queries of a dashboard page three ways: through
citesmart.analytics.queries, and with the straightforward Django ORM query on PostgreSQL and
on SQLite. Writes bench/results/analytics.json.

    .venv/bin/python bench/analytics_bench.py            # 1M services
    .venv/bin/python bench/analytics_bench.py --10m      # 10M services
"""

# Table and column names below are constants of this script; values are bound or COPY rows.
# ruff: noqa: S608, S603, S311

import argparse
import io
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240601
FIRST_YEAR, YEARS = 2015, 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="services to generate")
    parser.add_argument("--10m", dest="ten", action="store_true", help="10M services")
    parser.add_argument("--units", type=int, default=400_000, help="productive units")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/citesmart_bench")
    parser.add_argument("--sqlite", default=str(ROOT / "var/bench/analytics.sqlite3"))
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite column")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reload", action="store_true", help="regenerate even if loaded")
    parser.add_argument("--out", default=str(ROOT / "bench/results/analytics.json"))
    args = parser.parse_args()
    if args.ten:
        args.rows = 10_000_000
    return args


def setup_django(args: argparse.Namespace) -> None:
    os.environ.update(
        DEBUG="1",
        DATABASE_URL=args.pg,
        CITESMART_ANALYTICS_DIR=str(ROOT / "var/bench/analytics"),
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
    from django.db import connections

    connections.settings = connections.configure_settings(settings.DATABASES)


def citesmart(*command: str, database_url: str) -> None:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url}
    subprocess.run([str(ROOT / ".venv/bin/citesmart"), *command], env=env, check=True)


# --- synthetic data --------------------------------------------------------------------------


def generate(args: argparse.Namespace, refs: dict[str, Any]) -> dict[str, list[tuple]]:
    """Deterministic rows for units, reports and services with a realistic skew."""
    rng = random.Random(SEED)
    districts, chains = refs["districts"], refs["chains"]
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
    units = []
    for n in range(1, args.units + 1):
        dept = rng.choices(depts, dept_weights[: len(depts)])[0]
        district = rng.choice(by_dept[dept]) if rng.random() < 0.9 else None
        units.append(
            (
                n,
                "dni",
                f"{10_000_000 + n}",
                f"{10_000_000 + n}",
                f"Unidad {n}",
                rng.choices(client_types, [30, 35, 10, 20, 2, 3])[0],
                rng.choices(
                    ["micro", "pequena", "mediana", "grande", "sin_dato"], [60, 15, 4, 1, 20]
                )[0],
                district,
                dept,
            )
        )
    centers = refs["centers"]
    center_weights = [1 / (i + 1) ** 0.7 for i in range(len(centers))]
    year_weights = [1.15**i for i in range(YEARS)]  # the network grows ~15% a year
    reports, services, service_id, report_id = [], [], 0, 0
    # Repeat use: a unit's chance to come back falls with its rank (zipf-like).
    hot = max(1, args.units // 20)
    while service_id < args.rows:
        report_id += 1
        kind = rng.random()
        size = 1 if kind < 0.7 else rng.randint(2, 5) if kind < 0.9 else rng.randint(6, 25)
        size = min(size, args.rows - service_id)
        year = FIRST_YEAR + rng.choices(range(YEARS), year_weights)[0]
        end = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
        free = rng.random() < 0.3
        status = rng.choices(["validado", "registrado", "anulado"], [85, 10, 5])[0]
        reports.append(
            (
                report_id,
                rng.choices(centers, center_weights)[0],
                f"B{report_id}",
                rng.choice(refs["categories"]),
                rng.choice(chains) if rng.random() < 0.9 else None,
                end - timedelta(days=rng.randint(0, 20)),
                end,
                status,
                free,
                rng.choice(refs["programmes"]) if free and rng.random() < 0.3 else None,
            )
        )
        start = rng.randint(1, hot) if rng.random() < 0.5 else rng.randint(1, args.units)
        for k in range(size):
            service_id += 1
            unit = (start + k * 7919 - 1) % args.units + 1  # distinct within the report
            amount = 0 if free else rng.choice([50, 80, 120, 250, 400, 900, 1500])
            services.append((service_id, report_id, unit, amount))
    return {"units": units, "reports": reports, "services": services}


UNIT_COLUMNS = (
    "id, document_type, document_number, person_dni, name, client_type, size_class, "
    "district_id, department_id"
)
REPORT_COLUMNS = (
    "id, center_id, code, category_id, chain_id, start_date, end_date, status, "
    "is_free, programme_id"
)
SERVICE_COLUMNS = "id, report_id, unit_id, amount"
FILLERS = {
    "units_productiveunit": (
        "taxpayer_type, ciiu, email, phone, consent_channel, created_at, updated_at",
        ("", "", "", "", ""),
    ),
    "records_servicereport": ("notes, cancel_reason, created_at, updated_at", ("", "")),
}


def _rows_with_fillers(table: str, rows: list[tuple], now: str) -> Iterator[tuple]:
    # Rows were last touched when recorded (years ago), not all at load time: otherwise
    # every row would sit inside the refresh's overlap window.
    extra = FILLERS.get(table)
    for row in rows:
        if table == "records_servicereport":
            stamp = f"{row[6] + timedelta(days=2)} 12:00:00+00"
        else:  # units: spread over the ten years, one every ten minutes
            touched = datetime(FIRST_YEAR, 1, 1) + timedelta(minutes=10 * row[0])
            stamp = f"{touched:%Y-%m-%d %H:%M:%S}+00"
        yield row + (extra[1] + (stamp, stamp) if extra else ())


def _columns(table: str, columns: str) -> str:
    extra = FILLERS.get(table)
    return f"{columns}, {extra[0]}" if extra else columns


def load_postgres(data: dict[str, list[tuple]], now: str) -> None:
    from django.db import connection

    tables = [
        ("units_productiveunit", UNIT_COLUMNS, data["units"]),
        ("records_servicereport", REPORT_COLUMNS, data["reports"]),
        ("records_service", SERVICE_COLUMNS, data["services"]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE records_service, records_servicereport, "
            "units_productiveunit RESTART IDENTITY CASCADE"
        )
    raw = connection.connection
    for table, columns, rows in tables:
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({_columns(table, columns)}) FROM STDIN") as copy:
                for row in _rows_with_fillers(table, rows, now):
                    copy.write_row(row)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def load_sqlite(path: str, data: dict[str, list[tuple]], now: str) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    for table, columns, rows in (
        ("units_productiveunit", UNIT_COLUMNS, data["units"]),
        ("records_servicereport", REPORT_COLUMNS, data["reports"]),
        ("records_service", SERVICE_COLUMNS, data["services"]),
    ):
        db.execute(f"DELETE FROM {table}")
        cols = _columns(table, columns)
        marks = ", ".join("?" * len(cols.split(",")))
        db.executemany(
            f"INSERT INTO {table} ({cols}) VALUES ({marks})",
            (tuple(_sqlite_value(v) for v in row) for row in _rows_with_fillers(table, rows, now)),
        )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _sqlite_value(value: Any) -> Any:
    # Django keeps SQLite datetimes as naive UTC text "YYYY-MM-DD HH:MM:SS".
    if isinstance(value, str) and value.endswith("+00"):
        return value[:-3]
    return str(value) if isinstance(value, date) else value


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


def median_ms(
    call: Callable[[], Any], repeat: int, before: Callable[[], None] | None = None
) -> float:
    call()  # warm-up: connections, plans, page cache
    times = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def touch_10k_services(now: str) -> None:
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
            services.append((rid, (rid * 31 + k * 7919) % 400_000 + 1))
    raw = connection.connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY records_servicereport (id, center_id, code, category_id, "
            "start_date, end_date, status, is_free, notes, cancel_reason, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        with cursor.copy(
            "COPY records_service (id, report_id, unit_id, amount) FROM STDIN"
        ) as copy:
            for n, (rid, unit) in enumerate(services, start=1):
                copy.write_row((last_service + n, rid, unit, 100))
    raw.commit()
    assert len(services) == 10_000


def main() -> None:
    args = parse_args()
    Path(args.sqlite).parent.mkdir(parents=True, exist_ok=True)
    setup_django(args)
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from citesmart.analytics import queries, refresh, source
    from citesmart.records.models import Service

    admin_url = args.pg.rsplit("/", 1)[0] + "/postgres"
    name = args.pg.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    loaded = exists and not args.reload and Service.objects.count() == args.rows
    if not loaded:
        print(f"Generando {args.rows:,} servicios…", flush=True)
        citesmart("migrate", "-v0", database_url=args.pg)
        citesmart("load_reference", database_url=args.pg)
        data = generate(args, references())
        now = timezone.now().isoformat()
        started = time.perf_counter()
        load_postgres(data, now)
        print(f"PostgreSQL cargado en {time.perf_counter() - started:.1f} s", flush=True)
        if not args.no_sqlite:
            Path(args.sqlite).unlink(missing_ok=True)
            citesmart("migrate", "-v0", database_url=f"sqlite:///{args.sqlite}")
            citesmart("load_reference", database_url=f"sqlite:///{args.sqlite}")
            started = time.perf_counter()
            load_sqlite(args.sqlite, data, now)
            print(f"SQLite cargado en {time.perf_counter() - started:.1f} s", flush=True)
        del data
    connection.close()

    started = time.perf_counter()
    refresh.rebuild()
    rebuild_s = round(time.perf_counter() - started, 2)
    print(f"Rebuild: {rebuild_s} s", flush=True)

    year = FIRST_YEAR + YEARS - 1
    from citesmart.network.models import Chain, ServiceCategory

    chain = Chain.objects.order_by("code").first().code
    category = ServiceCategory.objects.order_by("order").first().code
    page = dashboard(year, chain, category, "15")
    results, page_ms = [], {"citesmart_ms": 0.0, "postgres_ms": 0.0, "sqlite_ms": 0.0}
    print(
        f"{'consulta':28} {'citesmart':>10} {'postgres':>10} {'sqlite':>10} "
        f"{'x pg':>7} {'x sqlite':>9}"
    )
    for query_name, ours, orm in page:
        row = {
            "name": query_name,
            "citesmart_ms": median_ms(ours, args.repeat, before=queries.clear_cache),
            "postgres_ms": median_ms(lambda orm=orm: orm("default"), max(3, args.repeat // 2)),
            "sqlite_ms": None
            if args.no_sqlite
            else median_ms(lambda orm=orm: orm("sqlite"), max(3, args.repeat // 2)),
        }
        results.append(row)
        for key in page_ms:
            page_ms[key] = round(page_ms[key] + (row[key] or 0), 2)
        print(
            f"{query_name:28} {row['citesmart_ms']:>10} {row['postgres_ms']:>10} "
            f"{row['sqlite_ms'] or '-':>10} {row['postgres_ms'] / row['citesmart_ms']:>7.1f} "
            f"{(row['sqlite_ms'] or 0) / row['citesmart_ms']:>9.1f}",
            flush=True,
        )
    cached = median_ms(lambda: [ours() for _, ours, _ in page], args.repeat)

    totals = page[0][1]()
    assert totals == {**page[0][2]("default"), "flagged": False}, totals
    check_ms = median_ms(lambda: source.windows(source.new_anchors(600)), args.repeat)

    touch_10k_services(timezone.now().isoformat())
    started = time.perf_counter()
    outcome = refresh.refresh()
    refresh_ms = round((time.perf_counter() - started) * 1000, 1)
    assert outcome.kind == "refresh" and outcome.reports >= 4000, outcome

    report = {
        "rows": args.rows,
        "units": args.units,
        "queries": results,
        "page_ms": page_ms | {"citesmart_cached_ms": cached},
        "refresh_10k_ms": refresh_ms,
        "rebuild_s": rebuild_s,
        "watermark_check_ms": check_ms,
        "duckdb_file_mb": round(
            sum(p.stat().st_size for p in (ROOT / "var/bench/analytics").glob("gen-*.duckdb"))
            / 2**20
            / 2,
            1,
        ),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"Página: {page_ms} (con caché: {cached} ms); refresco de 10k servicios: {refresh_ms} ms; "
        f"revisión de frescura: {check_ms} ms → {args.out}"
    )


if __name__ == "__main__":
    main()
