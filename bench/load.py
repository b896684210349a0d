# ruff: noqa: S311, S603 - seeded load patterns; our own interpreter and fixed arguments
"""Load benchmark: visitors, API clients and importing operators against `citesmart serve`.

Not a test. Starts `citesmart serve` (production settings, gunicorn, WEB_CONCURRENCY workers)
on the database named by DATABASE_URL (by default var/citesmart.sqlite3 of this checkout: run
`make demo` first, or `citesmart demo_data` + `analytics rebuild`), then:

1. baseline: one visitor alone on the dashboard (same run, same machine) for --baseline s;
2. load: --visitors concurrent visitors for --duration s — the dashboard with random
   filters (year, department, chain, center), center pages and the catalogue, with --think
   MIN MAX seconds between pages (default 0.5-2 s: a stress far above people reading a
   dashboard, about 100 requests/s from 200 visitors; say --think 5 15 for readers),
   arriving --spawn-rate a second (default 10, as locust's; with 0 all at once, and their
   200 first pages, most of them dashboards never asked before, queue up for ~6 s);
   --api-clients clients on the statistics API if it answers
   (the scenario is keyed by URL, API_URL, and reported "skipped" while it is 404); and
   --operators operators importing a 200-report file with `citesmart import` (the same
   database, as the back office's upload does), then waiting --import-pause s (default 30:
   two operators then bring ~48,000 reports an hour, some 500 times the network's yearly
   average; each import of 200 reports costs ~6 s of CPU, so with no pause the importers
   alone keep both cores of the development machine busy);
3. writes p50/p95/p99, throughput and error rate per endpoint, and the ratio of the loaded
   dashboard p95 to the baseline p95, to bench/results/load.json.

Target (issue 8): 200 concurrent visitors for 5 minutes, 0 errors, dashboard p95 <= 300 ms.
The development machine has 2 cores shared with other work: the defaults are a shorter run;
say --duration 300 for the full one. Whatever was run is recorded in the JSON.

    .venv/bin/python bench/load.py --visitors 200 --duration 60
"""

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "load.json"
API_URL = "/api/v1/estadisticas/"
YEARS = ["2019", "2020", "2021", "2022", "2023", "2024", "2025", ""]
DEPARTMENTS: list[str] = [""]
CHAINS: list[str] = [""]


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.origin = time.monotonic()
        self.timeline: list[tuple[float, float, str]] = []  # (start, seconds, endpoint)

    def add(self, endpoint: str, seconds: float, status: int) -> None:
        self.latencies[endpoint].append(seconds)
        self.timeline.append((time.monotonic() - seconds - self.origin, seconds, endpoint))
        self.statuses[endpoint][status] += 1
        if status >= 500 or status == 0:
            self.errors[endpoint] += 1

    def summary(self, duration: float) -> dict:
        out = {}
        for endpoint, values in sorted(self.latencies.items()):
            out[endpoint] = {
                "requests": len(values),
                "throughput_rps": round(len(values) / duration, 2),
                "error_rate": round(self.errors[endpoint] / len(values), 4),
                "errors": self.errors[endpoint],
                "statuses": dict(self.statuses[endpoint]),
                **percentiles(values),
            }
        return out

    def stalls(self, slow: float = 1.0, gap: float = 2.0) -> list[dict]:
        """Episodes of requests slower than `slow` s, and the imports that ended near them."""
        ends = [start + took for start, took, e in self.timeline if e.startswith("operator")]
        episodes: list[dict] = []
        for start, took, endpoint in sorted(self.timeline):
            if took < slow or endpoint.startswith("operator"):
                continue
            if episodes and start <= episodes[-1]["to_s"] + gap:
                episode = episodes[-1]
            else:
                episode = {"from_s": round(start, 1), "to_s": start, "requests": 0, "worst_ms": 0}
                episodes.append(episode)
            episode["to_s"] = max(episode["to_s"], start + took)
            episode["requests"] += 1
            episode["worst_ms"] = max(episode["worst_ms"], round(took * 1000))
        for episode in episodes:
            episode["to_s"] = round(episode["to_s"], 1)
            episode["imports_ended_within_10s_before"] = sum(
                episode["from_s"] - 10 <= end <= episode["to_s"] for end in ends
            )
        return episodes


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50_ms": round(values[0] * 1000, 1) if values else 0.0}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


async def fetch(client: httpx.AsyncClient, rec: Recorder, endpoint: str, url: str) -> int:
    started = time.perf_counter()
    try:
        response = await client.get(url)
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    rec.add(endpoint, time.perf_counter() - started, status)
    return status


def dashboard_url(rng: random.Random) -> str:
    params = {
        "anio": rng.choice(YEARS),
        "departamento": rng.choice(DEPARTMENTS),
        "cadena": rng.choice(CHAINS),
    }  # codes as the dashboard's own filter form offers them (filled in main())
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return "/" + (f"?{query}" if query else "")


async def visitor(client, rec, rng, deadline, centers, think=(0.5, 2.0), arrival=0.0) -> None:
    await asyncio.sleep(arrival)
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.6:
            await fetch(client, rec, "dashboard", dashboard_url(rng))
        elif roll < 0.85:
            await fetch(client, rec, "center_page", f"/centros/{rng.choice(centers)}/")
        else:
            query = rng.choice(["", "?q=ensayo", "?q=capacitación", "?gratuitos=on"])
            await fetch(client, rec, "catalogue", f"/servicios/{query}")
        await asyncio.sleep(rng.uniform(*think))


async def api_client(client, rec, rng, deadline) -> None:
    while time.monotonic() < deadline:
        year = rng.choice(YEARS[:-1])
        status = await fetch(client, rec, "api_statistics", f"{API_URL}?anio={year}")
        await asyncio.sleep(rng.uniform(0.5, 1.5) if status != 404 else 5)


async def operator(
    env: dict, rec: Recorder, deadline: float, number: int, work: Path, pause: float = 30
) -> None:
    n = 0
    while time.monotonic() < deadline:
        path = write_import(work / f"op{number}-{n}.csv", 200, f"LOAD{number}-{n}")
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "citesmart", "import", str(path),
            "--center", "citeagroindustrial-moquegua", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        code = process.returncode or 0
        rec.add(
            "operator_import_200_reports", time.perf_counter() - started, 200 if code == 0 else 500
        )
        if code:
            print(err.decode()[-500:], file=sys.stderr)
        n += 1
        await asyncio.sleep(pause)


def write_import(path: Path, reports: int, prefix: str) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.ops.world import write_import as write

    return write(path, reports, prefix=prefix)


async def run_phase(
    base,
    seconds,
    visitors,
    apis,
    operators,
    env,
    centers,
    work,
    think=(0.5, 2.0),
    pause=30.0,
    spawn_rate=10.0,
) -> Recorder:
    rec = Recorder()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=visitors + apis + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        rng = random.Random(7)
        tasks = [
            visitor(client, rec, random.Random(rng.random()), deadline, centers, think, start)
            for start in (i / spawn_rate if spawn_rate > 0 else 0 for i in range(visitors))
        ]
        tasks += [api_client(client, rec, random.Random(i), deadline) for i in range(apis)]
        tasks += [operator(env, rec, deadline, i, work, pause) for i in range(operators)]
        await asyncio.gather(*tasks)
    return rec


async def baseline(base: str, seconds: float) -> Recorder:
    rec = Recorder()
    deadline = time.monotonic() + seconds
    rng = random.Random(1)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.monotonic() < deadline:
            await fetch(client, rec, "dashboard", dashboard_url(rng))
    return rec


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "citesmart", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/salud/", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    server.kill()
    raise SystemExit("citesmart serve did not become healthy (run make demo first?)")


def centers_of(base: str) -> list[str]:
    html = httpx.get(base + "/centros/", timeout=60).text
    codes = sorted(set(part.split("/")[0] for part in html.split('href="/centros/')[1:]))
    # Only center codes (the breadcrumb's own link to /centros/ is not one).
    return [c for c in codes if c.replace("-", "").isalnum()] or ["citeagroindustrial-moquegua"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--api-clients", type=int, default=10)
    parser.add_argument("--operators", type=int, default=2)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument(
        "--import-pause", type=float, default=30, help="seconds between an operator's imports"
    )
    parser.add_argument(
        "--think", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"),
        help="seconds a visitor waits between pages (uniform)",
    )  # fmt: skip
    parser.add_argument(
        "--spawn-rate", type=float, default=10,
        help="visitors arriving per second at the start (as locust's --spawn-rate; 0: all at once)",
    )  # fmt: skip
    parser.add_argument("--baseline", type=float, default=10)
    parser.add_argument("--workers", default=os.environ.get("WEB_CONCURRENCY", "3"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--keep-cache", action="store_true",
        help="use the server's shared cache of answers and pages as it is (default: start empty)",
    )  # fmt: skip
    args = parser.parse_args()

    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        WEB_CONCURRENCY=str(args.workers),
        GUNICORN_ACCESS_LOG="off",
        LOG_LEVEL="WARNING",
    )
    # Every client of this run comes from 127.0.0.1: one rate-limit budget for all the API
    # clients would measure the limiter, not the server.
    env["API_ANON_RATE"] = "100000/min"
    if not args.keep_cache:  # every run starts cold: no answer, page or rate count of another
        env["ANALYTICS_CACHE_LOCATION"] = tempfile.mkdtemp(prefix="citesmart-load-cache-")
        env["CACHE_LOCATION"] = env["ANALYTICS_CACHE_LOCATION"] + "/default"
    os.environ.update(env)  # the import files are written with the project's own headers
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
    import django

    django.setup()
    from citesmart.geo.models import Department
    from citesmart.network.models import Chain

    DEPARTMENTS.extend(Department.objects.values_list("code", flat=True)[:12])
    CHAINS.extend(Chain.objects.values_list("code", flat=True)[:8])
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    try:
        centers = centers_of(base)
        for url in ["/", "/servicios/", f"/centros/{centers[0]}/"]:  # warm every worker a bit
            for _ in range(3):
                httpx.get(base + url, timeout=60)
        if httpx.get(base + API_URL, timeout=60).status_code == 404:
            args.api_clients = 0  # the API is not on this branch yet: reported as skipped
        base_rec = asyncio.run(baseline(base, args.baseline))
        with tempfile.TemporaryDirectory() as work:
            started = time.monotonic()
            rec = asyncio.run(
                run_phase(base, args.duration, args.visitors, args.api_clients,
                          args.operators, env, centers, Path(work), tuple(args.think),
                          args.import_pause, args.spawn_rate)
            )  # fmt: skip
            elapsed = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)  # gunicorn lets in-flight requests finish (30 s)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep_cache:
            shutil.rmtree(env["ANALYTICS_CACHE_LOCATION"], ignore_errors=True)

    endpoints = rec.summary(elapsed)
    if not args.api_clients:
        endpoints["api_statistics"] = {"skipped": f"{API_URL} answers 404 on this branch"}
    dash = endpoints.get("dashboard", {})
    base_dash = base_rec.summary(args.baseline).get("dashboard", {})
    total = sum(e.get("requests", 0) for e in endpoints.values())
    errors = sum(e.get("errors", 0) for e in endpoints.values())
    result = {
        "benchmark": "load",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "server": {"command": "citesmart serve", "workers": int(args.workers), "threads": 4},
        "database": env.get("DATABASE_URL", "sqlite (var/citesmart.sqlite3)").split("@")[-1],
        "run": {
            "visitors": args.visitors,
            "think_s": list(args.think),
            "spawn_rate_per_s": args.spawn_rate,
            "api_clients": args.api_clients,
            "operators": args.operators,
            "import_pause_s": args.import_pause,
            "duration_s": round(elapsed, 1),
            "target_duration_s": 300,
            "shortened": args.duration < 300,
            "shared_cache": "as it was" if args.keep_cache else "empty at the start",
            "api_anon_rate": env["API_ANON_RATE"] + " (all clients share one address)",
        },
        "baseline_dashboard_single_visitor": base_dash,
        "endpoints": endpoints,
        "totals": {
            "requests": total,
            "throughput_rps": round(total / elapsed, 2),
            "errors": errors,
            "error_rate": round(errors / total, 4) if total else None,
        },
        "slow_request_episodes": rec.stalls(),
        "dashboard_p95_vs_baseline": (
            round(dash["p95_ms"] / base_dash["p95_ms"], 2)
            if dash.get("p95_ms") and base_dash.get("p95_ms")
            else None
        ),
        "targets": {
            "dashboard_p95_le_300ms": bool(dash.get("p95_ms") and dash["p95_ms"] <= 300),
            "zero_errors": errors == 0,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: result[k] for k in ("run", "totals", "targets")}, indent=2))
    print(f"dashboard p95 {dash.get('p95_ms')} ms vs baseline {base_dash.get('p95_ms')} ms "
          f"(x{result['dashboard_p95_vs_baseline']}); written to {args.out}")  # fmt: skip


if __name__ == "__main__":
    main()
