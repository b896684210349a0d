"""`citesmart backup` / `citesmart restore`: a demo-like history survives the round trip.

Source: a fresh installation (reference data, a demo history, an import with its uploaded
file, demo users), backed up. Target: an EMPTY database of each engine available (SQLite;
PostgreSQL when DATABASE_URL points at one), restored. Every table must come back identical
(a second backup of the target has byte-identical data files), the uploaded files too, and
the published figures (analytics totals and per center) must be the same.
"""

import json
import tarfile
from pathlib import Path

import pytest
from tests.ops.world import ON_POSTGRES, World, postgres_world, sqlite_world, write_import


def _tables(path: Path) -> dict[str, list]:
    """Every data file's rows (parsed: PostgreSQL's jsonb may reorder the keys of a JSON
    value), and the uploaded files' bytes."""
    with tarfile.open(path, "r:gz") as tar:
        found = {}
        for member in tar.getmembers():
            if not member.isfile() or member.name == "manifest.json":
                continue
            content = tar.extractfile(member).read()
            if member.name.startswith("data/"):
                found[member.name] = [json.loads(line) for line in content.splitlines()]
            else:
                found[member.name] = [content]
        return found


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[World, Path, dict]:
    world = sqlite_world(tmp_path_factory.mktemp("source"))
    world.run("migrate", "--noinput", "-v0")
    world.run("load_reference")
    world.run("demo_data", "--years", "2025", "--scale", "0.03", "--seed", "3")
    world.run("create_demo_users")
    upload = write_import(world.root / "subida.csv", 30)
    world.run("import", str(upload), "--center", "citeagroindustrial-moquegua")
    world.run("analytics", "rebuild")
    backup = world.root / "copia.tar.gz"
    out = world.run("backup", str(backup)).stdout
    assert "Copia escrita en" in out and "1 archivos subidos" in out
    return world, backup, world.figures()


def _restore_and_compare(target: World, source: tuple[World, Path, dict]) -> None:
    _world, backup, figures = source
    out = target.run("restore", str(backup)).stdout
    assert "Modelo analítico reconstruido" in out
    again = target.root / "otra.tar.gz"
    target.run("backup", str(again))
    before, after = _tables(backup), _tables(again)
    assert sorted(before) == sorted(after)
    for name in before:
        assert before[name] == after[name], f"{name} differs after the round trip"
    counts = target.python(
        "from citesmart.records.models import AuditEntry, Service, ImportBatch\n"
        "print(Service.objects.count(), AuditEntry.objects.count(), "
        "ImportBatch.objects.get().file.read()[:30])"
    )
    assert counts.split()[0] != "0" and "codigo_informe" in counts
    assert target.figures() == figures


def test_restore_into_an_empty_sqlite_database(source, tmp_path):
    _restore_and_compare(sqlite_world(tmp_path / "target"), source)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL runs when DATABASE_URL points at it")
def test_restore_into_an_empty_postgresql_database_and_back(source, tmp_path):
    with postgres_world(tmp_path / "pg") as target:
        _restore_and_compare(target, source)
        # And from PostgreSQL back into SQLite: the format is the same for both engines.
        second = target.root / "desde-pg.tar.gz"
        target.run("backup", str(second))
        back = sqlite_world(tmp_path / "back")
        back.run("restore", str(second))
        assert back.figures() == source[2]
        # New rows after a restore get new ids (sequences continue after the restored ones).
        target.run(
            "import",
            str(write_import(target.root / "mas.csv", 2, prefix="MAS")),
            "--center",
            "citeagroindustrial-moquegua",
        )


def test_restore_refuses_a_database_that_is_not_empty(source, tmp_path):
    _, backup, _ = source
    busy = sqlite_world(tmp_path / "busy")
    busy.run("migrate", "--noinput", "-v0")
    busy.run("load_reference")
    done = busy.run("restore", str(backup), check=False)
    assert done.returncode != 0
    assert "La base de datos de destino no está vacía" in done.stderr


def test_restore_refuses_a_damaged_file(source, tmp_path):
    bad = tmp_path / "mala.tar.gz"
    bad.write_bytes(source[1].read_bytes()[:5000])
    done = sqlite_world(tmp_path / "t").run("restore", str(bad), check=False)
    assert done.returncode != 0 and "Traceback" not in done.stderr
