from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "citesmart.portal"
    verbose_name = _("Portal público CITESmart")

    def ready(self) -> None:
        from citesmart.analytics import sharedcache
        from citesmart.portal import warm

        sharedcache.register_warmer(warm.dashboard)
        sharedcache.register_warmer(warm.survey_results)  # after the dashboard: most visited
        # Then each center's page: at deployment (`analytics rebuild|refresh|warm`) only.
        sharedcache.register_warmer(warm.center_pages, after_push=False)
