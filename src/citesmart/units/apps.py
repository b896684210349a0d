from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    name = "citesmart.units"
    verbose_name = _("Unidades productivas")
