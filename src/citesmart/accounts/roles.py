"""Staff roles, defined here in code and mirrored into auth groups after every migrate.

A role is a group of model permissions (what a user may do) plus, for center staff, the
center the user belongs to (where). The "where" is enforced by accounts.access.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

# Apps whose models national administrators manage entirely.
OWN_APPS = [
    "geo",
    "network",
    "accounts",
    "units",
    "records",
    "analytics",
    "portal",
    "api",
    "opendata",
    "reports",
    "targets",
    "publications",
    "historic",
]


class Role(models.TextChoices):
    NATIONAL_ADMIN = "admin_nacional", _("Administrador nacional (ITP)")
    ANALYST = "analista", _("Analista (solo lectura, toda la red)")
    CENTER_MANAGER = "gestor_centro", _("Gestor de centro")
    CENTER_OPERATOR = "operador_centro", _("Operador de centro")


CENTER_ROLES = {Role.CENTER_MANAGER, Role.CENTER_OPERATOR}

# Permissions as "app_label.codename"; "app_label.view_*" means every view permission of the app.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.NATIONAL_ADMIN: [f"{app}.*" for app in OWN_APPS]
    + [
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
    ],
    Role.ANALYST: [f"{app}.view_*" for app in OWN_APPS],
    Role.CENTER_MANAGER: [
        "geo.view_*",
        "network.view_*",
        "network.change_center",
        "network.add_catalogueservice",
        "network.change_catalogueservice",
        "network.delete_catalogueservice",
        "network.add_centername",
        "network.change_centername",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "accounts.view_staffprofile",
        "accounts.add_staffprofile",
        "accounts.change_staffprofile",
        "units.view_*",
        "units.add_productiveunit",
        "units.change_productiveunit",
        "records.view_*",
        "records.add_servicereport",
        "records.change_servicereport",
        "records.add_service",
        "records.change_service",
        "records.delete_service",
        "records.add_importbatch",
        "records.change_importbatch",
        "service_requests.view_*",
        "service_requests.change_servicerequest",
        "targets.view_*",
        "api.view_apitoken",
        "api.add_apitoken",
        "api.change_apitoken",
    ],
    Role.CENTER_OPERATOR: [
        "geo.view_*",
        "network.view_*",
        "units.view_*",
        "units.add_productiveunit",
        "units.change_productiveunit",
        "records.view_*",
        "records.add_servicereport",
        "records.change_servicereport",
        "records.add_service",
        "records.change_service",
        "records.delete_service",
        "records.add_importbatch",
        "service_requests.view_*",
        "service_requests.change_servicerequest",
    ],
}


def permissions_for(role: str) -> models.QuerySet[Permission]:
    """Expand a role's patterns into Permission rows (unknown apps simply match nothing)."""
    query = models.Q(pk__in=[])
    for pattern in ROLE_PERMISSIONS[role]:
        app_label, codename = pattern.split(".", 1)
        if codename == "*":
            query |= models.Q(content_type__app_label=app_label)
        elif codename.endswith("*"):
            query |= models.Q(content_type__app_label=app_label, codename__startswith=codename[:-1])
        else:
            query |= models.Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


def group_for(role: str) -> Group:
    group, _ = Group.objects.get_or_create(name=str(Role(role).label))
    return group


def sync_role_groups(app_config=None, **kwargs) -> None:
    """Give each role's group exactly its permissions (post_migrate handler; idempotent).

    post_migrate fires once per app and each app's permissions are created by its own
    firing, so the groups are synced only at the last app's, when every permission exists.
    """
    last = [c for c in global_apps.get_app_configs() if c.models_module is not None][-1]
    if app_config is not None and app_config.label != last.label:
        return
    for role in Role:
        group_for(role).permissions.set(permissions_for(role))
