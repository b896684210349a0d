"""A refresh on this machine's file system against the same refresh on XFS (not a test).

Every incremental refresh starts from a copy of the current generation (analytics.clone). On
ext4 that copy is every byte of the read model (about 1 GB at 10M services); on XFS with
reflinks it shares the blocks, and only what the refresh changes is written. This script
keeps two read models of the same PostgreSQL data set: the baseline in `--analytics-dir`
(on this machine's file system: ext4 here) and one on an XFS file system it makes on a loop
device (a sparse image under var/bench/, unmounted and removed at the end). Each round adds
to the records, then refreshes both read models, in alternating order:

* one registered report of one service: what an operator's import adds (the cluster drill's
  two importers add about three a second, and each server publishes a generation for them);
* 10,000 validated services in 4,000 reports (`analytics_bench.touch_10k_services`: issue
  20's "refresh of 10k services ≤ 2 s").

Figures: the median of `--rounds` (≥ 5) with min and max, wall and this process's CPU, the
load average, and the ratio XFS / baseline. Needs root (mount, losetup) and mkfs.xfs (`make
test` installs xfsprogs), and the data set: `analytics_bench.py --10m --no-sqlite
--load-only` first. Writes bench/results/reflink-10m.json.

    sudo .venv/bin/python bench/reflink_bench.py --10m
"""

# ruff: noqa: S603, S607

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ops" / "drills"))
import analytics_bench
import infra
from analytics_peers import stats

ROOT = analytics_bench.ROOT


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--10m", dest="ten", action="store_true", help="the 10M data set")
    parser.add_argument("--pg", help="PostgreSQL URL (default: analytics_bench's of the size)")
    parser.add_argument("--analytics-dir", help="the baseline read model (default: the size's)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--image-gb", type=int, default=24, help="XFS image size (sparse)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/reflink-10m.json"))
    args = parser.parse_args()
    args.rounds = max(args.rounds, 5)
    rows = 10_000_000 if args.ten else 1_000_000
    size = f"{rows // 1_000_000}m"
    args.pg = args.pg or f"postgres://postgres@127.0.0.1:5432/cs_bench{size}"
    args.analytics_dir = args.analytics_dir or str(ROOT / f"var/bench/analytics-{size}")
    args.sqlite = str(ROOT / "var/bench/unused.sqlite3")  # analytics_bench.setup_django's alias
    args.size = size
    return args


def add_one_report(now: str) -> None:
    """One registered report of one service, as an operator's import commits it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM network_center")
        center = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM units_productiveunit")
        unit = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM network_servicecategory")
        category = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO records_servicereport (center_id, category_id, code, start_date, "
            "end_date, status, is_free, notes, cancel_reason, created_at, updated_at) VALUES "
            "(%s, %s, 'R10K-ONE-' || nextval('records_servicereport_id_seq'), '2024-06-01', "
            "'2024-06-02', 'registrado', false, '', '', %s, %s) RETURNING id",
            [center, category, now, now],
        )
        report = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO records_service (report_id, unit_id, amount, typed_name) "
            "VALUES (%s, %s, 100, '')",
            [report, unit],
        )


def refresh_in(directory: Path, kind: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one refresh of the read model in `directory`."""
    from django.conf import settings

    from citesmart.analytics import refresh

    settings.ANALYTICS_DIR = str(directory)
    started, cpu = time.perf_counter(), time.process_time()
    outcome = refresh.refresh()
    wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    assert outcome.kind == "refresh" and outcome.reports >= 1, outcome
    print(f"{kind} en {directory}: {wall:.0f} ms (CPU {cpu:.0f} ms)", flush=True)
    return wall, cpu


def rounds(dirs: dict[str, Path], rounds: int) -> dict[str, Any]:
    from django.utils import timezone

    times: dict[str, dict[str, list[float]]] = {}
    changes = {
        "one_report": lambda now: add_one_report(now),
        "10k_services": lambda now: analytics_bench.touch_10k_services(now),
    }
    for n in range(rounds):
        for change, add in changes.items():
            add(timezone.now().isoformat())
            order = list(dirs.items()) if n % 2 == 0 else list(dirs.items())[::-1]
            for name, directory in order:
                wall, cpu = refresh_in(directory, change)
                entry = times.setdefault(f"{change}:{name}", {"wall": [], "cpu": []})
                entry["wall"].append(wall)
                entry["cpu"].append(cpu)
    load = os.getloadavg()[0]
    return {
        key: {"wall": stats(v["wall"], load), "cpu": stats(v["cpu"], 0)} for key, v in times.items()
    }


def main() -> None:
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("Run as root: the benchmark mounts an XFS file system on a loop device.")
    analytics_bench.setup_django(args)
    from django.conf import settings

    from citesmart.analytics import refresh

    analytics_bench.remove_refresh_reports()  # earlier runs' additions (R10K-…)
    baseline = Path(args.analytics_dir)
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        xfs = infra.xfs_mount(stack, ROOT / f"var/bench/xfs-{args.size}", args.image_gb)
        dirs = {"baseline": baseline, "xfs": xfs / "analytics"}
        for directory in dirs.values():
            settings.ANALYTICS_DIR = str(directory)
            started = time.perf_counter()
            refresh.rebuild()
            print(f"Reconstruido {directory} en {time.perf_counter() - started:.1f} s", flush=True)
        results = rounds(dirs, args.rounds)
        file_system = subprocess.run(
            ["findmnt", "-no", "FSTYPE", "-T", str(baseline)], capture_output=True, text=True
        ).stdout.strip()
    analytics_bench.remove_refresh_reports()
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count()},
        "load_average_before": round(load_before, 2),
        "baseline_file_system": file_system,
        "size": args.size,
        "rounds": args.rounds,
        "results": results,
        "ratios_xfs_to_baseline": {
            change: round(
                results[f"{change}:xfs"]["wall"]["median_ms"]
                / results[f"{change}:baseline"]["wall"]["median_ms"],
                2,
            )
            for change in ("one_report", "10k_services")
        },
    }
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["ratios_xfs_to_baseline"]), f"→ {args.out}")


if __name__ == "__main__":
    main()
