from django.contrib import admin
from django.urls import path

from citesmart.reports import views

app_name = "reports"
urlpatterns = [path("", admin.site.admin_view(views.report_view), name="form")]
