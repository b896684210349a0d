from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.access import is_national, scope
from citesmart.accounts.actions import sync_groups
from citesmart.accounts.admin_mixins import CenterScopedAdmin, ScopedInline
from citesmart.accounts.models import StaffProfile
from citesmart.accounts.roles import CENTER_ROLES, Role


class StaffProfileInline(ScopedInline, admin.StackedInline):
    model = StaffProfile
    can_delete = False
    min_num = 1
    verbose_name_plural = _("rol en la red")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not is_national(request.user):
            # Center managers can only create or edit staff of their own kind.
            kwargs["choices"] = [(r.value, r.label) for r in Role if r in CENTER_ROLES]
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
        if obj is None or is_national(request.user):
            return super().get_fieldsets(request, obj)
        return self.limited_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return (
            ["last_login", "date_joined"]
            if obj is not None and not is_national(request.user)
            else []
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sync_groups(form.instance)


@admin.register(StaffProfile)
class StaffProfileAdmin(CenterScopedAdmin):
    list_display = ["user", "role", "center"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]

    def has_module_permission(self, request):
        return False  # edited inside the user page
