"""`citesmart serve`: the production web server (gunicorn), ready to sit behind nginx."""

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Servidor de producción (gunicorn): procesos según WEB_CONCURRENCY, archivos estáticos "
        "comprimidos con caché larga (whitenoise), registros JSON, métricas en /metricas/."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", help="dirección:puerto (por defecto BIND o 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, help="procesos (por defecto WEB_CONCURRENCY)")
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="no reunir los archivos estáticos (ya lo hizo el despliegue)",
        )
        parser.add_argument(
            "--check", action="store_true", help="solo mostrar la configuración y salir"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["bind"]:
            os.environ["BIND"] = options["bind"]
        if options["workers"]:
            os.environ["WEB_CONCURRENCY"] = str(options["workers"])
        if not options["no_collectstatic"]:
            # Hashed, pre-compressed (gzip + brotli when available) files: whitenoise serves
            # them with a one-year, immutable cache lifetime.
            call_command("collectstatic", interactive=False, verbosity=0)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_fresh_metrics_dir())
        # Web requests answer from the current read model while a thread checks and
        # refreshes it (analytics.refresh.ensure_fresh): no request waits for a refresh.
        os.environ.setdefault("ANALYTICS_BACKGROUND_REFRESH", "1")
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:citesmart.ops.gunicorn_conf",
            "citesmart.wsgi:application",
        ]
        if options["check"]:
            argv.append("--print-config")
        self.stdout.flush()
        # exec: gunicorn becomes this process, so systemd's signals reach it directly.
        os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, our own interpreter


def _fresh_metrics_dir() -> Path:
    """prometheus_client's per-worker files must start empty at every server start."""
    default = Path(settings.VAR_DIR) / "prometheus"
    directory = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or default)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    return directory
