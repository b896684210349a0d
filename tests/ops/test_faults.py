"""Faults, provoked for real: a killed import, a dropped database connection, a full disk.

The killed analytics refresh is covered by tests/analytics/test_concurrency.py (a writer
SIGKILLed midway leaves the previous generation served; the next refresh completes).

PostgreSQL "restarts" are simulated with pg_terminate_backend on the connections to this
test's own database: the server is shared with other work and is never restarted here. For
the application the effect is the same as a restart: every open connection dies at once.
"""

import json
import resource
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import pytest
from tests.ops.world import ON_POSTGRES, World, postgres_world, sqlite_world, write_import

CENTER = "citeagroindustrial-moquegua"


@contextmanager
def fresh_world(root: Path):
    """A new installation on the engine of this test run, with the reference data."""
    if ON_POSTGRES:
        with postgres_world(root) as world:
            world.run("migrate", "--noinput", "-v0")
            world.run("load_reference")
            yield world
    else:
        world = sqlite_world(root)
        world.run("migrate", "--noinput", "-v0")
        world.run("load_reference")
        yield world


def _counts(world: World) -> list[int]:
    out = world.python(
        "from citesmart.records.models import ServiceReport, Service, ImportBatch, AuditEntry\n"
        "print(ServiceReport.objects.count(), Service.objects.count(), "
        "ImportBatch.objects.count(), AuditEntry.objects.count())"
    )
    return [int(n) for n in out.split()[-4:]]


def test_an_import_killed_midway_writes_nothing_and_the_rerun_completes_once(tmp_path):
    with fresh_world(tmp_path / "w") as world:
        # Large enough that writing takes seconds even on a quiet machine: the kill below must
        # land inside the write transaction, not after its commit.
        rows = 30_000
        upload = write_import(world.root / "grande.csv", rows)
        process = subprocess.Popen(
            world.command("import", str(upload), "--center", CENTER, "--progress"),
            env=world.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        seen = b""
        while b"Registrando" not in seen:  # validation done: the write transaction is open
            chunk = process.stderr.read1(4096) if process.stderr else b""
            assert chunk, f"the import ended before writing: {seen[-500:]!r}"
            seen += chunk
        time.sleep(0.3)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL, "the import finished before the kill"
        process.stderr.close()
        assert _counts(world) == [0, 0, 0, 0]  # nothing partial: no report, batch or audit entry
        # Its copy of the file (personal data) outlived it, named by no batch: swept away.
        uploads = world.root / "var" / "media" / "imports"
        assert len([p for p in uploads.rglob("*") if p.is_file()]) == 1
        swept = world.run("sweep_uploads", "--minutos", "0")
        assert "1 archivos sin lote eliminados" in swept.stdout
        assert not [p for p in uploads.rglob("*") if p.is_file()]

        done = world.run("import", str(upload), "--center", CENTER)
        assert f"Importación registrada: {rows} filas" in done.stdout
        assert _counts(world)[:3] == [rows, rows, 1]
        again = world.run("import", str(upload), "--center", CENTER)
        assert "0 informes nuevos" in again.stdout and f"{rows} sin cambios" in again.stdout
        assert _counts(world)[:2] == [rows, rows]
        assert len([p for p in uploads.rglob("*") if p.is_file()]) == 2, "one per batch"


def _limit_file_size(limit: int):
    def apply() -> None:
        # SIGXFSZ would kill the process; ignored, writes past the limit fail with EFBIG.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))

    return apply


def test_a_full_disk_while_writing_an_export_fails_cleanly_and_says_so(tmp_path):
    """The xlsx export is spooled to a temporary file (CSV streams row by row, no file)."""
    with fresh_world(tmp_path / "w") as world:
        world.run("create_demo_users")
        world.run("import", str(write_import(world.root / "f.csv", 50)), "--center", CENTER)
        code = (
            "import resource, signal\n"
            "from django.test import Client\n"
            "from django.contrib.auth import get_user_model\n"
            "client = Client(HTTP_HOST='127.0.0.1')\n"
            "client.force_login(get_user_model().objects.get(username='analista'))\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (512, resource.RLIM_INFINITY))\n"
            "r = client.get('/admin/records/servicereport/exportar/?formato=xlsx')\n"
            "print('STATUS', r.status_code)\n"
            "print(r.content.decode())\n"
        )
        out = world.python(code)
        body = out.split("STATUS ", 1)[1]
        assert body.startswith("507")
        assert "No hay espacio en el disco del servidor" in body
        assert "Traceback" not in out


def test_a_full_disk_while_writing_a_backup_leaves_no_partial_file(tmp_path):
    with fresh_world(tmp_path / "w") as world:
        target = world.root / "copia.tar.gz"
        done = world.run("backup", str(target), check=False, preexec_fn=_limit_file_size(65536))
        assert done.returncode == 1
        assert "No se pudo escribir la copia" in done.stderr
        assert "Traceback" not in done.stderr
        assert not target.exists() and not list(world.root.glob("copia.tar.gz*"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
def test_dropped_database_connections_give_clean_503s_and_service_resumes(tmp_path):
    with fresh_world(tmp_path / "w") as world:
        world.run("import", str(write_import(world.root / "f.csv", 200)), "--center", CENTER)
        world.run("analytics", "rebuild")
        world.run("publish_opendata")  # /salud/ is "ok" only with an open-data release online
        port = _free_port()
        env = world.env() | {
            "DEBUG": "0",
            "SECRET_KEY": "k" * 30 + "-fault-test-only-" + "x" * 20,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_ACCESS_LOG": "off",
        }
        log = world.root / "serve.log"
        with log.open("wb") as sink:
            server = subprocess.Popen(
                world.command("serve", "--bind", f"127.0.0.1:{port}"),
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base)
            answers = _traffic_while_killing_connections(world, base)
            statuses = {status for status, _ in answers}
            assert statuses <= {200, 503}, statuses
            for status, body in answers:
                assert b"Traceback" not in body and b'File "' not in body
                if status == 503:
                    assert "no está disponible".encode() in body
            # Service resumes by itself: no restart of the app, no manual action.
            time.sleep(1)
            for path in ["/", "/centros/", "/salud/"]:
                assert _get(base + path)[0] == 200
            health = json.loads(_get(base + "/salud/")[1])
            assert health["status"] == "ok", health
        finally:
            server.terminate()
            with suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
            if server.poll() is None:
                server.kill()
        logged = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in logged, logged[-3000:]
        assert "Base de datos no disponible" in logged or "database_unavailable" not in logged


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with suppress(OSError):
            if _get(base + "/salud/")[0] in (200, 503):
                return
        time.sleep(0.5)
    raise AssertionError("citesmart serve did not start")


def _traffic_while_killing_connections(world: World, base: str) -> list[tuple[int, bytes]]:
    answers: list[tuple[int, bytes]] = []
    stop = threading.Event()

    def visitor() -> None:
        paths = ["/", "/centros/", "/servicios/", "/centros/citeagroindustrial-moquegua/"]
        n = 0
        while not stop.is_set():
            answers.append(_get(base + paths[n % len(paths)]))
            n += 1

    threads = [threading.Thread(target=visitor) for _ in range(4)]
    for thread in threads:
        thread.start()
    name = world.database_url.rsplit("/", 1)[1]
    admin = world.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        for _ in range(8):
            time.sleep(0.5)
            con.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
    stop.set()
    for thread in threads:
        thread.join()
    assert len(answers) > 8
    return answers
