"""bench/README.md's tables of figures, written from the results files (not a benchmark).

Each table sits between two markers in the README:

    <!-- table: NAME (bench/readme_tables.py from results/FILE.json; do not edit) -->
    ...
    <!-- end of table: NAME -->

and is rendered here from its JSON, so a figure in the README is the one a benchmark wrote.

    .venv/bin/python bench/readme_tables.py           # rewrite every table from its JSON
    .venv/bin/python bench/readme_tables.py --check   # exit 1 if a table differs from its JSON
"""

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import analytics_peers  # noqa: E402 - beside this script

Renderer = Callable[[dict[str, Any]], str]


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def dashboard_request(report: dict[str, Any]) -> str:
    """dashboard_request_bench.py: each page cold and warm, medians (min–max), × baseline."""
    base = report["baseline"]
    lines = [
        "| page | cold ms | × | warm ms | × |",
        "|---|---|---|---|---|",
        f"| baseline `{base['path']}` | {_cell(base['cold_ms'])} | 1 | "
        f"{_cell(base['warm_ms'])} | 1 |",
    ]
    for name, page in report["pages"].items():
        cold = page["cold_ms"]["median"] / base["cold_ms"]["median"]
        warm = page["warm_ms"]["median"] / base["warm_ms"]["median"]
        lines.append(
            f"| {name} (`{page['path']}`) | {_cell(page['cold_ms'])} | {cold:.1f} | "
            f"{_cell(page['warm_ms'])} | {warm:.1f} |"
        )
    setup = base["setup_ms"]
    lines.append(
        f"\n{report['runs']} samples a figure; a worker's start-up (Django and "
        f"ops/warmup.py) {_cell(setup)} ms, apart; load average "
        f"{report['load_before'][0]:.2f} → {report['load_after'][0]:.2f} on "
        f"{report['cpus']} cores; {report['when'][:16].replace('T', ' ')} UTC."
    )
    return "\n".join(lines)


def _cell(stats: dict[str, float]) -> str:
    return f"{_ms(stats['median'])} ({_ms(stats['min'])}–{_ms(stats['max'])})"


def push_latency(report: dict[str, Any]) -> str:
    """push_latency_bench.py: commit → public figure by push, against a refresh in process."""
    push, base = report["push_seconds"], report["baseline_seconds"]
    return "\n".join(
        [
            "| commit → public figure | writes | p50 | p95 | min–max |",
            "|---|---|---|---|---|",
            f"| by push (the listener's refresh) | {push['n']} | {push['p50']:.2f} s | "
            f"**{push['p95']:.2f} s** | {push['min']:.2f}–{push['max']:.2f} s |",
            f"| a refresh in the writing process (baseline) | {base['n']} | {base['p50']:.2f} s | "
            f"{base['p95']:.2f} s | {base['min']:.2f}–{base['max']:.2f} s |",
            "",
            f"Target p95 ≤ {report['target_p95_seconds']:.0f} s; {report['database']}; load "
            f"average {report['load_before'][0]:.2f} → {report['load_after'][0]:.2f}; "
            f"{report['when'][:16].replace('T', ' ')} UTC.",
        ]
    )


def cluster_drill(report: dict[str, Any]) -> str:
    """ops/drills/cluster.py: per endpoint, the requests, latencies (the clients' and, when
    recorded, nginx's) and errors; the dashboard per phase, commit → figure and the CPU by
    role."""
    run, writes = report["run"], report["writes"]
    proxy = report.get("at_proxy", {})
    lines = [
        "| endpoint | requests | p50 ms | p95 ms | max ms | p95 ms at nginx | errors outside the "
        "switch | 503 inside it |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, e in report["endpoints"].items():
        at_nginx = _ms(proxy[name]["p95_ms"]) if "p95_ms" in proxy.get(name, {}) else "–"
        lines.append(
            f"| {name} | {e['requests']:,} | {_ms(e['p50_ms'])} | {_ms(e['p95_ms'])} | "
            f"{_ms(e['max_ms'])} | {at_nginx} | {e['errors_outside_switch']} | "
            f"{e['errors_in_switch']} |"
        )
    loads = " / ".join(f"{load[0]:.1f}" for load in report["load_average"])
    think = run["think"]
    lines.append(
        f"\n{run['visitors']} visitors (each page read {think[0]:g}–{think[1]:g} s), "
        f"{run['api_readers']} API readers, {run['importers']} "
        f"importers for {run['duration']:.0f} s; switch {report['switch_seconds']:.2f} s; "
        f"writes acknowledged {writes['acknowledged']:,}, present {writes['present']:,}, lost "
        f"{len(writes['lost'])}; "
        + (
            f"validations acknowledged {v['acknowledged']}, lost {len(v['lost'])}; "
            if (v := report.get("validations"))
            else ""
        )
        + f"load average at start / failover / end {loads}."
    )
    if phases := report.get("dashboard_by_phase"):
        parts = [
            f"{name.replace('_', ' ')} p50 {_ms(p['p50_ms'])} / p95 {_ms(p['p95_ms'])} ms"
            for name, p in phases.items()
            if "p95_ms" in p
        ]
        lines.append(f"Dashboard by phase: {'; '.join(parts)}.")
    if (fresh := report.get("commit_to_figure")) and "p95_ms" in fresh:
        # Older runs timed a registered report until each server's read model held it.
        validated = fresh.get("what") == "validation"
        lines.append(
            (
                "A manager's validation → every live app server's official figure (moved): "
                if validated
                else "A registered report → every live app server's read model (refreshed "
                "after it): "
            )
            + f"{fresh['measured']} writes, p50 {_ms(fresh['p50_ms'])} / p95 "
            f"{_ms(fresh['p95_ms'])} / max {_ms(fresh['max_ms'])} ms; {fresh['missed']} missed "
            f"(not {'moved' if validated else 'fresh'} within 30 s), {fresh['near_a_fault']} "
            "near a fault set apart."
        )
    if cpu := report.get("cpu"):
        roles = ", ".join(
            f"{role.replace('_', ' ')} {s:,.0f}" for role, s in cpu["cpu_seconds"].items()
        )
        lines.append(
            f"CPU seconds over {cpu['seconds']:.0f} s on {cpu['cpus']} cores "
            f"({cpu['cores_busy']} busy on average): {roles}."
        )
    return "\n".join(lines)


def reflink(report: dict[str, Any]) -> str:
    """reflink_bench.py: each refresh on this machine's file system and on XFS, × baseline."""
    results = report["results"]
    names = {"one_report": "one registered report", "10k_services": "10,000 validated services"}
    lines = [
        f"| refresh of | {report['baseline_file_system']} ms, wall | CPU ms | XFS (reflink) ms, "
        "wall | CPU ms | × baseline |",
        "|---|---|---|---|---|---|",
    ]
    for change, name in names.items():
        base, xfs = results[f"{change}:baseline"], results[f"{change}:xfs"]
        lines.append(
            f"| {name} | {_stats(base['wall'])} | {_stats(base['cpu'])} | {_stats(xfs['wall'])}"
            f" | {_stats(xfs['cpu'])} | {report['ratios_xfs_to_baseline'][change]:.2f} |"
        )
    lines.append(
        f"\n{report['rounds']} rounds, {report['size'].upper()} services; load average "
        f"{report['load_average_before']:.2f} before, "
        f"{results['10k_services:xfs']['wall']['load_average']:.2f} after, on "
        f"{report['machine']['cpus']} cores; {report['when'][:16].replace('T', ' ')} UTC."
    )
    return "\n".join(lines)


def _stats(stats: dict[str, float]) -> str:
    return f"{stats['median_ms']:,.0f} ({stats['min_ms']:,.0f}–{stats['max_ms']:,.0f})"


def analytics(report: dict[str, Any]) -> str:
    return analytics_peers.markdown(report).rstrip("\n")


TABLES: dict[str, tuple[str, Renderer]] = {
    "analytics": ("analytics.json", analytics),
    "dashboard-request-10m": ("dashboard-request-10m.json", dashboard_request),
    "push-latency-10m": ("push-latency-10m.json", push_latency),
    "cluster-drill-200": ("cluster-drill-200.json", cluster_drill),
    "cluster-drill-200-paced": ("cluster-drill-200-paced.json", cluster_drill),
    "cluster-drill-200-validations": ("cluster-drill-200-validations.json", cluster_drill),
    "cluster-drill-200-validations-paced": (
        "cluster-drill-200-validations-paced.json",
        cluster_drill,
    ),
    "cluster-drill-10m-paced": ("cluster-drill-10m-paced.json", cluster_drill),
    "cluster-drill-10m-before-search": ("cluster-drill-10m-before-search.json", cluster_drill),
    "cluster-drill-10m-vacuumed-before": (
        "cluster-drill-10m-vacuumed-before.json",
        cluster_drill,
    ),
    "cluster-drill-10m-search-cube": ("cluster-drill-10m-search-cube.json", cluster_drill),
    "cluster-drill-10m-quiet-notices": ("cluster-drill-10m-quiet-notices.json", cluster_drill),
    "cluster-drill-10m-folded": ("cluster-drill-10m-folded.json", cluster_drill),
    "cluster-drill-10m-series-cache": ("cluster-drill-10m-series-cache.json", cluster_drill),
    "cluster-drill-10m-series-cache-2": (
        "cluster-drill-10m-series-cache-2.json",
        cluster_drill,
    ),
    "reflink-10m": ("reflink-10m.json", reflink),
}
BLOCK = re.compile(
    r"(<!-- table: (?P<name>[\w-]+) \([^)]*\) -->\n)(?P<body>.*?)"
    r"(\n<!-- end of table: (?P=name) -->)",
    re.DOTALL,
)


def render(readme: str, results: Path) -> tuple[str, list[str]]:
    """The README with every marked table rendered again, and the names of those that moved."""
    moved: list[str] = []

    def again(match: re.Match[str]) -> str:
        name = match["name"]
        file, renderer = TABLES[name]
        body = renderer(json.loads((results / file).read_text()))
        if body != match["body"]:
            moved.append(name)
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(again, readme), moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say which tables differ")
    parser.add_argument("--readme", type=Path, default=BENCH / "README.md")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args()
    text = args.readme.read_text()
    found = {m["name"] for m in BLOCK.finditer(text)}
    if missing := sorted(set(TABLES) - found):
        sys.exit(f"{args.readme}: sin marcas para {', '.join(missing)}")
    rendered, moved = render(text, args.results)
    if args.check:
        if moved:
            sys.exit(f"{args.readme}: tablas que no son las de sus resultados: {', '.join(moved)}")
        print(f"{args.readme}: {len(found)} tablas iguales a sus resultados")
        return
    args.readme.write_text(rendered)
    print(f"{args.readme}: {len(moved)} tablas reescritas ({', '.join(moved) or 'ninguna'})")


if __name__ == "__main__":
    main()
