from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "citesmart.ops"
    verbose_name = "Operación"
