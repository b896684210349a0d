from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from citesmart.accounts import admin_network  # noqa: F401 - registers the registry's pages
from citesmart.accounts.access import (
    check_enrolment_issuer,
    check_role_grant,
    grantable_roles,
    is_national,
    may_edit_privileges,
    scope,
)
from citesmart.accounts.actions import (
    ENROLMENT_CODE_HOURS,
    issue_enrolment_code,
    set_staff_role,
    sync_groups,
)
from citesmart.accounts.admin_mixins import CenterScopedAdmin, ScopedInline
from citesmart.accounts.models import StaffProfile


class StaffProfileForm(forms.ModelForm):
    """A role and center, checked against what the person editing may grant."""

    actor = None  # bound per request by StaffProfileInline.get_formset

    class Meta:
        model = StaffProfile
        fields = ["role", "center"]

    def clean(self):
        data = super().clean()
        if self.has_changed() and "role" in data:
            user = self.instance.user if self.instance.user_id else None
            try:
                check_role_grant(
                    self.actor, user=user, role=data["role"], center=data.get("center")
                )
            except PermissionDenied as denied:
                raise ValidationError(str(denied)) from denied
        return data


class StaffProfileInline(ScopedInline, admin.StackedInline):
    """The only screen where a role is set: the staff profile is never edited on its own."""

    model = StaffProfile
    form = StaffProfileForm
    can_delete = False
    min_num = 1
    verbose_name_plural = _("rol en la red")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type(self.form.__name__, (formset.form,), {"actor": request.user})
        return formset

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(r.value, r.label) for r in grantable_roles(request.user)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin, CenterScopedAdmin):
    center_field = "staff_profile__center"
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "role", "center", "is_active"]
    list_filter = ["staff_profile__role", "is_active", "staff_profile__center"]
    list_select_related = ["staff_profile__center"]
    search_fields = ["username", "first_name", "last_name", "email"]
    two_factor_fieldset = (_("Segundo factor"), {"fields": ["two_factor"]})
    limited_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Datos personales"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Estado"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]

    @admin.display(description=_("rol"), ordering="staff_profile__role")
    def role(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description=_("centro"), ordering="staff_profile__center__name")
    def center(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.center if profile and profile.center else _("ITP")

    def get_queryset(self, request):
        users = admin.ModelAdmin.get_queryset(self, request)
        if is_national(request.user):
            return users
        return scope(users, request.user, center_field=self.center_field).filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        if may_edit_privileges(request.user):
            return [*super().get_fieldsets(request, obj), self.two_factor_fieldset]
        return self.limited_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if may_edit_privileges(request.user):
            return ["two_factor"]
        return ["last_login", "date_joined"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.enrolment_code_view)
        code_url = path("<path:object_id>/codigo-2fa/", view, name="auth_user_enrolment_code")
        return [code_url, *super().get_urls()]

    def enrolment_code_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Issue a one-time code with which the account enrols its second factor."""
        user = self.get_object(request, object_id)
        code = None
        if request.method == "POST":
            code = issue_enrolment_code(user=user, issued_by=request.user)
        else:
            check_enrolment_issuer(request.user, user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "code": code,
            "hours": ENROLMENT_CODE_HOURS,
            "title": _("Código de inscripción de doble factor"),
        }
        return TemplateResponse(request, "accounts/enrolment_code.html", context)

    @admin.display(description=_("segundo factor"))
    def two_factor(self, obj):
        if obj.pk is None:
            return "—"
        enrolled = TOTPDevice.objects.filter(user=obj, confirmed=True).exists()
        url = reverse("admin:auth_user_enrolment_code", args=[obj.pk])
        state = _("registrado") if enrolled else _("sin registrar")
        return format_html(
            '{} · <a href="{}">{}</a>', state, url, _("emitir código de inscripción")
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sync_groups(form.instance)  # groups follow the role, whatever the form said

    def save_formset(self, request, form, formset, change):
        if formset.model is not StaffProfile:
            return super().save_formset(request, form, formset, change)
        # Through the action, not formset.save(): the grant is checked where it is written.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for profile_form in formset.forms:
            if not (profile_form.has_changed() or profile_form.instance.pk is None):
                continue
            is_new = profile_form.instance.pk is None
            data = profile_form.cleaned_data
            profile = set_staff_role(
                actor=request.user, user=form.instance, role=data["role"], center=data.get("center")
            )
            if is_new:
                formset.new_objects.append(profile)
            else:
                formset.changed_objects.append((profile, profile_form.changed_data))
