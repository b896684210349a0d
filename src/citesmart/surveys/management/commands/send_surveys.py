from django.conf import settings
from django.core.management.base import BaseCommand

from citesmart.surveys.actions import send_surveys


class Command(BaseCommand):
    help = (
        "Envía la encuesta de satisfacción a las unidades de los informes validados "
        "aún no invitadas."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=getattr(settings, "SURVEY_BASE_URL", ""))

    def handle(self, *args, base_url, **options):
        summary = send_surveys(base_url=base_url or "http://127.0.0.1:8000")
        self.stdout.write(
            f"Invitaciones enviadas: {summary.invited}; sin correo: {summary.without_email}."
        )
