from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from citesmart.accounts.actions import ENROLMENT_CODE_HOURS, issue_enrolment_code


class Command(BaseCommand):
    help = (
        "Emite un código de inscripción de doble factor para una cuenta (por ejemplo, el "
        "primer administrador nacional, o quien perdió su teléfono)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="nombre de usuario de la cuenta")
        parser.add_argument(
            "--horas", type=int, default=ENROLMENT_CODE_HOURS, help="validez del código"
        )

    def handle(self, *args, username: str, horas: int, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No existe la cuenta «{username}».")
        if not 1 <= horas <= 168:
            raise CommandError("--horas debe estar entre 1 y 168.")
        code = issue_enrolment_code(user=user, hours=horas)
        self.stdout.write(
            f"Código de inscripción para {username} (vale {horas} h, una vez): {code}"
        )
