"""`citesmart analytics rebuild|refresh|check|watch|warm`: the read model's maintenance verbs."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citesmart.analytics import conf, connection, push, reconcile, refresh, sharedcache


class Command(BaseCommand):
    help = (
        "Modelo analítico (DuckDB): rebuild lo reconstruye desde cero, refresh aplica los "
        "cambios, check lo concilia con los registros, los cuadros históricos y las "
        "encuestas, watch lo mantiene al día, warm precalcula el tablero público y los "
        "resultados de las encuestas en la caché compartida (también tras publicar)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh", "check", "watch", "warm"])
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="watch: segundos entre revisiones sin aviso (los cambios llegan al instante)",
        )
        parser.add_argument(
            "--warm-seconds",
            type=float,
            default=60.0,
            help="tiempo máximo para precalcular el tablero (0: no precalcular tras publicar)",
        )

    def handle(
        self, *args: Any, action: str, interval: float, warm_seconds: float, **options: Any
    ) -> None:
        self.warm_seconds = warm_seconds
        if action == "rebuild":
            self._report(refresh.rebuild())
        elif action == "refresh":
            self._report(refresh.refresh())
        elif action == "check":
            self._check()
        elif action == "warm":
            self._warm(strict=True)
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
        if self.warm_seconds > 0:
            self._warm(strict=False)  # a new generation: its answers are not cached anywhere

    def _warm(self, *, strict: bool) -> None:
        """Run the registered warmers (the portal's dashboard and survey results), each within
        the time given."""
        if not sharedcache.warmers:
            self.stdout.write("Nada que precalcular.")
            return
        for warmer in sharedcache.warmers:
            try:
                self.stdout.write(warmer(time.monotonic() + self.warm_seconds))
            except Exception as error:
                if strict:
                    raise CommandError(f"No se pudo precalcular: {error}") from error
                # The generation is published either way: pages compute what is missing.
                self.stderr.write(f"No se pudo precalcular ({type(error).__name__}: {error}).")

    def _check(self) -> None:
        try:
            _open_current()  # damage is reported, not silently repaired by the next query
            found = [
                *reconcile.differences(),
                *reconcile.aggregate_differences(),
                *reconcile.survey_differences(),
            ]
        except connection.Corrupt as error:
            raise CommandError(self._damaged(error)) from None
        except connection.Unavailable:
            raise CommandError(
                "No hay modelo analítico que revisar: ejecute «citesmart analytics rebuild»."
            ) from None
        for difference in found:
            self.stdout.write(str(difference))
        if found:
            raise CommandError(f"{len(found)} diferencias entre los registros y el modelo.")
        self.stdout.write(
            "El modelo analítico coincide con los registros, con los cuadros históricos del ITP "
            "y con las encuestas."
        )

    def _damaged(self, error: connection.Corrupt) -> str:
        """Set the damaged generation aside and rebuild it (when auto-refresh is on)."""
        try:
            refresh.recover(error, background=False)
        except connection.Unavailable:
            return (
                f"El modelo analítico estaba dañado ({error.path.name}): se apartó; "
                "ejecute «citesmart analytics rebuild» para reconstruirlo."
            )
        return (
            f"El modelo analítico estaba dañado ({error.path.name}): se apartó y se reconstruyó "
            "desde los registros; ejecute de nuevo «citesmart analytics check»."
        )

    def _watch(self, interval: float) -> None:
        # One per app server (systemd unit) keeps web requests from ever paying for a refresh;
        # set ANALYTICS_AUTO_REFRESH = False on the web workers when running it. Committed
        # writes are pushed (analytics/push.py: LISTEN/NOTIFY, or a poll on SQLite); every
        # `interval` seconds it also refreshes unasked, in case a notice was lost. That poke
        # is quiet (folded with the imports'): a plain one every 2 s (the cluster drill's
        # interval) took in each import's changes at once, as if nothing was folded.
        pusher = push.Push(warm=self.warm_seconds > 0).start()
        self.stdout.write(f"Atento a los cambios; además, una revisión cada {interval:g} s.")
        try:
            while True:
                time.sleep(interval)
                pusher.refresher.poke(quiet=True)
        finally:
            pusher.stop()


def _open_current() -> None:
    """Open the current generation, if any, and read it a little (raises Corrupt)."""
    reader = connection.reader(conf.directory(), conf.duckdb_config())
    try:
        with reader.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM facts").fetchone()
    except connection.Corrupt:
        raise
    except connection.Unavailable:
        pass  # none yet: the check builds it, as any query would
