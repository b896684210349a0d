"""Commit → every app server's public figure, during the cluster drill's load (issue 20).

Every `interval` seconds the probe registers a report through nginx as an operator's import
does (the API token), then validates it as another manager of the center does, through the
back office (`/admin/`, logged in over nginx): that validation is the commit that moves a
public figure. From the moment the validation is acknowledged it asks each live app server
directly, not through nginx, for the official figure the report counts in (the services of
its center in its year, `/api/v1/estadisticas/`: an official cell, exact, not perturbed)
until the figure has moved past what it was before the validation. The figure per write is
the slowest live server's delay, which is what "every app server shows it" waits for; a
server that still shows the old figure after `PATIENCE` seconds counts as missed. Writes
whose wait overlaps the switch window or the killing of an app server are counted apart
(`summarize`); every write's delays are kept in the results.
"""

import re
import threading
import time

import httpx
import traffic

PATIENCE = 30.0
POLL_SECONDS = 0.1
CENTER = "citemadera-y-del-mueble-lima"  # the token's center (cluster.CENTER)
VALIDATOR = ("validadora", "drill-" + "v" * 20)  # a second manager (cluster.TOKEN_CODE)
REPORTS = "/admin/records/servicereport/"


def report(code: str, n: int, year: str) -> dict:
    """The drill's report (traffic.report), dated in a year of the seeded data: a validation
    changes a year full of figures, as most do."""
    dates = {"fecha_inicio": f"{year}-11-02", "fecha_fin": f"{year}-11-04"}
    return {**traffic.report(code, n), **dates}


class BackOffice:
    """A logged-in session of the back office over plain HTTP. The app servers run with
    DEBUG off, so their cookies are `Secure` and an HTTP client would not send them back:
    the session's cookies are kept here and sent by hand."""

    def __init__(self, client: httpx.Client, rec) -> None:
        self.client, self.rec, self.cookies = client, rec, {}

    def _send(self, method: str, url: str, **kw) -> httpx.Response | None:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "X-CSRFToken": self.cookies.get("csrftoken", "")}  # fmt: skip
        response = self.rec.send(self.client, "validate", method, url, headers=headers, **kw)
        if response is not None:
            for name, value in response.cookies.items():
                self.cookies[name] = value
        return response

    def log_in(self) -> bool:
        self.cookies.clear()
        self._send("GET", "/admin/login/")
        user, password = VALIDATOR
        data = {"username": user, "password": password, "next": "/admin/"}
        response = self._send("POST", "/admin/login/", data=data)
        return response is not None and response.status_code == 302

    def validate(self, code: str) -> tuple[float, bool] | None:
        """Validates report `code`: None when the request was not answered (try again), else
        the moment it was acknowledged and whether the page then said it was validated (a
        report refused, or validated by an attempt whose answer was lost, says otherwise)."""
        if "sessionid" not in self.cookies and not self.log_in():
            return None
        found = self._send("GET", REPORTS, params={"q": code})
        match = re.search(rf'href="{REPORTS}(\d+)/change/', found.text) if found else None
        if match is None:
            self.cookies.pop("sessionid", None)  # logged out, or refused: log in again
            return None
        change = f"{REPORTS}{match.group(1)}/change/"
        response = self._send("POST", f"{REPORTS}{match.group(1)}/validar/")
        if response is None or response.headers.get("location") != change:
            return None
        acknowledged = time.time()
        shown = self._send("GET", change)  # the message the manager reads
        return acknowledged, shown is not None and "Informes validados: 1" in shown.text


class Probe:
    def __init__(self, base: str, token: str, rec, servers: dict[str, str], interval: float,
                 year: str):  # fmt: skip
        self.base, self.rec, self.interval, self.year = base, rec, interval, year
        self.figure = {"anio": year, "centro": CENTER, "con_unidades_tecnicas": "false"}
        self.headers = {"Authorization": f"Bearer {token}"}
        self.servers = dict(servers)  # name -> "http://ip:8000"
        self.dead: set[str] = set()  # servers killed by the drill: not asked any more
        self.samples: list[dict] = []  # per acknowledged validation: when, each server's delay
        self.validated: list[str] = []  # codes whose validation was acknowledged
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
        n, code = 0, None
        # On a fixed schedule, half an interval in and then every interval, whatever each
        # write waited: `duration / interval` writes within the run.
        due = time.monotonic() + self.interval / 2
        with httpx.Client(base_url=self.base, timeout=60) as client:
            office = BackOffice(client, self.rec)
            while not self._stop.wait(max(0.0, due - time.monotonic())):
                due += self.interval
                if code is None:
                    code = self._register(client, n)
                    n += code is not None
                if code is None:
                    continue  # refused (the switch): a new report at the next turn
                before = self._figure_now()
                if before is None:
                    continue  # no live server answered: the switch
                sent = self.rec.now()
                answer = office.validate(code)
                if answer is None:
                    continue  # not answered: validated at the next turn
                (acknowledged, confirmed), validated, code = answer, code, None
                if confirmed:
                    self.validated.append(validated)
                    wait = self._wait_all(acknowledged, before)
                    self.samples.append({"sent_s": round(sent, 2), **wait})

    def _register(self, client: httpx.Client, n: int) -> str | None:
        code = f"DRILL-PROBE-{n:05d}"
        response = self.rec.send(client, "import", "POST", "/api/v1/informes/",
                                 json=report(code, n, self.year), headers=self.headers)  # fmt: skip
        if response is None or response.status_code not in (200, 201):
            return None
        with self.rec.lock:
            self.rec.acknowledged.append(code)
        return code

    def _live(self) -> dict[str, str]:
        return {name: url for name, url in self.servers.items() if name not in self.dead}

    def _figure_now(self) -> int | None:
        """The highest figure a live server shows (each showed the last validation)."""
        with httpx.Client(timeout=10, headers={"Host": "127.0.0.1"}) as client:
            figures = [_figure(client, url, self.figure) for url in self._live().values()]
        known = [f for f in figures if f is not None]
        return max(known) if known else None

    def _wait_all(self, acknowledged: float, before: int) -> dict:
        delays: dict[str, float | None] = {}
        pending = self._live()
        with httpx.Client(timeout=10, headers={"Host": "127.0.0.1"}) as client:
            while pending and time.time() - acknowledged < PATIENCE:
                for name, url in list(pending.items()):
                    figure = None if name in self.dead else _figure(client, url, self.figure)
                    if name in self.dead or (figure is not None and figure > before):
                        delays[name] = round(time.time() - acknowledged, 3)
                        del pending[name]
                if pending:
                    time.sleep(POLL_SECONDS)
        delays.update({name: None for name in pending})  # missed
        return {"delays_s": delays, "dead": sorted(self.dead & delays.keys()), "before": before}


def _figure(client: httpx.Client, url: str, figure: dict) -> int | None:
    """The services of the probe's center in its year, as `url` publishes them."""
    try:
        response = client.get(f"{url}/api/v1/estadisticas/", params=figure)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    totals = response.json().get("totals", {})
    services = totals.get("services")
    return services if isinstance(services, int) and not totals.get("perturbed") else None


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
    # "what": older results timed a registered report until each server's read model held it.
    return {"what": "validation", "writes": len(samples), "measured": len(steady),
            "near_a_fault": apart, "missed": missed, **traffic.percentiles(steady)}  # fmt: skip
