"""Back office: a center manager creates and revokes their center's API tokens."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from citesmart.accounts.admin_mixins import CenterScopedAdmin
from citesmart.api import tokens
from citesmart.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(CenterScopedAdmin):
    list_display = ["name", "center", "prefix", "created_by", "created_at", "last_used_at", "state"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "center__name"]
    fields = ["center", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "center"] if obj is not None else fields

    @admin.display(description=_("estado"))
    def state(self, obj: ApiToken) -> str:
        return str(_("activo") if obj.is_active else _("revocado"))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the audit keeps who wrote what

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, raw = tokens.create_token(center=obj.center, name=obj.name, actor=request.user)
        obj.pk, obj.prefix, obj.created_by = token.pk, token.prefix, token.created_by
        obj.created_at, obj._state.adding = token.created_at, False
        messages.warning(
            request,
            _(
                "Token creado. Cópielo ahora, no se volverá a mostrar: %(token)s — úselo en la "
                "cabecera «Authorization: Bearer <token>»."
            )
            % {"token": raw},
        )

    @admin.action(description=_("Revocar los tokens seleccionados"), permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.revoke_token(token)
            count += 1
        self.message_user(
            request, ngettext("%d token revocado.", "%d tokens revocados.", count) % count
        )
