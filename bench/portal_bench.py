"""Server time of the public portal pages (`make bench-portal`, not a test).

Renders each portal page in-process through Django's full middleware stack (test client, so
no network or browser time is counted) against an existing database with data loaded, e.g.
the demo (`make demo`) or the 10M-services benchmark database. The baseline, measured in the
same run, is the privacy notice: a static template through the same stack, so each ratio
says what the page's own work costs. "cold" is the first render after the analytics answer
caches are emptied (this process's answers, the shared answers and the page cache) and the
in-memory registry is dropped; "warm" the median of the following renders (served by the
page cache where there is one), "cpu" their median CPU time of this process (SQLite runs
inside it, PostgreSQL does not) and "sql" the database queries of a warm render. Budget:
150 ms per page. Also the pages of the load scenario (bench/load.py): the catalogue searches
and the statistics API.
Writes bench/results/portal.json.

    .venv/bin/python bench/portal_bench.py                                  # DATABASE_URL
    .venv/bin/python bench/portal_bench.py --db postgres://postgres@127.0.0.1:5432/cs_bench10m
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 150.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL", ""), help="DATABASE_URL")
    parser.add_argument("--analytics-dir", default="", help="read model folder (default: settings)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--label", default="demo", help="name of the data set, for the JSON")
    parser.add_argument("--out", default=str(ROOT / "bench/results/portal.json"))
    return parser.parse_args()


def setup_django(args: argparse.Namespace) -> None:
    os.environ.setdefault("DEBUG", "1")
    if args.db:
        os.environ["DATABASE_URL"] = args.db
    if args.analytics_dir:
        os.environ["CITESMART_ANALYTICS_DIR"] = args.analytics_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
    # A private shared cache, emptied before each cold render (never the server's own).
    os.environ["ANALYTICS_CACHE_LOCATION"] = tempfile.mkdtemp(prefix="citesmart-bench-cache-")
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False  # as in production: no SQL logging, no debug pages


def pages() -> dict[str, str]:
    """The portal's pages with realistic parameters taken from the loaded data."""
    from citesmart.analytics.queries import figures
    from citesmart.network.queries import current_catalogue, public_centers
    from citesmart.portal.periods import latest_year

    year = latest_year()
    busiest = figures(by=["center"], measures=["services"], order_by="services", limit=1).rows
    center = busiest[0]["center"] if busiest else public_centers().first().code
    chains = figures(by=["chain"], measures=["services"], order_by="services", limit=3).rows
    chain_code = next((row["chain"] for row in chains if row["chain"]), "")  # not "no chain"
    service = current_catalogue().first()
    found = {
        "inicio": "/",
        "inicio, año y cadena": f"/?anio={year - 1}&cadena={chain_code}",
        "inicio, rango y departamento": f"/?desde={year}-03-01&hasta={year}-08-31&departamento=15",
        "inicio, fragmento (filtro en vivo)": f"/?anio={year}&categoria=capacitacion",
        "inicio, CSV": f"/?anio={year}&csv=centros",
        "centro": f"/centros/{center}/",
        "centros": "/centros/",
        "servicios por región": "/servicios/?departamento=13",
        "servicios": "/servicios/",
        "servicios, «ensayo»": "/servicios/?q=ensayo",
        "servicios, «capacitación»": "/servicios/?q=capacitación",
        "servicios gratuitos": "/servicios/?gratuitos=on",
        "API estadísticas, año": f"/api/v1/estadisticas/?anio={year}",
        "API estadísticas, por departamento": f"/api/v1/estadisticas/?anio={year}&por=department",
        "solicitud": "/solicitudes/nueva/",
        "metodología": "/metodologia/",
    }
    if service:
        found["servicio"] = f"/servicios/{service.pk}/"
    return found


def time_page(client, path: str, repeat: int, partial: bool) -> dict[str, float]:
    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from citesmart.analytics import public, queries
    from citesmart.network import registry

    headers = {"X-Partial": "1"} if partial else {}

    def once() -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (path, response.status_code)
        return elapsed, (time.process_time() - cpu) * 1000

    # Cold: nothing cached anywhere (answers and cell keys here, shared answers, pages, the
    # registry in memory).
    queries.clear_cache()
    public.clear_cache()
    caches["analytics"].clear()
    registry.forget()
    cold, _ = once()
    warm = [once() for _ in range(repeat)]
    with CaptureQueriesContext(connection) as sql:
        once()
    return {
        "cold_ms": round(cold, 1),
        "warm_ms": round(statistics.median(ms for ms, _ in warm), 1),
        "cpu_ms": round(statistics.median(cpu for _, cpu in warm), 1),
        "sql": len(sql),
    }


def main() -> None:
    args = parse_args()
    setup_django(args)
    from django.db import connection
    from django.test import Client

    from citesmart.analytics.queries import figures
    from citesmart.analytics.refresh import ensure_fresh

    ensure_fresh()  # a stale read model is rebuilt here, not inside the first timed page
    client = Client()
    baseline = time_page(client, "/privacidad/", args.repeat, partial=False)
    base = max(baseline["warm_ms"], 0.1)
    services = figures(measures=["services"]).totals["services"]
    print(f"{connection.vendor}, {services:,} servicios; línea base /privacidad/ {base} ms")
    print(
        f"{'página':38} {'frío ms':>9} {'tibio ms':>9} {'cpu ms':>7} {'sql':>4} {'× base':>7}"
        f"  ≤ {BUDGET_MS:.0f} ms"
    )
    rows = []
    for name, path in pages().items():
        result = time_page(client, path, args.repeat, partial="fragmento" in name)
        ratio = result["warm_ms"] / base
        ok = max(result["cold_ms"], result["warm_ms"]) <= BUDGET_MS
        print(
            f"{name:38} {result['cold_ms']:9.1f} {result['warm_ms']:9.1f} {result['cpu_ms']:7.1f} "
            f"{result['sql']:4d} {ratio:7.1f}  {'sí' if ok else 'NO'}"
        )
        rows.append({"page": name, "path": path, **result, "ratio": round(ratio, 2), "ok": ok})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": args.label,
        "database": connection.vendor,
        "services": services,
        "machine": platform.platform(),
        "budget_ms": BUDGET_MS,
        "baseline": {"page": "/privacidad/", **baseline},
        "pages": rows,
    }
    results = json.loads(out.read_text()) if out.exists() else {}
    results[args.label] = report
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(f"Escrito {out} [{args.label}]")


if __name__ == "__main__":
    main()
