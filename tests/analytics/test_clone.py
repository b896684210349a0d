"""The copy a refresh starts from (analytics.clone): shared blocks on XFS, every byte elsewhere.

The XFS tests make a small file system on a loop device, as a deployment would put the read
model's directory on one; they need root and mkfs.xfs (`make test` installs xfsprogs).
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from citesmart.analytics import clone as clone_module
from citesmart.analytics import connection
from citesmart.analytics.clone import clone

MB = 2**20


@pytest.fixture
def xfs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or not shutil.which("mkfs.xfs"):
        pytest.skip("needs root and mkfs.xfs (make test installs xfsprogs)")
    image, mount = tmp_path / "xfs.img", tmp_path / "xfs"
    with open(image, "wb") as handle:
        handle.truncate(320 * MB)  # sparse; XFS's smallest file system is 300 MB
    subprocess.run(["mkfs.xfs", "-q", "-m", "reflink=1", str(image)], check=True)
    mount.mkdir()
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"no loop device can be mounted here: {mounted.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _used(directory: Path) -> int:
    stat = os.statvfs(directory)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


def _fill(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    os.sync()
    return data


def test_on_xfs_the_copy_shares_every_block_and_stays_a_file_of_its_own(xfs: Path) -> None:
    data = _fill(xfs / "gen-1", 32 * MB)
    before = _used(xfs)

    assert clone(xfs / "gen-1", xfs / "gen-2") is True
    os.sync()
    assert _used(xfs) - before < 2 * MB  # 32 MB copied would take 32 MB
    assert (xfs / "gen-2").read_bytes() == data

    with open(xfs / "gen-2", "r+b") as handle:
        handle.write(b"changed")
    assert (xfs / "gen-1").read_bytes() == data


def test_where_blocks_cannot_be_shared_every_byte_is_copied(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clone_module, "_said", set())  # said once per process
    data = _fill(tmp_path / "gen-1", 3 * MB)
    with caplog.at_level("INFO", logger="citesmart.analytics.clone"):
        shared = clone(tmp_path / "gen-1", tmp_path / "gen-2")

    assert (tmp_path / "gen-2").read_bytes() == data
    with open(tmp_path / "gen-2", "r+b") as handle:
        handle.write(b"changed")
    assert (tmp_path / "gen-1").read_bytes() == data
    said = "comparte bloques" if shared else "copia la generación entera"  # ext4 or tmpfs here
    assert said in caplog.text


def test_a_refresh_on_xfs_publishes_its_change_and_leaves_the_generation_before_it_alone(
    xfs: Path,
) -> None:
    with connection.writer_lock(xfs), connection.new_generation(xfs, copy_current=False) as con:
        con.execute("CREATE TABLE facts AS SELECT md5(range::VARCHAR) AS id FROM range(300000)")
    first = connection.current_path(xfs)
    os.sync()
    before = _used(xfs)

    with connection.writer_lock(xfs), connection.new_generation(xfs, copy_current=True) as con:
        con.execute("INSERT INTO facts VALUES ('new')")
    os.sync()

    second = connection.current_path(xfs)
    assert second != first and first is not None and second is not None
    assert second.stat().st_size > 4 * MB
    assert _used(xfs) - before < second.stat().st_size / 2
    for path, rows in ((first, 300_000), (second, 300_001)):
        with duckdb.connect(str(path), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM facts").fetchone() == (rows,)
