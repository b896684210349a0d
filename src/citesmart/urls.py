from types import MethodType

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from citesmart import admin_menu

admin.site.site_header = _("citesmart — back office de la red CITE")
admin.site.site_title = _("citesmart")
admin.site.index_title = _("Administración")
admin.site.get_app_list = MethodType(admin_menu.get_app_list, admin.site)  # sections by task
admin_menu.name_libraries_in_spanish()

urlpatterns = [
    path("admin/informes/", include("citesmart.reports.urls")),
    path("", include("citesmart.surveys.urls")),
    path("admin/", admin.site.urls),
    path("cuenta/", include("citesmart.accounts.urls")),
    path("", include("citesmart.api.urls")),
    path("datos/", include("citesmart.opendata.urls")),
    path("publicaciones/", include("citesmart.publications.urls")),
    path("", include("citesmart.ops.urls")),
    path("", include("citesmart.portal.urls")),
]

handler500 = "citesmart.ops.errors.server_error"
