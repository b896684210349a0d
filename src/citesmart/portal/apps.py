from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "citesmart.portal"
    verbose_name = _("Portal público CITESmart")
