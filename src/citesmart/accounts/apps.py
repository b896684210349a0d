from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "citesmart.accounts"
    verbose_name = _("Cuentas y roles")

    def ready(self) -> None:
        from citesmart.accounts.roles import sync_role_groups

        # Like Django's own create_permissions: after every migrate, the role groups get
        # exactly the permissions roles.py gives them, so code and database never drift.
        post_migrate.connect(sync_role_groups, dispatch_uid="citesmart-sync-role-groups")
