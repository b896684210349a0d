from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoricConfig(AppConfig):
    name = "citesmart.historic"
    verbose_name = _("Cuadros históricos del ITP")
