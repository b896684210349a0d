"""A retiring web worker leaves at once and cleanly (ops/worker_exit, gunicorn's worker_exit).

The cluster drill saw both faults this prevents: a worker reaching max_requests while a
daemon thread was inside DuckDB died of SIGABRT ("terminate called after throwing an
instance of ''"), and one waited 60 s in Python's teardown for a non-daemon thread until
gunicorn killed it. Here a real process is in that state (push listener and refresher
running, a DuckDB query in a daemon thread, a slow non-daemon thread) when it leaves as
gunicorn's arbiter makes it leave: `sys.exit(status)`, with the hook in the `finally`.
"""

import fcntl
import os
import subprocess
import time

import pytest
from tests.ops.world import sqlite_world

CHILD = """
import sys, threading, time
import duckdb
from citesmart.analytics import push
from citesmart.ops import worker_exit

running = push.start()
assert running.listener.connected.wait(30), "the listener did not start"
con = duckdb.connect()

def busy():
    cursor = con.cursor()
    while True:
        cursor.execute("SELECT sum(i * random()) FROM range(20000000) t(i)").fetchall()

threading.Thread(target=busy, daemon=True).start()
threading.Thread(target=time.sleep, args=(300,), name="like-an-fsync").start()  # not daemon
time.sleep(0.5)
print("LOCK", running.listener.directory / push.LOCK, flush=True)
try:
    sys.exit({status})
finally:  # where gunicorn's arbiter calls the worker_exit hook
    worker_exit.leave(wait=2)
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    made = sqlite_world(tmp_path_factory.mktemp("worker-exit"))
    made.run("migrate", "--noinput", "-v0")
    return made


@pytest.mark.parametrize("status", [0, 3])  # retired; could not boot (the arbiter stops)
def test_a_busy_worker_leaves_at_once_with_its_status(world, status):
    started = time.monotonic()
    done = subprocess.run(
        world.command("shell", "-c", CHILD.format(status=status)),
        env=world.env(),
        capture_output=True,
        text=True,
        timeout=120,  # without the hook: the 300 s thread holds it, or DuckDB aborts it
    )
    took = time.monotonic() - started
    assert done.returncode == status, done.stderr[-2000:]
    assert "terminate called" not in done.stderr and "exception not rethrown" not in done.stderr
    assert took < 60, f"left after {took:.0f} s"
    # The push lock went with the process: the next worker of the server takes it.
    lock = next(ln.split(" ", 1)[1] for ln in done.stdout.splitlines() if ln.startswith("LOCK"))
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
