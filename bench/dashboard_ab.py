"""Cold dashboard renders, this checkout's code against another's, alternated (not a test).

    git archive <commit> src | tar -x -C /tmp/base      # the code to compare against
    .venv/bin/python bench/dashboard_ab.py --base-src /tmp/base/src --rounds 5
    .venv/bin/python bench/dashboard_ab.py --secrecy-off --rounds 8   # what secrecy costs

With `--secrecy-off` the base is this checkout's code with the scans of statistical secrecy
left out (no cell keys, no natural persons per cell: every cell gets key 0 and no natural
person, so the Python of suppression and perturbation still runs): what the secrecy of
issue 14 adds to a cold dashboard, on today's data (the code before it no longer runs on them).

Each round starts one process per code version (order alternating between rounds) against
the same database and read model (DATABASE_URL, CITESMART_VAR_DIR / CITESMART_ANALYTICS_DIR);
each process renders every dashboard of bench/portal_bench.py once untimed, then `--renders`
times cold (the analytics answers, cell keys, shared answers and page cache emptied before
each render). Prints the median, min and max per page and version of the wall-clock and
the CPU time of the process (SQLite and DuckDB run inside it; on a shared machine the CPU
time is the steadier one), the ratio new / base of the medians, and the load average
before and after.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ("inicio", "inicio, año y cadena", "inicio, rango y departamento")


def without_secrecy_scans() -> None:
    """Leave out the scans that statistical secrecy adds (the base of --secrecy-off)."""
    from citesmart.analytics import public, queries
    from citesmart.portal import presenters

    def nothing(cursor, filters, breakdowns, ids):
        return {by: ({}, 0) for by in breakdowns}

    public._COMPUTE = {public.KEYS: nothing, public.NATURAL: nothing}
    presenters.prefetch = lambda filters, asks: queries.prefetch(filters, asks)


def child(renders: int) -> None:
    """In a child process: time the cold dashboards, print them as JSON."""
    os.environ["ANALYTICS_CACHE_LOCATION"] = tempfile.mkdtemp(prefix="citesmart-ab-cache-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS, settings.DEBUG = ["*"], False
    sys.path.insert(0, str(ROOT / "bench"))
    from django.core.cache import caches
    from django.test import Client
    from portal_bench import pages

    from citesmart.analytics import public, queries
    from citesmart.network import registry

    if os.environ.get("BENCH_SECRECY_OFF"):
        without_secrecy_scans()
    client, found = Client(), pages()
    paths = {name: found[name] for name in (*DASHBOARDS, "inicio, fragmento (filtro en vivo)")}

    def cold(path: str) -> tuple[float, float]:
        queries.clear_cache()
        public.clear_cache()
        caches["analytics"].clear()
        registry.forget()
        start, cpu = time.perf_counter(), time.process_time()
        assert client.get(path).status_code == 200, path
        return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000

    for path in paths.values():
        cold(path)  # imports, templates
    times = {name: [cold(path) for _ in range(renders)] for name, path in paths.items()}
    print(json.dumps({"module": public.__file__, "times": times}))


def run(src: str, renders: int, secrecy_off: bool = False) -> dict:
    env = dict(os.environ, PYTHONPATH=src, DEBUG="1", BENCH_SECRECY_OFF="1" if secrecy_off else "")
    command = [sys.executable, __file__, "--child", "--renders", str(renders)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    found = json.loads(output.stdout.strip().splitlines()[-1])
    assert found["module"].startswith(src), (found["module"], src)
    return found["times"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-src", help="the src folder of the code to compare against")
    parser.add_argument("--secrecy-off", action="store_true", help="base: no secrecy scans")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--renders", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.renders)
    new = str(ROOT / "src")
    versions = {"base": new if args.secrecy_off else str(Path(args.base_src).resolve()), "new": new}
    samples: dict[str, dict[str, list[list[float]]]] = {v: {} for v in versions}
    load = os.getloadavg()
    for index in range(args.rounds):
        for version in list(versions)[:: 1 if index % 2 == 0 else -1]:
            off = args.secrecy_off and version == "base"
            for page, times in run(versions[version], args.renders, off).items():
                samples[version].setdefault(page, []).extend(times)
    print(f"carga {load[0]:.2f} → {os.getloadavg()[0]:.2f}; {args.rounds} rondas alternadas")
    for index, what in enumerate(("reloj ms", "cpu ms (proceso: SQLite y DuckDB)")):
        print(f"{what:36} {'base med (mín–máx)':>22} {'nuevo med (mín–máx)':>22} {'×':>6}")
        for page, runs in samples["base"].items():
            base = [run[index] for run in runs]
            new = [run[index] for run in samples["new"][page]]
            b, n = statistics.median(base), statistics.median(new)
            print(
                f"  {page:34} {b:8.1f} ({min(base):5.1f}–{max(base):5.1f}) "
                f"{n:8.1f} ({min(new):5.1f}–{max(new):5.1f}) {n / b:6.2f}"
            )


if __name__ == "__main__":
    main()
