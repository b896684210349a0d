# ruff: noqa: S311 - seeded load patterns, not secrets
"""Load through the proxy for the cluster drill: visitors on the public pages, readers of the
statistics API, and importing clients posting reports to the write API. Every request is
recorded (start, duration, status); an import counts as acknowledged only on a 2xx answer,
and a client whose import was refused sends the same report again until it is accepted."""

import multiprocessing
import queue
import random
import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx

RUCS = ["20131312955", "20100047218", "20100070970", "20100130204", "20100017491"]


@dataclass
class Recorder:
    origin: float = field(default_factory=time.monotonic)
    samples: list[tuple[float, float, str, int]] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # bodies of the 503s the clients saw
    errors: list[str] = field(default_factory=list)  # requests with no answer: why
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.origin

    def get(self, client: httpx.Client, kind: str, url: str, **kw) -> httpx.Response | None:
        return self.send(client, kind, "GET", url, **kw)

    def send(self, client: httpx.Client, kind: str, method: str, url: str, **kw):
        started = self.now()
        try:
            response = client.request(method, url, **kw)
            status = response.status_code
        except httpx.HTTPError as exc:
            response, status = None, 0
            with self.lock:
                self.errors.append(f"{self.now():.2f} s {method} {url}: {exc!r}"[:300])
        with self.lock:
            self.samples.append((started, self.now() - started, kind, status))
            if status == 503 and response is not None:
                self.refusals.append(response.text[:600])
        return response


def visitor(base, rec: Recorder, stop, seed: int, centers: list[str], delay=0.0, think=(0.5, 2)):
    """Arrives after `delay` seconds (the ramp), then reads each page `think` seconds."""
    rng = random.Random(seed)
    stop.wait(delay)
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.6:
                year = rng.choice(["", "2025", "2026"])
                rec.get(client, "dashboard", "/" + (f"?anio={year}" if year else ""))
            elif roll < 0.85:
                rec.get(client, "center_page", f"/centros/{rng.choice(centers)}/")
            else:
                rec.get(client, "catalogue", rng.choice(["/servicios/", "/servicios/?q=ensayo"]))
            stop.wait(rng.uniform(*think))


def api_reader(base: str, rec: Recorder, stop: threading.Event, seed: int, delay: float = 0.0):
    rng = random.Random(seed)
    stop.wait(delay)
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            year = rng.choice(["2025", "2026"])
            rec.get(client, "api_statistics", f"/api/v1/estadisticas/?anio={year}")
            stop.wait(rng.uniform(0.5, 1.5))


def report(code: str, n: int) -> dict:
    return {
        "codigo": code,
        "fecha_inicio": "2026-11-02",
        "fecha_fin": "2026-11-04",
        "categoria": "asistencia-tecnica",
        "unidades": [
            {
                "tipo_documento": "RUC",
                "numero_documento": RUCS[n % len(RUCS)],
                "razon_social": f"Empresa {n % len(RUCS)} S.A.C.",
                "ubigeo": "150101",
                "monto": "150.00",
            }
        ],
    }


def importer(base: str, token: str, rec: Recorder, stop: threading.Event, number: int):
    """Posts report DRILL-<number>-<n> until acknowledged, then the next one."""
    headers = {"Authorization": f"Bearer {token}"}
    n = 0
    with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
        while not stop.is_set():
            code = f"DRILL-{number}-{n:05d}"
            response = rec.send(client, "import", "POST", "/api/v1/informes/",
                                json=report(code, n))  # fmt: skip
            if response is not None and response.status_code in (200, 201):
                with rec.lock:
                    rec.acknowledged.append(code)
                n += 1
                stop.wait(0.3)
            else:
                stop.wait(0.5)  # refused or lost: the same report again, a moment later


def _share(n: int, part: int, parts: int) -> list[int]:
    return [i for i in range(n) if i % parts == part]


def _load_process(base, token, origin, counts, pace, part, parts, centers, stop, results):
    """One load process: its share of the clients as threads, visitors and API readers
    arriving evenly over `ramp` seconds; at the stop, its records back to the drill through
    `results`."""
    rec = Recorder(origin=origin)
    halt = threading.Event()
    visitors, readers, _ = counts
    ramp, think = pace
    targets = [
        (visitor, (base, rec, halt, i, centers, ramp * i / max(visitors, 1), think))
        for i in _share(visitors, part, parts)
    ]
    targets += [
        (api_reader, (base, rec, halt, 1000 + i, ramp * i / max(readers, 1)))
        for i in _share(readers, part, parts)
    ]
    targets += [(importer, (base, token, rec, halt, i)) for i in _share(counts[2], part, parts)]
    threads = [threading.Thread(target=t, args=a) for t, a in targets]
    for thread in threads:
        thread.start()
    stop.wait()
    halt.set()
    for thread in threads:
        thread.join(timeout=90)
    results.put((rec.samples, rec.acknowledged, rec.refusals, rec.errors))


class LoadProcesses:
    """The clients spread over `processes` processes, so that 200 visitors are not 200 threads
    of one Python process timing each other through its lock: a sample is a client's time, not
    its wait for the interpreter. Monotonic clocks are shared by every process of the machine,
    so every sample is on the drill's clock."""

    def __init__(self, base: str, token: str, rec: Recorder, args, centers, processes: int):
        ctx = multiprocessing.get_context("spawn")
        self.rec, self.stop, self.results = rec, ctx.Event(), ctx.Queue()
        counts = (args.visitors, args.api_readers, args.importers)
        channels = (self.stop, self.results)
        self.processes = [
            ctx.Process(
                target=_load_process,
                args=(
                    base,
                    token,
                    rec.origin,
                    counts,
                    (args.ramp, tuple(args.think)),
                    part,
                    processes,
                    centers,
                    *channels,
                ),
            )
            for part in range(processes)
        ]
        for process in self.processes:
            process.start()

    def pids(self) -> set[int]:
        return {p.pid for p in self.processes if p.pid}

    def check(self) -> None:
        """Every client process still running (else the run measures nothing: fail now)."""
        if dead := [p.exitcode for p in self.processes if not p.is_alive()]:
            raise RuntimeError(f"{len(dead)} load processes ended (exit codes {dead})")

    def finish(self) -> None:
        """Stop the clients and gather their records into the drill's recorder; a process
        that died is reported at once, not waited for."""
        self.stop.set()
        pending = len(self.processes)
        while pending:
            try:
                samples, acknowledged, refusals, errors = self.results.get(timeout=5)
            except queue.Empty:
                if not any(p.is_alive() for p in self.processes):
                    self.check()  # some ended without their records
                continue
            self.rec.samples += samples
            self.rec.acknowledged += acknowledged
            self.rec.refusals += refusals
            self.rec.errors += errors
            pending -= 1
        for process in self.processes:
            process.join(timeout=30)


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50_ms": round(values[0] * 1000, 1)} if values else {}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def summarize(rec: Recorder, window: tuple[float, float]) -> dict:
    """Per kind: requests, percentiles, statuses, and errors inside / outside the switch
    window (an error: no answer, or a status of 500 and over; a request is inside when its
    time in flight overlaps the window)."""
    out: dict[str, dict] = {}
    for kind in sorted({s[2] for s in rec.samples}):
        rows = [s for s in rec.samples if s[2] == kind]
        inside = [s for s in rows if overlaps(s, window)]
        outside = [s for s in rows if not overlaps(s, window)]
        statuses: dict[str, int] = {}
        for row in rows:
            statuses[str(row[3])] = statuses.get(str(row[3]), 0) + 1
        out[kind] = {
            "requests": len(rows),
            "statuses": statuses,
            "errors_outside_switch": sum(map(_failed, outside)),
            "errors_in_switch": sum(map(_failed, inside)),
            **percentiles([s[1] for s in rows]),
        }
    return out


def by_phase(rec: Recorder, kind: str, phases: dict[str, tuple[float, float]]) -> dict:
    """Percentiles of one kind of request per phase of the run (by start time)."""
    return {
        name: percentiles([s[1] for s in rec.samples if s[2] == kind and start <= s[0] < end])
        for name, (start, end) in phases.items()
    }


def overlaps(sample: tuple[float, float, str, int], window: tuple[float, float]) -> bool:
    return sample[0] <= window[1] and sample[0] + sample[1] >= window[0]


def failures_outside(rec: Recorder, window: tuple[float, float]) -> list[dict]:
    """Every failed request outside the switch window, to see what it was."""
    return [
        {"start_s": round(s[0], 2), "ms": round(s[1] * 1000), "kind": s[2], "status": s[3]}
        for s in rec.samples
        if _failed(s) and not overlaps(s, window)
    ]


def refusal_kinds(refusals: list[str]) -> dict[str, int]:
    """The 503s by kind: the API's error code, or "page" for the HTML answer."""
    kinds: dict[str, int] = {}
    for body in refusals:
        kind = "page"
        if body.startswith("{"):
            kind = body.split('"code": "', 1)[-1].split('"', 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _failed(sample: tuple[float, float, str, int]) -> bool:
    return sample[3] == 0 or sample[3] >= 500
