"""Commit → public figure: how long a validated report takes to show (not a test).

An app server's listener runs in its own process (`citesmart analytics watch`: LISTEN/NOTIFY
on PostgreSQL, the data_version poll on SQLite; analytics/push.py). This process records
`--writes` validated reports, one at a time, through the actions layer (one service each),
and after each commit polls the year's public count of services (no HTTP request, and its
own queries never refresh: ANALYTICS_AUTO_REFRESH off) until it has moved by one. The
latency is commit → figure; p50, p95, min and max over the writes.

Baseline, measured in the same run before the listener starts: the same write followed by
`refresh.refresh()` called right here (no notice, no other process): what a refresh costs on
this data. The ratio p50 / baseline is what the push path adds (notice, wake-up, attach).
The load average is recorded before and after. Issue 20's target: p95 ≤ 2 s.

Data: the private data set of bench/dashboard_request_bench.py (`--size quick` by default)
or `--db`/`--analytics-dir`. Reports it writes are coded `PUSH-BENCH-…` and deleted at the
start of the next run. Writes bench/results/push-latency.json.

    .venv/bin/python bench/push_latency_bench.py --quick
    .venv/bin/python bench/push_latency_bench.py --db postgres://postgres@127.0.0.1:5432/cs_x
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_request_bench import CITESMART, ROOT, SIZES, environment, prepare, write_results

TARGET_P95_S = 2.0
PREFIX = "PUSH-BENCH-"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="quick", help="private data set")
    parser.add_argument("--quick", action="store_true", help="--size quick --writes 20")
    parser.add_argument("--db", default="", help="DATABASE_URL of an existing data set")
    parser.add_argument("--analytics-dir", default="", help="its read model (with --db)")
    parser.add_argument(
        "--make", action="store_true", help="with --db: fill that empty database with --size"
    )
    parser.add_argument("--writes", type=int, default=50, help="timed writes (≥ 5)")
    parser.add_argument("--baseline-writes", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per write at most")
    parser.add_argument("--out", default=str(ROOT / "bench/results/push-latency.json"))
    args = parser.parse_args()
    if args.quick:
        args.size, args.writes = "quick", 20
    args.writes = max(args.writes, 5)
    return args


class Writer:
    """Records one-service validated reports and reads the public figure they move."""

    def __init__(self) -> None:
        from citesmart.analytics.queries import Filters
        from citesmart.network.models import Center, ServiceCategory
        from citesmart.portal.periods import latest_year
        from citesmart.records.models import ServiceReport
        from citesmart.units.models import ProductiveUnit

        self.year = latest_year()
        self.filters = Filters(years=(self.year,))
        report = ServiceReport.objects.filter(status="validado", end_date__year=self.year).first()
        assert report is not None, "no validated report in the data set's latest year"
        self.center, self.category = (
            report.center,
            report.category or ServiceCategory.objects.first(),
        )
        self.unit = ProductiveUnit.objects.filter(services__report=report).first()
        self.day = report.end_date
        self.count = 0
        assert isinstance(self.center, Center)

    def shown(self) -> int:
        from citesmart.analytics import queries

        return int(queries.totals(self.filters)["services"] or 0)

    def write(self) -> None:
        from decimal import Decimal

        from citesmart.records.actions import AttendedUnit, record_service_report
        from citesmart.records.models import ReportStatus

        self.count += 1
        record_service_report(
            center=self.center,
            code=f"{PREFIX}{os.getpid()}-{self.count}",
            start_date=self.day,
            end_date=self.day,
            units=[AttendedUnit(self.unit, Decimal(0))],
            category=self.category,
            status=ReportStatus.VALIDATED,
            today=date.today(),
        )

    def until_shown(self, expected: int, timeout: float) -> float:
        started = time.perf_counter()
        while self.shown() != expected:
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"la cifra no llegó a {expected} en {timeout} s")
            time.sleep(0.02)
        return time.perf_counter() - started


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["ANALYTICS_AUTO_REFRESH"] = "0"  # only the listener may refresh
    import django

    django.setup()


def clean(env: dict[str, str]) -> None:
    from citesmart.analytics import refresh
    from citesmart.records.models import ServiceReport

    ServiceReport.objects.filter(code__startswith=PREFIX).delete()
    refresh.refresh()


def baseline(writer: Writer, writes: int) -> list[float]:
    from citesmart.analytics import refresh

    seconds = []
    for _ in range(writes):
        expected = writer.shown() + 1
        writer.write()
        started = time.perf_counter()
        refresh.refresh()
        writer.until_shown(expected, 5)
        seconds.append(time.perf_counter() - started)
    return seconds


def pushed(writer: Writer, writes: int, timeout: float) -> list[float]:
    seconds = []
    for _ in range(writes):
        expected = writer.shown() + 1
        writer.write()  # committed when it returns (autocommit; the action is atomic)
        seconds.append(writer.until_shown(expected, timeout))
    return seconds


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
        "n": len(ordered),
    }


def main() -> None:
    args = parse_args()
    env = environment(args)
    prepare(args, env)
    setup_django(env)
    from django.db import connection

    clean(env)
    writer = Writer()
    load_before = os.getloadavg()
    base = summary(baseline(writer, args.baseline_writes))
    listener = subprocess.Popen(  # noqa: S603 - our own command
        [CITESMART, "analytics", "watch", "--interval", "3600", "--warm-seconds", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # one log line per refresh
    )
    try:
        time.sleep(3)  # the listener connects and runs its first check
        pushed(writer, 1, args.timeout)  # untimed: the listener's first refresh
        found = summary(pushed(writer, args.writes, args.timeout))
    finally:
        listener.terminate()
        listener.wait(30)
    load_after = os.getloadavg()
    print(
        f"{connection.vendor}, año {writer.year}; carga {load_before[0]:.2f} → "
        f"{load_after[0]:.2f} ({os.cpu_count()} núcleos)"
    )
    print(f"línea base (refresco en este proceso, {base['n']} escrituras): {fmt(base)}")
    print(f"por aviso ({found['n']} escrituras): {fmt(found)}")
    print(
        f"p50 / línea base: {found['p50'] / max(base['p50'], 0.001):.2f}×; "
        f"p95 / objetivo ({TARGET_P95_S} s): {found['p95'] / TARGET_P95_S:.2f}×"
    )
    write_results(
        args.out,
        database=connection.vendor,
        data=args.db or args.size,
        load_before=load_before,
        load_after=load_after,
        baseline_seconds=base,
        push_seconds=found,
        target_p95_seconds=TARGET_P95_S,
    )


def fmt(found: dict[str, float]) -> str:
    return (
        f"p50 {found['p50']:.3f} s, p95 {found['p95']:.3f} s "
        f"(mín {found['min']:.3f}, máx {found['max']:.3f})"
    )


if __name__ == "__main__":
    main()
