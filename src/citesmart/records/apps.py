from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "citesmart.records"
    verbose_name = _("Registro de servicios")
