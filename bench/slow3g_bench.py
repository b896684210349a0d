"""The public pages on a slow mobile link, as a visitor's browser loads them (not a test).

Issue 19's acceptance: "slow-3G (400 kbps, 400 ms) load of public pages ≤ 3 s". Debian's
Chromium, driven by Playwright, loads each public page with the DevTools protocol's
`Network.emulateNetworkConditions` (400 ms latency, 400 kbit/s = 50,000 bytes/s down and up)
and its cache disabled (`Network.setCacheDisabled`, and a new browser context per sample): a
first visit. A sample is the navigation's `loadEventEnd` (ms from the navigation's start: the
document, its CSS and JS, and the load event), with the bytes transferred (the browser's
`transferSize`: compressed bodies and headers) and the number of requests.

The server is the demo as `make demo` runs it: `citesmart runserver` with DEBUG=1 (whitenoise
serving collectstatic's gzip copies, pages gzipped by the middleware) over a private SQLite data
set: dashboard_request_bench's `var/bench/dashboard-quick/` (2024-2025 at 5 % of the real
volume, made once, about a minute). Each page is loaded once at full speed before timing (the
server's caches warm: the link is measured, not the first request after a restart).

Every figure is the median of `--runs` samples (at least 5) with min and max, and its ratio to
a baseline measured in the same run the same way: a small static file (one request, no
rendering), so the ratio says how many "minimal requests" a page costs. The load average is
recorded before and after (2 shared cores: compare ratios within a run). Writes
bench/results/slow3g.json.

    .venv/bin/python bench/slow3g_bench.py            # 5 runs per page, about 4 minutes
    .venv/bin/python bench/slow3g_bench.py --runs 7
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_request_bench as dataset

ROOT = dataset.ROOT
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
PHONE = {"width": 375, "height": 740}
SLOW_3G = {
    "offline": False,
    "latency": 400,  # ms added to every request
    "downloadThroughput": 50_000,  # bytes/s: 400 kbit/s
    "uploadThroughput": 50_000,
}
BUDGET_MS = 3000
CENTER = "citeagroindustrial-moquegua"
BASELINE = ("archivo estático pequeño", "/static/citesmart/suggest.js")
PAGES = {
    "inicio (tablero)": "/",
    "tablero filtrado": "/?anio={year}&cadena=cuero&ver=centros",
    "tablero, departamento (mapa)": "/?anio={year}&departamento=15#departamentos",
    "centros": "/centros/",
    "un centro": f"/centros/{CENTER}/",
    "catálogo": "/servicios/",
    "un servicio del catálogo": "/servicios/{service}/",
    "solicitud nueva": f"/solicitudes/nueva/?centro={CENTER}",
    "estado de una solicitud": "/solicitudes/{request}/",
    "resultados (encuestas)": "/resultados/",
    "datos abiertos": "/datos/",
    "guía de la API": "/guia-api/",
    "metodología": "/metodologia/",
    "privacidad": "/privacidad/",
}
TIMING_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  return {load: nav.loadEventEnd, ttfb: nav.responseStart,
          bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
          requests: 1 + resources.length};
}"""
# A request the bench itself makes (untimed) so the status page has something to show.
REQUEST_FORM = {
    "document_type": "ruc",
    "document_number": "20131312955",
    "name": "Muebles Ayni S.A.C.",
    "email": "gerencia@ayni.pe",
    "phone": "987654321",
    "district": "150142",
    "chain": "agroindustria",
    "center": CENTER,
    "need": "Análisis de laboratorio para un lote de pisco.",
    "consent": "on",
    "website": "",
}
SAMPLES_JS = f"""
from django.test import Client
from citesmart.network.models import CatalogueService
from citesmart.portal.periods import latest_year
from citesmart.service_requests.models import ServiceRequest
if not ServiceRequest.objects.exists():
    sent = Client(HTTP_HOST="127.0.0.1").post("/solicitudes/nueva/", {REQUEST_FORM!r})
    assert sent.status_code == 302, sent.content.decode()[:2000]
request = ServiceRequest.objects.order_by("pk").first()
service = CatalogueService.objects.filter(center__code={CENTER!r}).order_by("pk").first()
print(latest_year(), service.pk, request.tracking_code)
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="samples per page (≥ 5)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/slow3g.json"))
    args = parser.parse_args()
    args.runs = max(args.runs, 5)
    args.size, args.db, args.make, args.analytics_dir = "quick", "", False, ""
    return args


def prepare(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """The quick data set, its compressed static files, and the pages' concrete paths."""
    env = dataset.environment(args)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    dataset.prepare(args, env)
    citesmart = [dataset.CITESMART]
    subprocess.run([*citesmart, "collectstatic", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    done = subprocess.run(  # noqa: S603
        [*citesmart, "shell", "-c", SAMPLES_JS], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    year, service, request = done.stdout.split()[-3:]
    paths = {
        name: path.format(year=year, service=service, request=request)
        for name, path in PAGES.items()
    }
    return env, paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`citesmart runserver` in demo mode (DEBUG=1), as `make demo` runs it."""
    port = free_port()
    command = [dataset.CITESMART, "runserver", f"127.0.0.1:{port}", "--noreload"]
    server = subprocess.Popen(  # noqa: S603
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "/privacidad/", timeout=5)  # noqa: S310 - our server
            return server, base
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("el servidor de demostración no respondió en 60 s")


def load_once(browser, url: str, throttled: bool = True) -> dict:
    """One first visit: a new context, cache disabled, the slow link emulated."""
    context = browser.new_context(viewport=PHONE, locale="es-PE")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttled:
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    response = page.goto(url, wait_until="load", timeout=120_000)
    assert response.status == 200, (url, response.status)
    page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    found = page.evaluate(TIMING_JS)
    context.close()
    return found


def measure(browser, base: str, path: str, runs: int) -> dict:
    load_once(browser, base + path, throttled=False)  # the server's caches, untimed
    samples = [load_once(browser, base + path) for _ in range(runs)]
    return {
        "path": path,
        "load_ms": dataset.summary([s["load"] for s in samples]),
        "ttfb_ms": dataset.summary([s["ttfb"] for s in samples]),
        "bytes": max(s["bytes"] for s in samples),
        "requests": max(s["requests"] for s in samples),
    }


def run(args: argparse.Namespace, base: str, paths: dict[str, str]) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            load_before = os.getloadavg()
            baseline = measure(browser, base, BASELINE[1], args.runs)
            pages = {name: measure(browser, base, path, args.runs) for name, path in paths.items()}
            load_after = os.getloadavg()
        finally:
            browser.close()
    return {"load_before": load_before, "load_after": load_after, "baseline": baseline} | {
        "pages": pages
    }


def report(args: argparse.Namespace, found: dict) -> None:
    base = found["baseline"]["load_ms"]["median"]
    before, after = found["load_before"][0], found["load_after"][0]
    print(f"Perfil 3G lento: {SLOW_3G}; {args.runs} muestras por página; carga {before:.2f} → "
          f"{after:.2f} ({os.cpu_count()} núcleos)")  # fmt: skip
    print(f"línea base {BASELINE[1]}: {dataset.fmt(found['baseline']['load_ms'])} ms")
    print(f"{'página':32} {'carga ms (mín–máx)':>24} {'×base':>6} {'KB':>6} {'pet.':>5}")
    for name, page in found["pages"].items():
        load = page["load_ms"]
        verdict = "" if load["max"] <= BUDGET_MS else "  > 3 s"
        print(
            f"{name:32} {dataset.fmt(load):>24} {load['median'] / base:>5.1f}× "
            f"{page['bytes'] / 1024:>6.1f} {page['requests']:>5}{verdict}"
        )
    medians_ok = all(p["load_ms"]["median"] <= BUDGET_MS for p in found["pages"].values())
    all_ok = all(p["load_ms"]["max"] <= BUDGET_MS for p in found["pages"].values())
    print(f"¿Toda página ≤ 3 s? medianas: {'sí' if medians_ok else 'no'}; "
          f"todas las muestras: {'sí' if all_ok else 'no'}")  # fmt: skip
    dataset.write_results(
        args.out,
        data="quick (2024-2025, escala 0.05), runserver DEBUG=1 (make demo), SQLite",
        profile=SLOW_3G | {"cache": "disabled, new context per sample", "viewport": PHONE},
        runs=args.runs,
        budget_ms=BUDGET_MS,
        every_median_within_budget=medians_ok,
        every_sample_within_budget=all_ok,
        **found | {"baseline": {"name": BASELINE[0], **found["baseline"]}},
    )


def main() -> None:
    args = parse_args()
    env, paths = prepare(args)
    server, base = start_server(env)
    try:
        found = run(args, base, paths)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, found)


if __name__ == "__main__":
    main()
