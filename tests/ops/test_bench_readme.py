"""bench/README.md's tables of figures are the results files' (bench/readme_tables.py): a
figure typed by hand, or a results file written again without the README, is caught."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPT = BENCH / "readme_tables.py"


def tables(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_the_readme_tables_are_the_results_files():
    done = tables("--check")
    assert done.returncode == 0, done.stderr


def test_a_figure_that_moved_is_caught_and_written_again(tmp_path):
    readme, results = tmp_path / "README.md", tmp_path / "results"
    shutil.copy(BENCH / "README.md", readme)
    shutil.copytree(BENCH / "results", results)
    found = results / "dashboard-request-10m.json"
    report = json.loads(found.read_text())
    report["pages"]["tablero"]["cold_ms"]["median"] = 1234.5
    found.write_text(json.dumps(report))
    where = ["--readme", str(readme), "--results", str(results)]
    done = tables("--check", *where)
    assert done.returncode == 1 and "dashboard-request-10m" in done.stderr
    assert "push-latency-10m" not in done.stderr  # only the table that moved
    assert tables(*where).returncode == 0
    assert "| tablero (`/`) | 1,234.5 (" in readme.read_text()
    assert tables("--check", *where).returncode == 0
