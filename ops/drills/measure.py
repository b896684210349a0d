"""What the cluster drill measures besides its clients' own timings: where the machine's CPU
went (by role, from /proc), and how long nginx took to answer each request (its access log,
`$request_time`: from the request's first byte to the answer's last, whatever the clients'
own overhead)."""

import os
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")

# nginx writes one line per request: end time, seconds taken, status, URI, then the seconds
# each upstream took ("0.120, 0.004" when a dead server was skipped: last, it may hold spaces).
ACCESS_FORMAT = (
    "log_format timing '$msec $request_time $status $request_uri $upstream_response_time';"
)


def kind_of(uri: str) -> str:
    """The drill's name for a request, from its URI (as traffic.py names what it sends)."""
    path = uri.split("?", 1)[0]
    if path == "/":
        return "dashboard"
    for prefix, kind in (
        ("/centros/", "center_page"),
        ("/servicios/", "catalogue"),
        ("/api/v1/estadisticas/", "api_statistics"),
        ("/api/v1/informes/", "import"),
    ):
        if path.startswith(prefix):
            return kind
    return "other"


def proxy_timings(log: Path, since: float) -> dict[str, list[float]]:
    """Seconds nginx took per request, by kind, for requests that started after `since`
    (wall-clock seconds): the drill's load, not the set-up's checks."""
    out: dict[str, list[float]] = {}
    if not log.exists():
        return out
    for line in log.read_text().splitlines():
        parts = line.split(" ")
        if len(parts) < 4:
            continue
        ended, seconds = float(parts[0]), float(parts[1])
        if ended - seconds >= since:
            out.setdefault(kind_of(parts[3]), []).append(seconds)
    return out


def role_of(pid: int, own: set[int]) -> str:
    if pid in own:
        return "load_generator"
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if comm.startswith("postgres") or "postgres:" in cmdline:
        return "postgresql"
    if comm == "nginx":
        return "nginx"
    if "analytics watch" in cmdline:  # each server's refresher (deployed beside `serve`)
        return "app_servers_refresh"
    if "gunicorn" in cmdline or "citesmart" in cmdline:
        return "app_servers"
    return "rest_of_machine"


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class CpuSampler:
    """CPU seconds by role over the run, sampled every second: a process seen first during
    the run counts from zero, one alive at the start from its use then; a process that dies
    loses at most its last second."""

    def __init__(self, own: set[int]):
        self.own = own
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stop = threading.Event()
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "CpuSampler":
        self._sample(initial=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(1.0):
            self._sample()

    def _sample(self, initial: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            used = cpu_seconds(pid)
            if used is None:
                continue
            if pid not in self.first:
                self.first[pid] = used if initial else 0.0
            role = self.last[pid][0] if pid in self.last else role_of(pid, self.own)
            self.last[pid] = (role, used)

    def finish(self) -> dict:
        self.stop.set()
        self.thread.join(timeout=5)
        self._sample()
        elapsed = time.monotonic() - self.started
        roles: dict[str, float] = {}
        for pid, (role, used) in self.last.items():
            roles[role] = roles.get(role, 0.0) + used - self.first[pid]
        return {
            "seconds": round(elapsed, 1),
            "cpus": os.cpu_count(),
            "cpu_seconds": {k: round(v, 1) for k, v in sorted(roles.items()) if v >= 0.05},
            "cores_busy": round(sum(roles.values()) / elapsed, 2) if elapsed else None,
        }
