from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = _("citesmart — back office de la red CITE")
admin.site.site_title = _("citesmart")
admin.site.index_title = _("Administración")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("cuenta/", include("citesmart.accounts.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
]
