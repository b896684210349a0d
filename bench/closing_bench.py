"""Server time of the closing calendar (issue 15: 48 centers × 84 months ≤ 300 ms), not a test.

Builds a scratch SQLite database (or uses --db) with the real network, one report a center
and month for 84 months (a fifth of them still "registrado") and a closing row for every
center and month in a mix of states, then times, each as the median of --repeat runs with
min and max:
- `calendar`: records.closing.calendar() for all 84 months of every center (two queries);
- `page/<year>`: the calendar page of one year, one whole request through Django's stack
  (a national administrator's session, so every action button is drawn); `page/todos`: every
  year from 2019 on one page (?anio=todos);
- `baseline`: the same states counted one cell at a time (a query per center and month),
  the obvious way to write it, measured in the same run: the ratios compare with it.
Prints the figures with the load average and writes bench/results/closing.json.

    .venv/bin/python bench/closing_bench.py [--repeat 5] [--db postgres://…/cs_closing]
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEARS = list(range(2019, 2026))  # 7 years = 84 months


def setup(db: str) -> None:
    os.environ.setdefault("DEBUG", "1")
    if db:
        os.environ["DATABASE_URL"] = db
    else:
        os.environ["CITESMART_VAR_DIR"] = tempfile.mkdtemp(prefix="citesmart-closing-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)


def fill() -> int:
    from citesmart.network.models import Center, ServiceCategory
    from citesmart.records.models import MonthClosing, MonthStatus, ReportStatus, ServiceReport

    MonthClosing.objects.all().delete()
    ServiceReport.objects.filter(code__startswith="BENCH-").delete()
    category = ServiceCategory.objects.order_by("order").first()
    centers = list(Center.objects.all())
    states = list(MonthStatus)
    reports, closings = [], []
    for index, center in enumerate(centers):
        for year in YEARS:
            for month in range(1, 13):
                n = index + year + month
                status = ReportStatus.REGISTERED if n % 5 == 0 else ReportStatus.VALIDATED
                day = date(year, month, 15)
                reports.append(
                    ServiceReport(
                        center=center,
                        code=f"BENCH-{year}-{month:02d}",
                        category=category,
                        start_date=day,
                        end_date=day,
                        status=status,
                        delivery_district_id=center.district_id,
                    )
                )
                state = states[n % len(states)]
                closings.append(MonthClosing(center=center, year=year, month=month, status=state))
    ServiceReport.objects.bulk_create(reports, batch_size=2000)
    MonthClosing.objects.bulk_create(closings, batch_size=2000)
    return len(centers)


def timed(work, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(runs), 1),
        "min_ms": round(min(runs), 1),
        "max_ms": round(max(runs), 1),
    }


def baseline(centers) -> int:
    from citesmart.records.models import MonthClosing, ReportStatus, ServiceReport

    cells = 0
    for center in centers:
        for year in YEARS:
            for month in range(1, 13):
                MonthClosing.objects.filter(center=center, year=year, month=month).first()
                ServiceReport.objects.filter(
                    center=center,
                    end_date__year=year,
                    end_date__month=month,
                    status=ReportStatus.REGISTERED,
                ).count()
                cells += 1
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench/results/closing.json"))
    args = parser.parse_args()
    setup(args.db)
    from django.contrib.auth.models import User
    from django.test import Client

    from citesmart.accounts.actions import create_staff_user
    from citesmart.accounts.roles import Role
    from citesmart.network.models import Center
    from citesmart.records import closing

    count = fill()
    centers = list(Center.objects.all())
    admin = User.objects.filter(username="bench_admin").first() or create_staff_user(
        username="bench_admin",
        password="clave-del-banco-de-pruebas-1",  # noqa: S106
        role=Role.NATIONAL_ADMIN,
    )
    client = Client()
    client.force_login(admin)
    results = {
        "centers": count,
        "months": len(YEARS) * 12,
        "database": os.environ.get("DATABASE_URL", "sqlite").split("@")[-1],
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "baseline": timed(lambda: baseline(centers), max(1, args.repeat // 2)),
        "calendar": timed(lambda: closing.calendar(centers, YEARS), args.repeat),
    }
    for year in (YEARS[0], YEARS[-1], "todos"):
        results[f"page/{year}"] = timed(
            lambda y=year: client.get(f"/admin/records/servicereport/cierres/?anio={y}"),
            args.repeat,
        )
    base = results["baseline"]["median_ms"]
    for name, figure in results.items():
        if isinstance(figure, dict):
            ratio = base / figure["median_ms"] if figure["median_ms"] else 0
            print(
                f"{name:<12} median {figure['median_ms']:8.1f} ms  (min {figure['min_ms']}, "
                f"max {figure['max_ms']})  baseline/this = {ratio:6.1f}×"
            )
    print(f"{count} centers × {len(YEARS) * 12} months; load average {results['loadavg']}")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
