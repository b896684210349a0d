"""Throw-away infrastructure for the drills: PostgreSQL 15 clusters of their own (initdb,
never the machine's main cluster), network namespaces joined by veth links, an nginx, and
`citesmart serve` app servers. Every `make_*`/`start_*` registers its undo on the drill's
ExitStack, so whatever happens the drill leaves nothing running (run as root)."""

import os
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

from measure import ACCESS_FORMAT

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SUBNET = "10.231"  # 10.231.N.1 the host's end of namespace N's link, 10.231.N.2 its own


def sh(*argv: str, check: bool = True, timeout: float = 600, **kw) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)  # noqa: S603
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def as_postgres(*argv: str, **kw) -> str:
    return sh("runuser", "-u", "postgres", "--", *argv, **kw)


def work_dir(stack: ExitStack, prefix: str) -> Path:
    """A directory under /var/tmp the postgres user can reach, removed at the end."""
    path = Path(sh("mktemp", "-d", f"/var/tmp/{prefix}-XXXXXX").strip())  # noqa: S108
    path.chmod(0o755)
    stack.callback(shutil.rmtree, path, ignore_errors=True)
    return path


@dataclass
class Postgres:
    """One drill cluster: data directory, port, socket directory and log under the work dir."""

    root: Path
    name: str
    port: int

    @property
    def datadir(self) -> Path:
        return self.root / self.name

    @property
    def sockets(self) -> Path:
        return self.root / "sockets"

    def initdb(self, settings: dict[str, str], hba: list[str]) -> None:
        self.sockets.mkdir(exist_ok=True)
        shutil.chown(self.sockets, "postgres")
        as_postgres(str(PG_BIN / "initdb"), "-D", str(self.datadir), "-A", "trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "-U", "postgres")  # fmt: skip
        self.configure(settings)
        (self.datadir / "pg_hba.conf").write_text("\n".join(hba) + "\n")

    def configure(self, settings: dict[str, str]) -> None:
        lines = [f"{key} = '{value}'" for key, value in settings.items()]
        lines += [f"port = {self.port}", f"unix_socket_directories = '{self.sockets}'"]
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write("\n# citesmart drill\n" + "\n".join(lines) + "\n")

    def start(self, stack: ExitStack | None = None) -> None:
        log = self.root / f"{self.name}.log"
        try:
            as_postgres(str(PG_BIN / "pg_ctl"), "start", "-w", "-t", "120", "-D",
                        str(self.datadir), "-l", str(log))  # fmt: skip
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{self.name}.log:\n{log.read_text()[-2000:]}") from None
        if stack is not None:
            stack.callback(self.stop, "immediate")

    def stop(self, mode: str = "fast") -> None:
        if (self.datadir / "postmaster.pid").exists():
            as_postgres(str(PG_BIN / "pg_ctl"), "stop", "-w", "-m", mode, "-D", str(self.datadir),
                        check=False)  # fmt: skip

    def promote(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "promote", "-w", "-D", str(self.datadir))

    def sql(self, query: str, db: str = "postgres") -> str:
        return as_postgres("psql", "-h", str(self.sockets), "-p", str(self.port), "-d", db,
                           "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", query)  # fmt: skip

    def url(self, db: str, host: str = "127.0.0.1") -> str:
        return f"postgres://postgres@{host}:{self.port}/{db}"

    def basebackup_into(self, other: "Postgres", *extra: str) -> None:
        """A copy of this cluster, taken while it runs, as `other`'s data directory."""
        as_postgres(str(PG_BIN / "pg_basebackup"), "-h", str(self.sockets), "-p", str(self.port),
                    "-D", str(other.datadir), "-X", "stream", "-c", "fast", *extra)  # fmt: skip

    def restore(self, source: str, db: str, dump: Path) -> None:
        """Database `db` of this cluster filled with a copy of `source` (a URL), through a
        parallel dump in directory `dump` (removed after). Then `vacuum_analyze` it."""
        jobs = str(os.cpu_count() or 2)
        as_postgres("pg_dump", "-Fd", "-Z0", "-j", jobs, "-f", str(dump), "-d", source,
                    timeout=3600)  # fmt: skip
        as_postgres("pg_restore", "-j", jobs, "--no-owner", "-h", str(self.sockets), "-p",
                    str(self.port), "-d", db, str(dump), timeout=3600)  # fmt: skip
        shutil.rmtree(dump)

    def vacuum_analyze(self, db: str) -> None:
        """As a restored database should be before it serves (PostgreSQL's docs): a restore
        carries no statistics, and autovacuum would otherwise plan blind and read every
        table in the middle of the drill. After `migrate`: its new indexes too."""
        as_postgres("vacuumdb", "--analyze", "-j", str(os.cpu_count() or 2), "-h",
                    str(self.sockets), "-p", str(self.port), "-d", db, timeout=3600)  # fmt: skip


def xfs_mount(stack: ExitStack, mount: Path, gigabytes: int) -> Path:
    """`mount` made an XFS file system (reflinks on) on a loop device, its sparse image beside
    it; unmounted and removed at the end. A read model's copies share blocks there
    (analytics.clone)."""
    image = mount.with_name(mount.name + ".img")
    with open(image, "wb") as handle:
        handle.truncate(gigabytes * 2**30)
    stack.callback(image.unlink, missing_ok=True)
    sh("mkfs.xfs", "-q", "-f", "-m", "reflink=1", str(image))
    mount.mkdir(exist_ok=True)
    sh("mount", "-o", "loop", str(image), str(mount))
    stack.callback(sh, "umount", "--lazy", str(mount), check=False)
    return mount


def trusting_hba() -> list[str]:
    return [
        "local all all trust",
        "local replication all trust",
        "host all all 127.0.0.1/32 trust",
        "host replication all 127.0.0.1/32 trust",
        f"host all all {SUBNET}.0.0/16 trust",
    ]


@dataclass
class Namespace:
    name: str
    index: int

    @property
    def host_ip(self) -> str:
        return f"{SUBNET}.{self.index}.1"

    @property
    def ip(self) -> str:
        return f"{SUBNET}.{self.index}.2"

    def exec(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def kill_all(self) -> list[int]:
        """SIGKILL every process inside: the app server's machine is gone."""
        pids = [int(p) for p in sh("ip", "netns", "pids", self.name, check=False).split()]
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return pids


def make_namespace(stack: ExitStack, name: str, index: int) -> Namespace:
    """A network namespace with a veth link to the host (10.231.N.1 <-> 10.231.N.2)."""
    ns = Namespace(name, index)
    host_end, ns_end = f"{name}-h", f"{name}-n"
    sh("ip", "netns", "add", name)
    stack.callback(_drop_namespace, ns, host_end)
    sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end)
    sh("ip", "link", "set", ns_end, "netns", name)
    sh("ip", "addr", "add", f"{ns.host_ip}/24", "dev", host_end)
    sh("ip", "link", "set", host_end, "up")
    sh(*ns.exec("ip", "addr", "add", f"{ns.ip}/24", "dev", ns_end))
    sh(*ns.exec("ip", "link", "set", ns_end, "up"))
    sh(*ns.exec("ip", "link", "set", "lo", "up"))
    return ns


def _drop_namespace(ns: Namespace, host_end: str) -> None:
    ns.kill_all()
    time.sleep(0.2)
    sh("ip", "link", "del", host_end, check=False)
    sh("ip", "netns", "del", ns.name, check=False)


def start_process(stack: ExitStack, argv: list[str], log: Path, env: dict | None = None):
    """A long-running child, its output in `log`; terminated (then killed) at the end."""
    with log.open("ab") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env)  # noqa: S603
    stack.callback(_end, process)
    return process


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    {access_format}
    # Buffered: one write a second, not one per request.
    access_log {work}/nginx-access.log timing buffer=256k flush=1s;
    client_body_temp_path {work}/nginx-tmp/body;
    proxy_temp_path {work}/nginx-tmp/proxy;
    fastcgi_temp_path {work}/nginx-tmp/fastcgi;
    uwsgi_temp_path {work}/nginx-tmp/uwsgi;
    scgi_temp_path {work}/nginx-tmp/scgi;
    upstream citesmart {{
{servers}
        keepalive 32;
        # Close idle connections before gunicorn does (its keepalive is 5 s): else a request
        # sent on a connection gunicorn is closing fails, and marks a live server down.
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        proxy_set_header Host $host;
        proxy_set_header X-Request-ID $request_id;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_connect_timeout 2s;
        proxy_read_timeout 60s;
        # A dead app server (refused, reset, no answer) is skipped and the request sent to
        # the other one. Not on 503: that is the application's own clean answer.
        proxy_next_upstream error timeout http_502 http_504;
        proxy_next_upstream_tries 2;
        location /api/v1/informes/ {{
            # Reports are written by code (created / updated / unchanged), so sending one
            # again to the other server after a reset is safe.
            proxy_next_upstream error timeout http_502 http_504 non_idempotent;
            proxy_pass http://citesmart;
        }}
        location / {{
            proxy_pass http://citesmart;
        }}
    }}
}}
"""


def start_nginx(stack: ExitStack, work: Path, port: int, upstreams: list[str]):
    (work / "nginx-tmp").mkdir()
    servers = "\n".join(f"        server {u} max_fails=3 fail_timeout=10s;" for u in upstreams)
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(work=work, servers=servers, port=port, access_format=ACCESS_FORMAT)
    )
    sh("nginx", "-t", "-q", "-c", str(conf), "-e", str(work / "nginx-error.log"))
    argv = ["nginx", "-c", str(conf), "-e", str(work / "nginx-error.log")]
    return start_process(stack, argv, work / "nginx.out")


def wait_for(check, seconds: float, what: str, step: float = 0.5):
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(Exception):
            if value := check():
                return value
        time.sleep(step)
    raise RuntimeError(f"timed out waiting for {what}")


def keep_logs(work: Path, target: Path) -> None:
    """Copy every *.log of the work directory (app servers, nginx, PostgreSQL) to `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for log in work.rglob("*.log"):
        shutil.copy(log, target / log.name)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
