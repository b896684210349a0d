from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "citesmart.opendata"
    verbose_name = "Datos abiertos"
