from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationsConfig(AppConfig):
    name = "citesmart.publications"
    verbose_name = _("Publicaciones de cifras oficiales")
