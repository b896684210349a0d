from django.core.management.base import BaseCommand

from citesmart.geo.loading import load_geography
from citesmart.network.reference import load_network


class Command(BaseCommand):
    help = "Carga o actualiza la geografía (ubigeo INEI) y la red CITE real. Se puede repetir."

    def handle(self, *args, **options):
        counts = load_geography()
        report = load_network()
        for warning in report.warnings:
            self.stderr.write(f"aviso: {warning}")
        self.stdout.write(
            "Geografía: {departamentos} departamentos, {provincias} provincias, "
            "{distritos} distritos.".format(**counts)
        )
        self.stdout.write(f"Red CITE: {report.centers} centros, {report.chains} cadenas.")
