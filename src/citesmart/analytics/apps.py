from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "citesmart.analytics"
    verbose_name = _("Analítica")

    def ready(self) -> None:
        from citesmart.analytics import push

        push.connect_installer(apps.get_app_config("records"))
