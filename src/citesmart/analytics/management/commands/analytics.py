"""`citesmart analytics rebuild|refresh|check|watch`: the read model's maintenance verbs."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.analytics import conf, reconcile, refresh


class Command(BaseCommand):
    help = (
        "Modelo analítico (DuckDB): rebuild lo reconstruye desde cero, refresh aplica los "
        "cambios, check lo concilia con los registros, watch lo mantiene al día."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh", "check", "watch"])
        parser.add_argument(
            "--interval", type=float, default=1.0, help="watch: segundos entre revisiones"
        )

    def handle(self, *args: Any, action: str, interval: float, **options: Any) -> None:
        if action == "rebuild":
            self._report(refresh.rebuild())
        elif action == "refresh":
            self._report(refresh.refresh())
        elif action == "check":
            self._check()
        else:
            self._watch(interval)

    def _report(self, outcome: refresh.Outcome) -> None:
        if outcome.kind == "unchanged":
            self.stdout.write(f"Sin cambios: {outcome.rows} servicios ({outcome.seconds:.2f} s).")
            return
        self.stdout.write(
            f"{outcome.generation}: {outcome.rows} servicios, {outcome.reports} informes "
            f"{'cargados' if outcome.kind == 'rebuild' else 'recargados'} "
            f"({outcome.seconds:.2f} s) en {conf.directory()}."
        )

    def _check(self) -> None:
        found = reconcile.differences()
        for difference in found:
            self.stdout.write(str(difference))
        if found:
            raise CommandError(f"{len(found)} diferencias entre los registros y el modelo.")
        self.stdout.write("El modelo analítico coincide con los registros.")

    def _watch(self, interval: float) -> None:
        # One per app server (systemd unit) keeps web requests from ever paying for a refresh;
        # set ANALYTICS_AUTO_REFRESH = False on the web workers when running it.
        while True:
            outcome = refresh.refresh()
            if outcome.kind != "unchanged":
                self._report(outcome)
            time.sleep(interval)
