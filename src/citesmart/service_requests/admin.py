from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.access import accessible_centers, scope
from citesmart.accounts.admin_mixins import CenterScopedAdmin
from citesmart.records.models import ServiceReport
from citesmart.service_requests.actions import change_status, check_status_change
from citesmart.service_requests.models import RequestEvent, ServiceRequest


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ["created_at", "status", "message", "actor"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ServiceRequestForm(forms.ModelForm):
    class Meta:
        model = ServiceRequest
        fields = ["status", "assigned_to", "answer", "report", "decline_reason"]

    def clean(self):
        data = super().clean()
        current = ServiceRequest.objects.get(pk=self.instance.pk)
        check_status_change(
            request=current,
            status=data.get("status", current.status),
            report=data.get("report"),
            reason=data.get("decline_reason", ""),
        )
        return data


@admin.register(ServiceRequest)
class ServiceRequestAdmin(CenterScopedAdmin):
    form = ServiceRequestForm
    list_display = [
        "tracking_code",
        "created_at",
        "center",
        "catalogue_service",
        "status",
        "assigned_to",
    ]
    list_filter = ["status", "center"]
    list_select_related = ["center", "catalogue_service", "assigned_to"]
    search_fields = ["tracking_code", "name", "document_number"]
    date_hierarchy = "created_at"
    inlines = [RequestEventInline]
    readonly_fields = [
        "tracking_code",
        "created_at",
        "center",
        "catalogue_service",
        "document_type",
        "document_number",
        "name",
        "email",
        "phone",
        "district",
        "chain",
        "need",
        "consent_at",
    ]
    fieldsets = [
        (
            _("Solicitud"),
            {"fields": ["tracking_code", "created_at", "center", "catalogue_service", "need"]},
        ),
        (
            _("Solicitante"),
            {
                "fields": [
                    "document_type",
                    "document_number",
                    "name",
                    "email",
                    "phone",
                    "district",
                    "chain",
                    "consent_at",
                ]
            },
        ),
        (
            _("Atención"),
            {"fields": ["status", "assigned_to", "answer", "report", "decline_reason"]},
        ),
    ]

    def has_add_permission(self, request):
        return False  # requests come from the public portal

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "report":
            kwargs["queryset"] = scope(ServiceReport.objects.all(), request.user).select_related(
                "center"
            )
        if db_field.name == "assigned_to":
            kwargs["queryset"] = User.objects.filter(
                is_active=True, staff_profile__center__in=accessible_centers(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        """Status changes go through the action (validated in the form): it logs and e-mails."""
        new_status = obj.status
        obj.status = ServiceRequest.objects.get(pk=obj.pk).status
        obj.save(update_fields=["assigned_to", "answer", "updated_at"])
        change_status(
            request=obj,
            status=new_status,
            actor=request.user,
            message=obj.answer,
            report=obj.report,
            reason=obj.decline_reason,
            base_url=request.build_absolute_uri("/")[:-1],
        )
