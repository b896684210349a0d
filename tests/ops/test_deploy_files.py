"""The deployment examples of docs/DEPLOYMENT.md are checked by the tools that read them."""

import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from tests.ops.world import World, sqlite_world

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"
VENV = Path(__file__).resolve().parents[2] / ".venv"
# `make test` installs nginx (Debian's package, like Chromium); /usr/sbin is not on every PATH.
NGINX = shutil.which("nginx") or next(
    (str(p) for p in (Path("/usr/sbin/nginx"),) if p.exists()), None
)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path):
    units = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
    assert len(units) >= 8
    for unit in units:
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/opt/citesmart/.venv", str(VENV))
        text = text.replace("/etc/citesmart/citesmart.env", str(DEPLOY / "citesmart.env"))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[u.name for u in units]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "citesmart" in line and "User" not in line
    ]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def _nginx_conf(tmp_path: Path, replace: dict[str, str] | None = None) -> Path:
    """The documented site, with a throw-away certificate and log files, inside a minimal
    nginx.conf of its own (no root-owned paths: runs as any user)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=cite.produce.gob.pe",
            "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx-citesmart.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/citesmart", str(tmp_path))
    site = site.replace("/var/log/nginx", str(tmp_path))
    for old, new in (replace or {}).items():
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = "".join(
        f"  {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{\n  access_log {tmp_path}/access.log;\n{temp}"
        f"  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return tmp_path / "nginx.conf"


@pytest.mark.skipif(not NGINX, reason="nginx not installed (make test installs it)")
def test_nginx_config_is_valid(tmp_path):
    conf = _nginx_conf(tmp_path)
    done = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


@pytest.mark.skipif(not NGINX, reason="nginx not installed (make test installs it)")
def test_behind_nginx_a_locked_out_client_leaves_another_clients_login_working(tmp_path):
    """Two clients on loopback (127.0.0.2, 127.0.0.3) log in through the documented nginx
    site to `citesmart serve` with TRUSTED_PROXIES=127.0.0.1: the lock-out of one (five
    wrong passwords) is its own, and the other's correct password still gets in."""
    world = sqlite_world(tmp_path / "w")
    world.run("migrate", "--noinput", "-v0")
    world.python(
        "from citesmart.accounts.actions import create_staff_user\n"
        "from citesmart.accounts.roles import Role\n"
        "create_staff_user(username='analista', password='una-clave-de-prueba-larga', "
        "role=Role.ANALYST)"
    )
    app_port, tls_port, plain_port = _free_port(), _free_port(), _free_port()
    conf = _nginx_conf(
        tmp_path,
        {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
            "listen 80;": f"listen 127.0.0.1:{plain_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{tls_port} ssl http2;",
        },
    )
    with _served(world, app_port), _nginx(conf, tmp_path):
        attacker, colleague = _Browser("127.0.0.2", tls_port), _Browser("127.0.0.3", tls_port)
        wrong = [attacker.login("analista", "equivocada") for _ in range(5)]
        assert wrong == [200, 200, 200, 200, 429]  # the form again, then the lock-out page
        assert attacker.login("analista", "una-clave-de-prueba-larga") == 429
        assert colleague.login("analista", "una-clave-de-prueba-larga") == 302
    access = (tmp_path / "citesmart.access.log").read_text(encoding="utf-8")
    assert "127.0.0.2" in access and "127.0.0.3" in access


@pytest.mark.skipif(not NGINX, reason="nginx not installed (make test installs it)")
def test_behind_nginx_without_trusted_proxies_health_details_and_metrics_need_the_token(
    tmp_path,
):
    """TRUSTED_PROXIES unset (the default): every request reaches the application from
    nginx's 127.0.0.1, inside the default METRICS_ALLOWED_IPS. A visitor through nginx gets
    only the status of /salud/ and a 403 on /metricas/ (from nginx as shipped, and from the
    application when nginx lets the monitoring network through); the token opens both."""
    world = sqlite_world(tmp_path / "w")
    world.run("migrate", "--noinput", "-v0")
    app_port, tls_port, plain_port = _free_port(), _free_port(), _free_port()
    ports = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{plain_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{tls_port} ssl http2;",
    }
    shipped = _nginx_conf(tmp_path / "shipped", ports)
    # The monitoring network is loopback here: nginx lets it through to the application.
    monitoring = _nginx_conf(
        tmp_path / "monitoring", ports | {"allow 10.0.0.0/8;": "allow 127.0.0.0/8;"}
    )
    token = {"Authorization": "Bearer token-de-monitoreo-de-prueba"}
    settings = {"TRUSTED_PROXIES": "", "METRICS_TOKEN": "token-de-monitoreo-de-prueba"}
    with _served(world, app_port, **settings):
        with _nginx(shipped, tmp_path / "shipped"):
            visitor = _Browser("127.0.0.2", tls_port)
            status, body = visitor.request("GET", "/salud/")
            assert status in (200, 503) and set(json.loads(body)) == {"status"}, body
            assert visitor.request("GET", "/metricas/")[0] == 403
            assert "checks" in json.loads(visitor.request("GET", "/salud/", headers=token)[1])
        with _nginx(monitoring, tmp_path / "monitoring"):
            visitor = _Browser("127.0.0.2", tls_port)
            status, body = visitor.request("GET", "/metricas/")
            assert status == 403 and "Acceso denegado" in body, "the application refuses"
            status, body = visitor.request("GET", "/metricas/", headers=token)
            assert status == 200 and "citesmart_http_requests_total" in body
        # A monitor on the application's own host, not through nginx, needs no token.
        direct = http.client.HTTPConnection("127.0.0.1", app_port, timeout=60)
        direct.request("GET", "/salud/", headers={"Host": "127.0.0.1"})
        assert "checks" in json.loads(direct.getresponse().read())
        direct.close()


class _Browser:
    """Just enough of a browser: its own source address, cookies and the CSRF token."""

    def __init__(self, address: str, port: int) -> None:
        self.address, self.port, self.cookies = address, port, {}

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        context = ssl._create_unverified_context()  # noqa: S323 - the test's own certificate
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, source_address=(self.address, 0), context=context, timeout=60
        )
        sent = {
            "Host": "127.0.0.1",
            "Referer": "https://127.0.0.1/admin/login/",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if body:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body or None, headers=sent | (headers or {}))
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def login(self, username: str, password: str) -> int:
        status, page = self.request("GET", "/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and token, (status, page[:500])
        form = f"csrfmiddlewaretoken={token.group(1)}&username={username}&password={password}"
        return self.request("POST", "/admin/login/", form + "&next=/admin/")[0]


@contextmanager
def _served(world: World, port: int, **settings: str):
    env = world.env() | {
        "DEBUG": "0",
        "SECRET_KEY": "k" * 30 + "-nginx-test-only-" + "x" * 20,
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUSTED_PROXIES": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "off",
    }
    env |= settings
    log = (world.root / "serve.log").open("wb")
    server = subprocess.Popen(
        world.command("serve", "--bind", f"127.0.0.1:{port}"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, server)
        yield server
    finally:
        server.terminate()
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=20)
        if server.poll() is None:
            server.kill()
        log.close()


@contextmanager
def _nginx(conf: Path, prefix: Path):
    command = [NGINX, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"]
    server = subprocess.Popen(command)  # errors go to error_log
    try:
        time.sleep(0.5)
        assert server.poll() is None, (prefix / "error.log").read_text(encoding="utf-8")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "citesmart serve ended before listening"
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.3)
    raise AssertionError("citesmart serve did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
