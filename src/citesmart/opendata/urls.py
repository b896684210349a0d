from django.urls import path, re_path

from citesmart.opendata import views

app_name = "opendata"
urlpatterns = [
    path("", views.index, name="index"),
    path("diccionario/", views.dictionary, name="dictionary"),
    path("catalog.jsonld", views.dcat_catalogue, name="dcat"),
    re_path(
        r"^(?P<filename>[A-Za-z0-9_]+\.(csv|xlsx|parquet|json|txt|md))$",
        views.download,
        name="download",
    ),
]
