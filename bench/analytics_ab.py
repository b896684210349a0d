"""A/B of analytics_bench.py's 8 dashboard queries: two code trees, alternated (not a test).

    git archive <commit> src | tar -x -C /tmp/base            # the code to compare against
    DATABASE_URL=... CITESMART_ANALYTICS_DIR=<a read model both read> ANALYTICS_PUSH=0 \
        .venv/bin/python bench/analytics_ab.py --base-src /tmp/base/src --new-src src

Each round starts one process per code tree (order alternating between rounds); each times
every query `--repeat` times cold (its own answer cache and the shared cache emptied before
each call). Prints per query the median wall and CPU milliseconds of both, min and max, the
ratio new / base, and the load average before and after. Use a read model built by the older
code (e.g. with bench/analytics_bench.py --load-only) so neither rebuilds it; when the
read model's schema changed between the two, give each its own, built by its own code from
the same database (--base-analytics-dir, --new-analytics-dir).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))


def child(repeat: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
    import django

    django.setup()
    sys.path.insert(0, BENCH)
    from analytics_bench import FIRST_YEAR, YEARS, dashboard
    from django.core.cache import caches

    import citesmart
    from citesmart.analytics import queries, refresh

    def clear():
        queries.clear_cache()
        caches["analytics"].clear()

    from citesmart.network.models import Chain, ServiceCategory

    refresh.ensure_fresh()
    chain = Chain.objects.order_by("code").first().code
    category = ServiceCategory.objects.order_by("order").first().code
    page = dashboard(FIRST_YEAR + YEARS - 1, chain, category, "15")
    out = {"file": citesmart.__file__}
    for name, ours, _ in page:
        clear()
        ours()  # untimed: connections, known codes
        times, cpu = [], []
        for _ in range(repeat):
            clear()
            started, used = time.perf_counter(), time.process_time()
            ours()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        out[name] = times
        out[name + " (cpu)"] = cpu
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-src")
    parser.add_argument("--new-src")
    parser.add_argument("--base-analytics-dir", help="the base code's read model")
    parser.add_argument("--new-analytics-dir", help="the new code's read model")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.repeat)
        return
    found: dict[str, dict[str, list[float]]] = {"base": {}, "new": {}}
    load = os.getloadavg()[0]
    for round_ in range(args.rounds):
        order = [("base", args.base_src), ("new", args.new_src)]
        if round_ % 2:
            order.reverse()
        for label, src in order:
            env = dict(os.environ, PYTHONPATH=src)
            if own := getattr(args, f"{label}_analytics_dir"):
                env["CITESMART_ANALYTICS_DIR"] = own
            text = (
                subprocess.run(  # noqa: S603 - our own script, fixed arguments
                    [sys.executable, __file__, "--child", "--repeat", str(args.repeat)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            result = json.loads(text)
            assert result.pop("file").startswith(src), (label, src)
            for name, times in result.items():
                found[label].setdefault(name, []).extend(times)
    print(f"load average: {load:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"{'query':34} {'base ms (min-max)':>22} {'new ms (min-max)':>22} {'new/base':>8}")
    for name in found["base"]:
        a, b = found["base"][name], found["new"][name]
        base, new = statistics.median(a), statistics.median(b)
        span = "{:8.2f} ({:.1f}-{:.1f})".format
        print(
            f"{name:34} {span(base, min(a), max(a)):>22} {span(new, min(b), max(b)):>22} "
            f"{new / base:8.3f}"
        )


if __name__ == "__main__":
    main()
