from django.urls import path

from citesmart.publications import views
from citesmart.publications.actions import RESERVED_SLUG

app_name = "publications"
urlpatterns = [
    path("", views.publication_list, name="list"),
    path("revisiones/", views.publication_revisions, name="revisions"),
    path(f"{RESERVED_SLUG}/", views.publication_latest, name="latest"),
    path("<slug:slug>/", views.publication_detail, name="detail"),
]
