"""A throw-away citesmart installation driven through its CLI, in its own database and var/.

Backup/restore and fault tests need whole processes (and databases that start empty), not
the test database of pytest-django.
"""

import csv
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from citesmart.records.template import HEADERS

PG_SERVER = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = PG_SERVER.startswith("postgres")
RUCS = ["20131312955", "20100047218", "20100070970", "20100130204", "20100017491"]


class World:
    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.database_url = database_url
        root.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DEBUG="1",
            DATABASE_URL=self.database_url,
            CITESMART_VAR_DIR=str(self.root / "var"),
            MEDIA_ROOT=str(self.root / "var" / "media"),
            LOG_LEVEL="WARNING",
        )
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "citesmart", *args]

    def run(
        self, *args: str, check: bool = True, timeout: float = 600, preexec_fn=None
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            self.command(*args),
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=preexec_fn,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"citesmart {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def python(self, code: str) -> str:
        return self.run("shell", "-c", code).stdout

    def figures(self) -> dict:
        code = (
            "import json; from citesmart.analytics.queries import figures, totals, Filters\n"
            "f = figures(Filters(), by=['center'], measures=['services','units','amount'])\n"
            "print(json.dumps({'totals': totals(), 'by_center': "
            "sorted([list(map(str, r)) for r in f.rows])}, default=str))"
        )
        return json.loads(self.python(code).strip().splitlines()[-1])


def sqlite_world(root: Path) -> World:
    return World(root, f"sqlite:///{root / 'citesmart.sqlite3'}")


@contextmanager
def postgres_world(root: Path) -> Iterator[World]:
    """A new, empty PostgreSQL database next to the test database, dropped afterwards."""
    name = f"{_base_name()}_w{uuid.uuid4().hex[:8]}"
    admin = PG_SERVER.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield World(root, PG_SERVER.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _base_name() -> str:
    return PG_SERVER.rsplit("/", 1)[1].split("?")[0]


def write_import(path: Path, reports: int, *, prefix: str = "IMP") -> Path:
    """A valid import file of `reports` reports, one unit each (demo RUCs, real check digits)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS)
        writer.writeheader()
        for n in range(reports):
            row = dict.fromkeys(HEADERS, "")
            row.update(
                codigo_informe=f"{prefix}-{n:06d}",
                fecha_inicio="03/03/2025",
                fecha_fin="07/03/2025",
                categoria_servicio="Asistencia técnica",
                ubigeo="180101",
                tipo_documento="RUC",
                numero_documento=RUCS[n % len(RUCS)],
                razon_social=f"Empresa {n % len(RUCS)} S.A.C.",
                monto_soles="150.00",
            )
            writer.writerow(row)
    return path


def request_form(center_code: str, *, district: str = "180101", need: str = "Ensayos.") -> dict:
    """The portal's service request form, filled in by a company."""
    return {
        "document_type": "ruc",
        "document_number": "20131312955",
        "name": "Muebles Ayni S.A.C.",
        "email": "gerencia@ayni.pe",
        "phone": "987654321",
        "district": district,
        "chain": "",
        "center": center_code,
        "need": need,
        "consent": "on",
        "website": "",
    }
