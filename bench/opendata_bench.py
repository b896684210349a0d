"""Benchmark of `citesmart publish_opendata`: peak memory, time and release size (not a test).

Runs the command twice on the database and analytics read model already loaded (e.g. after
`make demo`, ≈400,000 microdata rows): once with the source of a baseline git ref (default:
the commit before the microdata was streamed) and once with the working tree, each in its own
process and its own OPENDATA_DIR. Peak RSS comes from os.wait4 of that process. Prints ratios
against the baseline and writes bench/results/opendata.json.

    DEBUG=1 .venv/bin/python bench/opendata_bench.py [--baseline ef3fded]
"""

# The commands run are fixed (git archive, this venv's citesmart).
# ruff: noqa: S603, S607

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITESMART = Path(sys.executable).parent / "citesmart"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="ef3fded", help="git ref of the baseline source")
    return parser.parse_args()


def baseline_source(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", ref, "src"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    tar = into / "src.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as bundle:
        bundle.extractall(into, filter="data")
    return into / "src"


def run(label: str, source: Path | None, opendata_dir: Path) -> dict:
    env = dict(os.environ, CITESMART_OPENDATA_DIR=str(opendata_dir))
    env.setdefault("CITESMART_VAR_DIR", str(ROOT / "var"))  # the same database and read model
    if source is not None:  # ahead of the editable install of the working tree
        env["PYTHONPATH"] = str(source)
    started = time.perf_counter()
    process = subprocess.Popen([str(CITESMART), "publish_opendata"], env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{label}: publish_opendata failed ({status})")
    release = max(p for p in (opendata_dir / "releases").iterdir() if p.is_dir())
    files = {p.name: p.stat().st_size for p in release.iterdir()}
    manifest = json.loads((release / "manifest.json").read_text())
    return {
        "label": label,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        "release_mb": round(sum(files.values()) / 1e6, 1),
        "microdata_rows": manifest["resources"]["servicios"]["rows"],
        "microdata_mb": {
            ext: round(files[f"servicios.{ext}"] / 1e6, 1)
            for ext in ("csv", "xlsx", "parquet", "json")
        },
    }


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="opendata-bench-") as temporary:
        work = Path(temporary)
        baseline = run(
            f"baseline {args.baseline}", baseline_source(args.baseline, work), work / "a"
        )
        current = run("working tree", None, work / "b")
    ratios = {
        key: round(current[key] / baseline[key], 3)
        for key in ("seconds", "peak_rss_mb", "release_mb")
    }
    ratios["microdata_json"] = round(
        current["microdata_mb"]["json"] / baseline["microdata_mb"]["json"], 3
    )
    result = {"baseline": baseline, "current": current, "ratio_current_to_baseline": ratios}
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "opendata.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
