"""Waves are defined by ITP's national administrators; every other survey page is custom
(surveys/views.py): answers and contacts never show up in a center's back office."""

from django.contrib import admin

from citesmart.accounts.access import may_read_surveys, may_run_surveys
from citesmart.surveys.models import Wave


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ("name", "months_after", "served_from", "served_to", "margin", "drawn_at")
    fields = ("name", "months_after", "served_from", "served_to", "margin", "exclude_months")

    def has_module_permission(self, request):
        return may_read_surveys(request.user)

    def has_view_permission(self, request, obj=None):
        return may_read_surveys(request.user)

    def has_add_permission(self, request):
        return may_run_surveys(request.user)

    def has_change_permission(self, request, obj=None):
        # A drawn wave is history: its period and margin explain its sample.
        return may_run_surveys(request.user) and (obj is None or obj.drawn_at is None)

    def has_delete_permission(self, request, obj=None):
        return False
