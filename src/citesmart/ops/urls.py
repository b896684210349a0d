from django.urls import path

from citesmart.ops import views

app_name = "ops"
urlpatterns = [
    path("salud/", views.health, name="health"),
    path("metricas/", views.metrics_view, name="metrics"),
]
