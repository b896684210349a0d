from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "citesmart.network"
    verbose_name = _("Red CITE")

    def ready(self) -> None:
        from citesmart.network import registry

        registry.connect_signals()  # every registry write names a new version
