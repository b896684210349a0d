from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "citesmart.surveys"
    verbose_name = _("Encuestas")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Invitations and answers reach the read model, which estimates (analytics.surveyunits).
        from citesmart.analytics import surveyunits
        from citesmart.surveys import feed

        surveyunits.register(feed.PROVIDER)
