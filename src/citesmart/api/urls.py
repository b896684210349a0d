from django.urls import path

from citesmart.api.api import api

urlpatterns = [path("api/v1/", api.urls)]
