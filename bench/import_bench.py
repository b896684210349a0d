"""Benchmark of the spreadsheet import (a benchmark, not a test).

    DEBUG=1 DATABASE_URL=postgres://... .venv/bin/python bench/import_bench.py [--rows 100000]

Generates a CSV and an XLSX of N rows (about 2.5 units per report, a third of the units
repeated across reports), then on a throw-away test database created on the current
DATABASE_URL server measures, for each format: reading the file alone (the baseline), a dry
run, the first commit, and a re-import of the same file (everything unchanged). Writes
bench/results/import-<database>.json (rows/s per format and phase, with the load average, since
the machine is shared and timings are noisy).
"""

import argparse
import datetime
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import django

django.setup()

from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from citesmart.geo.loading import load_geography  # noqa: E402
from citesmart.geo.models import District  # noqa: E402
from citesmart.lib.identity import random_dni, random_ruc  # noqa: E402
from citesmart.lib.spreadsheets import Limits, read_table, write_csv, write_xlsx  # noqa: E402
from citesmart.network.models import Center, ServiceCategory  # noqa: E402
from citesmart.network.reference import load_network  # noqa: E402
from citesmart.records import imports  # noqa: E402
from citesmart.records.template import HEADERS  # noqa: E402

LIMITS = Limits(max_bytes=200 * 1024 * 1024, max_rows=1_000_000)


def make_rows(count: int, rng: random.Random) -> list[list[object]]:
    """Synthetic but valid rows: real districts and categories, valid RUC/DNI."""
    districts = list(District.objects.values_list("code", flat=True))
    categories = list(ServiceCategory.objects.values_list("name", flat=True))
    people = [(random_ruc(rng), "RUC") for _ in range(count // 3)]
    people += [(random_dni(rng), "DNI") for _ in range(count // 6)]
    rows: list[list[object]] = []
    report = 0
    while len(rows) < count:
        report += 1
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(500))
        category = rng.choice(categories)
        attended = rng.sample(people, k=min(rng.choice((1, 1, 2, 3, 5)), count - len(rows)))
        for number, kind in attended:
            rows.append([
                f"INF-{report:07d}", day.strftime("%d/%m/%Y"), day.strftime("%d/%m/%Y"),
                category, "", "", rng.choice(districts), kind, number,
                f"Unidad {number}", "Empresa formal", f"{rng.randrange(0, 900)},50", "", "",
            ])  # fmt: skip
    return rows


CPU: list[float] = []
"""CPU seconds of this process for each timed action: the machine is shared, so wall-clock
figures move with the load; the database server's share is the difference."""


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started, cpu = time.perf_counter(), time.process_time()
    value = action()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started, value


def read_only(path: Path) -> int:
    with read_table(path, limits=LIMITS) as table:
        return sum(1 for _ in table.rows())


def run(path: Path, center: Center, rows: int, **options: object) -> None:
    seconds, result = timed(
        lambda: imports.import_file(path, center=center, limits=LIMITS, **options)
    )
    assert result.exit_code == 0, (result.fatal, result.errors[:5])
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--out", help="JSON results (default bench/results/import-<db>.json)")
    args = parser.parse_args()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from django.conf import settings

            settings.MEDIA_ROOT = Path(tmp) / "media"
            load_geography()
            load_network()
            report = bench(Path(tmp), args.rows, args.formats.split(","))
        from django.db import connection

        root = Path(__file__).resolve().parent
        out = Path(args.out or root / "results" / f"import-{connection.vendor}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"Resultados en {out}")
    finally:
        teardown_databases(old, verbosity=0)


def bench(tmp: Path, count: int, formats: list[str]) -> dict[str, object]:
    from django.db import connection

    report: dict[str, object] = {
        "rows": count,
        "database": connection.vendor,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_before": list(os.getloadavg()),
        "phases": [],
    }
    rows = make_rows(count, random.Random(1228))  # noqa: S311 - synthetic data
    centers = iter(Center.objects.filter(parent__isnull=True).order_by("code")[:4])
    print(f"{count} filas, base de datos: {connection.vendor}")
    print(
        f"{'formato':8} {'fase':22} {'segundos':>9} {'filas/s':>9} {'× lectura':>10} "
        f"{'CPU s':>8} {'filas/CPU s':>9}"
    )
    for fmt in formats:
        path = tmp / f"servicios.{fmt}"
        if fmt == "csv":
            write_csv(path, HEADERS, rows)
        else:
            write_xlsx(path, {"Servicios": (HEADERS, rows)})
        center = next(centers)
        baseline, _ = timed(lambda path=path: read_only(path))
        phases = [("lectura (base)", baseline, CPU[-1])]
        seconds = run(path, center, count, dry_run=True)[0]
        phases.append(("verificación (dry-run)", seconds, CPU[-1]))
        seconds, result = run(path, center, count)
        assert result.created == result.reports
        phases.append(("registro", seconds, CPU[-1]))
        seconds, result = run(path, center, count)
        assert result.unchanged == result.reports
        phases.append(("reimportación", seconds, CPU[-1]))
        for name, seconds, cpu in phases:
            print(
                f"{fmt:8} {name:22} {seconds:9.2f} {count / seconds:9.0f} "
                f"{seconds / baseline:10.1f} {cpu:8.2f} {count / cpu:9.0f}"
            )
            report["phases"].append(  # type: ignore[attr-defined]
                {
                    "format": fmt,
                    "phase": name,
                    "seconds": round(seconds, 2),
                    "rows_per_second": round(count / seconds),
                    "x_reading": round(seconds / baseline, 1),
                    "cpu_seconds": round(cpu, 2),
                    "rows_per_cpu_second": round(count / cpu),
                }
            )
    report["load_average_after"] = list(os.getloadavg())
    return report


if __name__ == "__main__":
    main()
