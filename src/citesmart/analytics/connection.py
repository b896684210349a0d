"""The one gateway to DuckDB: immutable generations, a CURRENT pointer and a writer lock.

Django-free on purpose (it only needs a directory), so crash tests can drive it from a
subprocess. Layout of the directory (one per app server, never on a shared disk):

    gen-00000042.duckdb   published generations: written once, never opened read-write again
    gen-00000043.duckdb.tmp   the generation a writer is building (absent when idle)
    CURRENT               the file name of the generation readers must use, then its meta
                          (one line of JSON: what a cached page's key needs, see
                          Reader.newest_meta)
    writer.lock           fcntl lock held by the one process that builds the next generation

Why generations rather than updating one file in place: DuckDB lets one process open a file
read-write only while no other process has it open at all, so an in-place refresh would have
to stop every web worker's readers. Instead a writer copies the current file (or builds a new
one), applies its changes to the copy, checkpoints, fsyncs and renames it into place, then
atomically replaces CURRENT. Readers hold their generation open read-only and, before each
query, stat CURRENT; when it changed they attach the new generation. A writer killed at any
moment leaves only a `.tmp` file behind (removed by the next writer), and CURRENT still names
the last complete generation. The fcntl lock dies with its process, so no stale lock remains.
"""

import fcntl
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from citesmart.analytics.clone import clone

Config = dict[str, str | bool | int | float | list[str]]
POINTER = "CURRENT"
LOCK = "writer.lock"
_GENERATION = re.compile(r"^gen-(\d{8})\.duckdb$")
_USED = re.compile(r"^gen-(\d{8})\.duckdb(\.corrupt)?$")


class Busy(Exception):
    """Another process is writing the next generation."""


class Unavailable(Exception):
    """No generation has been built yet (or the current one cannot be read: `Corrupt`)."""


class Corrupt(Unavailable):
    """The generation CURRENT names cannot be read: truncated, garbage, a bad checksum."""

    def __init__(self, path: Path, detail: str = "") -> None:
        super().__init__(f"{path}: {detail}" if detail else str(path))
        self.path = path


# What DuckDB says about a database file that is not what it wrote (checked on DuckDB 1.x).
_CORRUPTION = (
    "Corrupt database file",
    "not a valid DuckDB database file",
    "Could not read enough bytes",
)


def is_corruption(error: BaseException) -> bool:
    """Whether a DuckDB error means the file itself is damaged (not a bad query, not memory)."""
    return isinstance(error, duckdb.Error) and any(mark in str(error) for mark in _CORRUPTION)


# --- writers ------------------------------------------------------------------------------


@contextmanager
def writer_lock(directory: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold the exclusive right to build the next generation (one writer per directory).

    flock is released by the kernel when the process dies, even under SIGKILL.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as error:
            raise Busy(str(directory)) from error
        yield
    finally:
        os.close(fd)


@contextmanager
def new_generation(
    directory: Path, *, copy_current: bool, config: Config | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the next generation; published when the block exits cleanly.

    The caller must hold `writer_lock`. With `copy_current` the new file starts as a copy of
    the current one (copy-on-write incremental refresh); otherwise it starts empty (rebuild).
    If the block raises, or the process dies, the half-built file is never published.
    """
    _remove_leftovers(directory)
    current = current_path(directory)
    final = directory / f"gen-{_last_number(directory, current) + 1:08d}.duckdb"
    building = final.with_name(final.name + ".tmp")
    flushing: threading.Thread | None = None
    if copy_current and current is not None and not clone(current, building):
        # Without a reflink the copy is hundreds of MB of dirty pages, and the checkpoint's
        # fsync would wait for all of them at the end: start writing them out now, while
        # the caller reads the records and applies its changes.
        flushing = threading.Thread(target=_fsync, args=(building,), name="analytics-fsync")
        flushing.start()
    try:
        con = duckdb.connect(str(building), config=config or {})
        try:
            yield con
            con.execute("CHECKPOINT")  # everything in the main file, no WAL to carry along
            meta = _meta_of(con)
        except BaseException:
            con.close()
            raise
    except BaseException:
        if flushing is not None:
            flushing.join()
        _remove_leftovers(directory)
        raise
    con.close()
    if flushing is not None:
        flushing.join()
    _fsync(building)
    os.rename(building, final)
    _point_to(directory, final, meta)
    _collect(directory, keep={final.name, current.name if current else ""})


def current_path(directory: Path) -> Path | None:
    """The generation CURRENT names, or None before the first build."""
    try:
        name = (directory / POINTER).read_text().split("\n", 1)[0].strip()
    except FileNotFoundError:
        return None
    return directory / name if name else None


def _meta_of(con: duckdb.DuckDBPyConnection) -> dict[str, str] | None:
    """The generation's `meta` table (key, value), None when it has none."""
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    except duckdb.CatalogException:
        return None


def _pointer_meta(directory: Path) -> dict[str, Any] | None:
    """The meta CURRENT carries, None when it carries none (written by an older version).
    Raises Unavailable when there is no CURRENT."""
    try:
        _name, _, rest = (directory / POINTER).read_text().partition("\n")
    except FileNotFoundError as error:
        raise Unavailable(str(directory)) from error
    try:
        meta = json.loads(rest) if rest.strip() else None
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


def _number(path: Path | None) -> int:
    match = _GENERATION.match(path.name) if path else None
    return int(match.group(1)) if match else 0


def _last_number(directory: Path, current: Path | None) -> int:
    """The highest generation number used, set-aside ones included: a name is never reused
    (a reader that found a generation damaged refuses that name)."""
    numbers = [_number(current)]
    for path in directory.glob("gen-*.duckdb*"):
        match = _USED.match(path.name)
        if match:
            numbers.append(int(match.group(1)))
    return max(numbers)


def _point_to(directory: Path, generation: Path, meta: dict[str, str] | None = None) -> None:
    # Write-then-rename is atomic on POSIX: a reader sees the old name or the new one, never
    # a torn file. The fsyncs make the new pointer survive a power cut only after the
    # generation it names is itself on disk.
    staging = directory / (POINTER + ".tmp")
    with open(staging, "w") as handle:
        handle.write(generation.name + "\n")
        if meta is not None:
            handle.write(json.dumps(meta, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, directory / POINTER)
    _fsync(directory)


def set_aside(directory: Path, generation: Path) -> Path:
    """Rename a damaged generation to `<name>.corrupt` (kept for a look, the older such file
    removed) and retract CURRENT when it names it: readers then find no generation (and
    answer 503) until a new one is published. Only called under the writer lock."""
    for old in directory.glob("*.corrupt"):
        old.unlink(missing_ok=True)
    aside = generation.with_name(generation.name + ".corrupt")
    if generation.exists():
        os.rename(generation, aside)
    Path(str(generation) + ".wal").unlink(missing_ok=True)
    current = current_path(directory)
    if current is not None and current.name == generation.name:
        (directory / POINTER).unlink(missing_ok=True)
        _fsync(directory)
    return aside


def _remove_leftovers(directory: Path) -> None:
    """Delete half-built files of a writer that died (only called under the writer lock)."""
    for path in directory.glob("*.tmp*"):  # includes DuckDB's spill directory, <file>.tmp
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _collect(directory: Path, *, keep: set[str]) -> None:
    # Readers may still hold an older generation open: unlinking is safe on POSIX (their
    # file descriptor keeps the data alive), and we keep the previous generation on disk so a
    # reader that read CURRENT just before the swap can still attach it.
    for path in directory.glob("gen-*.duckdb"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
            Path(str(path) + ".wal").unlink(missing_ok=True)


@dataclass
class _Kept:
    """A thread's cursor between its queries, and the connection (generation) it is from."""

    parent: duckdb.DuckDBPyConnection
    cursor: duckdb.DuckDBPyConnection
    busy: bool = False


def _new_cursor(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    cursor = connection.cursor()
    cursor.execute("USE rm")  # the search path is per cursor
    return cursor


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- readers ------------------------------------------------------------------------------


class Reader:
    """One per process and directory: the current generation, attached read-only.

    Any number of processes may attach the same published file read-only at once. Each query
    gets its own cursor (DuckDB cursors are per-thread connections to the same database).
    """

    def __init__(self, directory: Path, config: Config | None = None) -> None:
        self.directory = directory
        self.config = config or {}
        self._lock = threading.Lock()
        self._pointer_key: tuple[int, int] | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None
        self.generation = ""
        self.meta: dict[str, Any] = {}
        self.corrupt = ""  # a generation a query found damaged: never served again
        self._kept: dict[int, _Kept] = {}  # each thread's cursor between queries
        self._newest: tuple[tuple[int, int], dict[str, Any]] | None = None  # newest_meta's

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the newest published generation.

        Each thread keeps its cursor on the current generation between queries: making one
        (a DuckDB connection, its search path set) cost a third of a millisecond, and a cold
        center page asks for 150. A thread asking again while it holds it (nested) gets a
        cursor of its own. Raises Corrupt when the generation turns out damaged (at attach or
        in any query run on the cursor); the reader then refuses it until CURRENT names
        another one.
        """
        connection, generation = self._current_connection()
        kept = self._take_kept(connection)
        cursor = kept or _new_cursor(connection)
        failed = False
        try:
            yield cursor
        except duckdb.Error as error:
            failed = True
            if not is_corruption(error):
                raise
            self.corrupt = generation  # this cursor's, even if another thread moved on
            raise Corrupt(self.directory / generation, str(error)) from error
        finally:
            if kept is None:
                cursor.close()
            else:
                self._give_back(failed)

    # Idle kept cursors are closed when a new generation is attached (an old generation's
    # file is freed when its last cursor goes) and when more threads than KEPT_CURSORS have
    # one (threads that came and went, as under the development server).
    KEPT_CURSORS = 16

    def _take_kept(self, connection: duckdb.DuckDBPyConnection) -> Any:
        me = threading.get_ident()
        with self._lock:
            kept = self._kept.get(me)
            if kept is not None and kept.busy:
                return None  # nested: the caller's own cursor
            if kept is None or kept.parent is not connection:
                if kept is not None:
                    kept.cursor.close()
                elif len(self._kept) >= self.KEPT_CURSORS:
                    self._close_idle()
                kept = self._kept[me] = _Kept(connection, _new_cursor(connection))
            kept.busy = True
            return kept.cursor

    def _give_back(self, failed: bool) -> None:
        me = threading.get_ident()
        with self._lock:
            kept = self._kept[me]
            kept.busy = False
            if failed:  # made anew after a failed query
                kept.cursor.close()
                del self._kept[me]

    def _close_idle(self) -> None:
        for me, kept in list(self._kept.items()):
            if not kept.busy:
                kept.cursor.close()
                del self._kept[me]

    def newest_meta(self) -> dict[str, Any]:
        """The meta of the newest published generation, read from CURRENT without attaching
        it: what a page served from the cache needs (its content version, its freshness).
        Attaching costs every worker process a DuckDB connection and the generation's
        catalog (~27 ms) at each publication, about one a second while operators import.
        The attached generation's meta when CURRENT carries none (an older version wrote it).
        """
        key = self._pointer_now()
        with self._lock:
            if self._newest is not None and self._newest[0] == key:
                return self._newest[1]
        meta = _pointer_meta(self.directory)  # at least as new as `key`
        if meta is None:
            self.attach()
            return self.meta
        with self._lock:
            self._newest = (key, meta)
        return meta

    def attach(self) -> None:
        """Attach the newest published generation, so `meta` and `generation` are its own
        (what cursor() does first, without the cost of a cursor)."""
        self._current_connection()

    def _pointer_now(self) -> tuple[int, int]:
        """CURRENT's identity: os.replace gives it a new inode at every publication."""
        try:
            stat = os.stat(self.directory / POINTER)
        except FileNotFoundError as error:
            raise Unavailable(str(self.directory)) from error
        return (stat.st_ino, stat.st_mtime_ns)

    def _current_connection(self) -> tuple[duckdb.DuckDBPyConnection, str]:
        key = self._pointer_now()  # one stat() per query
        with self._lock:
            if key != self._pointer_key or self._connection is None:
                self._attach_current()
                self._pointer_key = key
            assert self._connection is not None
            if self.generation == self.corrupt:
                raise Corrupt(self.directory / self.generation)
            return self._connection, self.generation

    def _attach_current(self) -> None:
        for _attempt in range(5):  # a writer may publish (and collect) between read and attach
            path = current_path(self.directory)
            if path is None:
                raise Unavailable(str(self.directory))
            connection = duckdb.connect(":memory:", config=self.config)
            try:
                connection.execute(f"ATTACH '{_quote(path)}' AS rm (READ_ONLY)")
                # Nothing a query does may touch files or the network from here on.
                connection.execute("SET enable_external_access = false")
                rows = connection.execute("SELECT key, value FROM rm.meta").fetchall()
            except duckdb.Error as error:
                connection.close()
                if path.exists() and current_path(self.directory) == path:
                    # Still the current generation, and there: damaged, not swapped away.
                    self.corrupt = path.name
                    raise Corrupt(path, str(error)) from error
                continue
            # The old connection is not closed: another thread may still be reading it; it is
            # released (and its file descriptor with it) when the last cursor lets go of it.
            self._connection, self.generation = connection, path.name
            self.meta = dict(rows)
            self._close_idle()  # busy ones are replaced at their thread's next query
            return
        raise Unavailable(str(self.directory))


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


_readers: dict[Path, Reader] = {}
_readers_lock = threading.Lock()


def reader(directory: Path, config: Config | None = None) -> Reader:
    """The process-wide reader of `directory`."""
    with _readers_lock:
        found = _readers.get(directory)
        if found is None:
            found = _readers[directory] = Reader(directory, config)
        return found


def forget_readers() -> None:
    """Drop every cached reader (tests that switch directories, forked workers)."""
    with _readers_lock:
        _readers.clear()


# A forked worker (gunicorn --preload) must not share its parent's DuckDB handles.
os.register_at_fork(after_in_child=forget_readers)
