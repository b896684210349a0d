"""Readers never see a half-written read model, and a killed writer leaves no damage."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date

import pytest
from analytics_world import record

from citesmart.analytics import connection, refresh, schema
from citesmart.analytics.queries import figures

# Runs in a separate process: starts a copy-on-write generation, empties the facts, says it
# is ready and then waits forever, holding the writer lock and the half-written file.
KILLED_WRITER = """
import sys, time
from pathlib import Path
from citesmart.analytics import connection
directory = Path(sys.argv[1])
with connection.writer_lock(directory):
    with connection.new_generation(directory, copy_current=True) as con:
        con.execute("BEGIN")
        con.execute("DELETE FROM facts")
        (directory / "ready").touch()
        time.sleep(60)
"""

# Runs in separate processes: reads the current generation in a loop while a writer publishes.
READER = """
import json, sys, time
from pathlib import Path
from citesmart.analytics import connection
directory = Path(sys.argv[1])
reader = connection.Reader(directory)
seen, errors, until = set(), [], time.monotonic() + 60
while time.monotonic() < until and not (directory / "stop").exists():
    try:
        with reader.cursor() as cursor:
            seen.add(cursor.execute("SELECT count(*) FROM facts").fetchone()[0])
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.005)  # leave the writer some CPU on small machines
print(json.dumps({"seen": sorted(seen), "errors": errors[:3]}))
"""


def python(code: str, *args: str, output: bool = True) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE if output else subprocess.DEVNULL,
        text=True,
    )


def test_writer_killed_midway_leaves_the_last_good_state_and_the_next_refresh_completes(
    world, read_model
):
    refresh.rebuild()
    before = figures().totals
    published = connection.current_path(read_model)
    writer = python(KILLED_WRITER, str(read_model), output=False)
    deadline = time.monotonic() + 20
    while not (read_model / "ready").exists():
        assert time.monotonic() < deadline and writer.poll() is None
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert list(read_model.glob("*.tmp*"))  # the half-written generation is still there...
    assert connection.current_path(read_model) == published  # ...but was never published
    connection.forget_readers()
    assert figures().totals == before
    record(world.centers[0], "DESPUES", world.units[:2], end=date(2025, 1, 5))
    outcome = refresh.refresh(wait=False)  # the dead writer's lock died with it
    assert outcome.kind == "refresh"
    assert not list(read_model.glob("*.tmp*"))
    assert figures().totals["services"] == before["services"] + 2


def test_refresh_failing_midway_publishes_nothing(world, read_model, monkeypatch):
    refresh.rebuild()
    before = figures().totals
    record(world.centers[0], "FALLA", world.units[:2], end=date(2025, 1, 5))

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(schema, "insert_raw", explode)
    with pytest.raises(RuntimeError):
        refresh.refresh()
    assert not list(read_model.glob("*.tmp*"))
    monkeypatch.undo()
    refresh.refresh()
    assert figures().totals["services"] == before["services"] + 2


def test_readers_in_other_processes_keep_reading_while_generations_are_published(world, read_model):
    refresh.rebuild()
    readers = [python(READER, str(read_model)) for _ in range(3)]
    time.sleep(1)  # let them start and attach
    for index in range(4):
        record(world.centers[2], f"CONC-{index}", world.units[:1], end=date(2025, 1, 5))
        refresh.refresh()
    time.sleep(0.5)  # let them see the last generation
    (read_model / "stop").touch()
    outputs = [json.loads(reader.communicate(timeout=30)[0]) for reader in readers]
    published = _published_row_counts(read_model)
    for output in outputs:
        assert output["errors"] == []
        assert set(output["seen"]) <= published
    assert max(max(o["seen"]) for o in outputs) == max(published)


def _published_row_counts(directory) -> set[int]:
    # Every generation added one report with one service: rows grew by one at each publication.
    current = connection.reader(directory)
    with current.cursor() as cursor:
        last = cursor.execute("SELECT count(*) FROM facts").fetchone()[0]
    return {last - n for n in range(5)}


def test_a_second_writer_is_refused_while_one_is_busy(world, read_model):
    refresh.rebuild()
    with connection.writer_lock(read_model), pytest.raises(connection.Busy):
        refresh.refresh(wait=False)


def test_current_carries_the_meta_of_the_generation_it_names(tmp_path):
    # What a page served from the cache needs (Reader.newest_meta), without attaching.
    with (
        connection.writer_lock(tmp_path),
        connection.new_generation(tmp_path, copy_current=False) as con,
    ):
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO meta VALUES ('build', 'b1'), ('fresh_as_of', 'x')")
    reader = connection.Reader(tmp_path)
    assert reader.newest_meta() == {"build": "b1", "fresh_as_of": "x"}
    assert reader.generation == ""  # nothing attached
    with reader.cursor():
        assert reader.meta == reader.newest_meta()
    # A CURRENT written by an older version names the generation only: attached then.
    (tmp_path / connection.POINTER).write_text(reader.generation + "\n")
    fresh = connection.Reader(tmp_path)
    assert fresh.newest_meta() == {"build": "b1", "fresh_as_of": "x"}
    assert fresh.generation == connection.current_path(tmp_path).name
