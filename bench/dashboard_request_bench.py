"""The dashboard as the visitor waits for it: one whole HTTP request, cold and warm (not a test).

Each sample is one `GET` through Django's full stack (test client: middleware, registry,
analytics queries, secrecy, templates, gzip; no network or browser time), so a figure is
what a visitor waits for on the server, not a sum of query medians timed apart.

* cold: a new Python process per sample, with an empty shared cache of its own, started as
  `citesmart serve` starts a worker: Django set up, then what the worker does before it
  accepts a connection (citesmart.ops.warmup: the views imported, the project's templates
  compiled, the network's registry loaded, the DuckDB generation attached; no answer
  computed), with the freshness check in a thread of its own (ANALYTICS_BACKGROUND_REFRESH,
  as `serve` sets it). Then the one request is timed (every answer computed, the page
  rendered): the first visitor of a freshly started worker. Start-up is reported apart.
* warm: one process, the page requested once untimed, then each sample is one request with
  whatever the server keeps between requests (answers, page cache) — a later visitor.

Every figure is the median of `--runs` samples (at least 5) with min and max, printed as a
ratio to the baseline measured in the same run the same way: the privacy notice (a static
template through the same stack). The load average is recorded before and after (the
machine is shared: compare ratios within a run, not times across runs).

Data: by default a private SQLite database and read model under var/bench/dashboard-<size>/,
made once by the `citesmart` commands (`--size quick`: 2024-2025 at 5 % of the real volume,
about a minute to make; `--size demo`: 2019-2025 at full demo volume). `--db` and
`--analytics-dir` point at an existing data set instead (e.g. the 10M PostgreSQL one).
Writes bench/results/dashboard-request.json.

    .venv/bin/python bench/dashboard_request_bench.py --quick
    .venv/bin/python bench/dashboard_request_bench.py --size demo --runs 7
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITESMART = str(ROOT / ".venv/bin/citesmart")
SIZES = {"quick": ("2024-2025", "0.05"), "demo": ("2019-2025", "1")}
BASELINE = ("privacidad", "/privacidad/")
PAGES = {
    "tablero": "/",
    "tablero, año y categoría": "/?anio={year}&categoria=capacitacion",
    "tablero, rango y departamento": "/?desde={year}-03-01&hasta={year}-08-31&departamento=15",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="quick", help="private data set")
    parser.add_argument("--quick", action="store_true", help="--size quick --runs 5 (default)")
    parser.add_argument("--db", default="", help="DATABASE_URL of an existing data set")
    parser.add_argument("--analytics-dir", default="", help="its read model (with --db)")
    parser.add_argument(
        "--make", action="store_true", help="with --db: fill that empty database with --size"
    )
    parser.add_argument("--runs", type=int, default=5, help="samples per figure (≥ 5)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/dashboard-request.json"))
    parser.add_argument("--child", choices=["cold", "warm"], help=argparse.SUPPRESS)
    parser.add_argument("--path", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.runs = "quick", 5
    args.runs = max(args.runs, 5)
    return args


# --- the data set ---------------------------------------------------------------------------


def environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment every process of the run gets: one private data set."""
    env = dict(os.environ, DEBUG="1", DJANGO_SETTINGS_MODULE="citesmart.settings")
    env["ANALYTICS_PUSH"] = "0"  # no listener in the timed processes (bench/push_latency_bench)
    env["ANALYTICS_BACKGROUND_REFRESH"] = "1"  # as `citesmart serve` runs its workers
    if args.db and not args.make:
        env["DATABASE_URL"] = args.db
        if args.analytics_dir:
            env["CITESMART_ANALYTICS_DIR"] = args.analytics_dir
        return env
    var = (
        ROOT
        / "var"
        / "bench"
        / f"dashboard-{args.size}{'-' + args.db.rsplit('/', 1)[-1] if args.db else ''}"
    )
    env["CITESMART_VAR_DIR"] = str(var)
    env["DATABASE_URL"] = args.db or f"sqlite:///{var / 'citesmart.sqlite3'}"
    env.pop("CITESMART_ANALYTICS_DIR", None)
    return env


def prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Make the private data set once (migrate, reference, demo data, read model)."""
    if args.db and not args.make:
        return
    done = Path(env["CITESMART_VAR_DIR"]) / "bench-ready"
    if done.exists():
        return
    years, scale = SIZES[args.size]
    print(f"Preparando el conjunto «{args.size}» ({years}, escala {scale}) …", flush=True)
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["load_reference"],
        ["demo_data", "--years", years, "--scale", scale],
        ["analytics", "rebuild", "--warm-seconds", "0"],
    ):
        subprocess.run([CITESMART, *command], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    done.touch()


# --- the timed processes --------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    """In a child process: time one cold request, or `--runs` warm ones; print JSON."""
    started = time.perf_counter()
    os.environ["ANALYTICS_CACHE_LOCATION"] = tempfile.mkdtemp(prefix="citesmart-dash-cache-")
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS, settings.DEBUG = ["*"], False
    from django.test import Client

    from citesmart.ops import warmup

    warmup.warm()  # what citesmart.wsgi does in a worker before its first request
    client = Client()
    setup_ms = (time.perf_counter() - started) * 1000

    def once() -> float:
        start = time.perf_counter()
        response = client.get(args.path)
        assert response.status_code == 200, (args.path, response.status_code)
        return (time.perf_counter() - start) * 1000

    if args.child == "cold":
        samples = [once()]
    else:
        once()  # the cold request, untimed
        samples = [once() for _ in range(args.runs)]
    print(json.dumps({"setup_ms": setup_ms, "samples": samples}))


def run_child(args: argparse.Namespace, env: dict[str, str], kind: str, path: str) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--path", path, "--runs", str(args.runs)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"{kind} {path}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(args: argparse.Namespace, env: dict[str, str], path: str) -> dict:
    """Cold (one process per sample) and warm (one process) samples of one page."""
    cold = [run_child(args, env, "cold", path) for _ in range(args.runs)]
    warm = run_child(args, env, "warm", path)
    return {
        "path": path,
        "cold_ms": summary([c["samples"][0] for c in cold]),
        "setup_ms": summary([c["setup_ms"] for c in cold]),
        "warm_ms": summary(warm["samples"]),
    }


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(samples), 1),
        "min": round(min(samples), 1),
        "max": round(max(samples), 1),
        "n": len(samples),
    }


def latest_year(env: dict[str, str]) -> int:
    code = "from citesmart.portal.periods import latest_year; print(latest_year())"
    command = [CITESMART, "shell", "-c", code]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return int(done.stdout.strip().splitlines()[-1])


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    env = environment(args)
    prepare(args, env)
    year = latest_year(env)
    load_before = os.getloadavg()
    baseline = measure(args, env, BASELINE[1])
    results = {name: measure(args, env, path.format(year=year)) for name, path in PAGES.items()}
    load_after = os.getloadavg()
    report(args, baseline, results, load_before, load_after)


def ratio(value: float, base: float) -> str:
    return f"{value / max(base, 0.1):.1f}×"


def report(args, baseline, results, load_before, load_after) -> None:
    base_cold, base_warm = baseline["cold_ms"]["median"], baseline["warm_ms"]["median"]
    print(
        f"Conjunto {args.db or args.size}; {args.runs} muestras por cifra; carga "
        f"{load_before[0]:.2f} → {load_after[0]:.2f} ({os.cpu_count()} núcleos)"
    )
    print(
        f"línea base {BASELINE[1]}: frío {fmt(baseline['cold_ms'])}, "
        f"tibio {fmt(baseline['warm_ms'])}, arranque {fmt(baseline['setup_ms'])}"
    )
    head = f"{'frío ms (mín–máx)':>24} {'×base':>6} {'tibio ms (mín–máx)':>22} {'×base':>6}"
    print(f"{'página':32} {head}")
    for name, found in results.items():
        cold, warm = found["cold_ms"], found["warm_ms"]
        print(
            f"{name:32} {fmt(cold):>24} {ratio(cold['median'], base_cold):>6} "
            f"{fmt(warm):>22} {ratio(warm['median'], base_warm):>6}"
        )
    write_results(
        args.out,
        data=args.db or args.size,
        runs=args.runs,
        load_before=load_before,
        load_after=load_after,
        baseline={"page": BASELINE[1], **baseline},
        pages=results,
    )


def write_results(out: str, **figures) -> None:
    """The results file: when, where (machine, cores) and what was measured."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    where = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.node(),
        "cpus": os.cpu_count(),
    }
    Path(out).write_text(json.dumps(where | figures, indent=2, ensure_ascii=False) + "\n")


def fmt(found: dict[str, float]) -> str:
    return f"{found['median']:.1f} ({found['min']:.0f}–{found['max']:.0f})"


if __name__ == "__main__":
    main()
