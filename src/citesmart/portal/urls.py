from django.urls import path
from django.views.generic import TemplateView

from citesmart.historic.cost import DEFINITIONS
from citesmart.portal.views import api_guide, dashboard, network, registry, requests

app_name = "portal"
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("centros/", registry.center_list, name="center_list"),
    path("centros/cambios/", network.changes, name="network_changes"),
    path("centros/<slug:code>/", dashboard.center_detail, name="center_detail"),
    path("servicios/", registry.catalogue, name="catalogue"),
    path("servicios/<int:pk>/", registry.catalogue_service, name="catalogue_service"),
    path("solicitudes/", requests.request_lookup, name="request_lookup"),
    path("solicitudes/nueva/", requests.request_new, name="request_new"),
    path("solicitudes/enviada/", requests.request_sent, name="request_sent"),
    path("solicitudes/<str:code>/", requests.request_status, name="request_status"),
    path(
        "metodologia/",
        TemplateView.as_view(
            template_name="portal/methodology.html",
            extra_context={"nav": "methodology", "cost_definitions": DEFINITIONS},
        ),
        name="methodology",
    ),
    path("guia-api/", api_guide.api_guide, name="api_guide"),
    path("privacidad/", TemplateView.as_view(template_name="portal/privacy.html"), name="privacy"),
]
