from django.urls import path

from citesmart.publications import views

app_name = "publications"
urlpatterns = [
    path("", views.publication_list, name="list"),
    path("revisiones/", views.publication_revisions, name="revisions"),
    path("<slug:slug>/", views.publication_detail, name="detail"),
]
