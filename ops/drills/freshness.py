"""Commit → every app server's public figure, during the cluster drill's load (issue 20).

One probe writes a report through nginx every `interval` seconds (as an operator's import,
with the API token), and from the moment it is acknowledged asks each live app server
directly, not through nginx, for the public statistics of its year until the server answers
from a read model refreshed after that moment: `fresh_as_of` (the time its refresh started
reading the records, analytics.build) at or after the acknowledgement. A refresh that began
after the commit has read it. The figure per write is the slowest live server's delay, which
is what "every app server shows it" waits for; a server still not fresh after `PATIENCE`
seconds counts as missed. Writes whose wait overlaps the switch window or the killing of an
app server are counted apart (`summarize`); every write's delays are kept in the results.
"""

import threading
import time
from datetime import datetime

import httpx
import traffic

PATIENCE = 30.0
POLL_SECONDS = 0.1
YEAR = "2026"  # the year the drill's reports are dated in (traffic.report)


class Probe:
    def __init__(self, base: str, token: str, rec, servers: dict[str, str], interval: float):
        self.base, self.rec, self.interval = base, rec, interval
        self.headers = {"Authorization": f"Bearer {token}"}
        self.servers = dict(servers)  # name -> "http://ip:8000"
        self.dead: set[str] = set()  # servers killed by the drill: not asked any more
        self.samples: list[dict] = []  # per acknowledged write: when, and each server's delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="freshness-probe", daemon=True)

    def start(self) -> "Probe":
        self._thread.start()
        return self

    def finish(self) -> list[dict]:
        self._stop.set()
        self._thread.join(PATIENCE + 10)
        return self.samples

    def _run(self) -> None:
        n = 0
        # On a fixed schedule, half an interval in and then every interval, whatever each
        # write waited: `duration / interval` writes within the run.
        due = time.monotonic() + self.interval / 2
        with httpx.Client(base_url=self.base, timeout=60, headers=self.headers) as client:
            while not self._stop.wait(max(0.0, due - time.monotonic())):
                due += self.interval
                code = f"DRILL-PROBE-{n:05d}"
                sent = self.rec.now()
                response = self.rec.send(client, "import", "POST", "/api/v1/informes/",
                                         json=traffic.report(code, n))  # fmt: skip
                if response is None or response.status_code not in (200, 201):
                    continue  # refused (the switch): the same report at the next turn
                acknowledged = time.time()
                with self.rec.lock:
                    self.rec.acknowledged.append(code)
                n += 1
                self.samples.append({"sent_s": round(sent, 2), **self._wait_all(acknowledged)})

    def _wait_all(self, acknowledged: float) -> dict:
        delays: dict[str, float | None] = {}
        pending = {name: url for name, url in self.servers.items() if name not in self.dead}
        with httpx.Client(timeout=10, headers={"Host": "127.0.0.1"}) as client:
            while pending and time.time() - acknowledged < PATIENCE:
                for name, url in list(pending.items()):
                    if name in self.dead or _fresh_after(client, url, acknowledged):
                        delays[name] = round(time.time() - acknowledged, 3)
                        del pending[name]
                if pending:
                    time.sleep(POLL_SECONDS)
        delays.update({name: None for name in pending})  # missed
        return {"delays_s": delays, "dead": sorted(self.dead & delays.keys())}


def _fresh_after(client: httpx.Client, url: str, moment: float) -> bool:
    try:
        response = client.get(f"{url}/api/v1/estadisticas/", params={"anio": YEAR})
    except httpx.HTTPError:
        return False
    if response.status_code != 200:
        return False
    as_of = response.json().get("fresh_as_of")
    return bool(as_of) and datetime.fromisoformat(as_of).timestamp() >= moment


def summarize(samples: list[dict], window: tuple[float, float], events: dict) -> dict:
    """p50/p95/max of the slowest live server's delay, writes in the switch or kill apart."""
    steady, apart, missed = [], 0, 0
    killed = events["app_server_killed_s"]
    faults = [window, (killed, killed)]
    for sample in samples:
        delays = [d for name, d in sample["delays_s"].items() if name not in sample["dead"]]
        waited = PATIENCE if None in delays or not delays else max(delays)
        span = (sample["sent_s"], sample["sent_s"] + waited + 1)  # + the write itself
        near_fault = any(span[0] <= end and start <= span[1] for start, end in faults)
        if near_fault:
            apart += 1
        elif None in delays:
            missed += 1
        elif delays:
            steady.append(max(delays))
    return {"writes": len(samples), "measured": len(steady), "near_a_fault": apart,
            "missed": missed, **traffic.percentiles(steady)}  # fmt: skip
