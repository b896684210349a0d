from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoricConfig(AppConfig):
    name = "citesmart.historic"
    verbose_name = _("Cuadros históricos del ITP")

    def ready(self) -> None:
        # ITP's monthly services reach the read model's one series (analytics.aggregates).
        from citesmart.analytics import aggregates
        from citesmart.historic import feed

        aggregates.register(feed.PROVIDER)
