from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "citesmart.surveys"
    verbose_name = _("Encuestas")
    default_auto_field = "django.db.models.BigAutoField"
