"""`citesmart publish_opendata`: regenerate the open data release (run daily by a timer)."""

from django.core.management.base import BaseCommand, CommandError

from citesmart.opendata.publish import PublicationError, publish


class Command(BaseCommand):
    help = "Genera una nueva publicación de datos abiertos y la pone en línea (atómicamente)."

    def handle(self, *args, **options) -> None:
        try:
            folder, manifest = publish()
        except PublicationError as error:
            raise CommandError(
                f"No se publicó: {error} La publicación anterior sigue en línea."
            ) from error
        rows = sum(info["rows"] for info in manifest["resources"].values())
        self.stdout.write(
            f"Publicación {manifest['release']} en línea: {len(manifest['resources'])} "
            f"recursos, {rows} filas, en {folder}."
        )
