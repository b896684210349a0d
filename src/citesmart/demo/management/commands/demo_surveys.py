from django.core.management.base import BaseCommand

from citesmart.demo import surveys as demo


class Command(BaseCommand):
    help = "Genera encuestas de demostración (2024–2025) sobre los informes de demostración."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=18)

    def handle(self, *args, seed, **options):
        summary = demo.run(seed=seed)
        self.stdout.write(
            f"Encuestas de demostración: {summary.invitations} invitaciones, "
            f"{summary.responses} respuestas, {summary.waves} olas."
        )
