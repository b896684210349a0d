"""The back office's index and side menu, organised by task and in Spanish.

Django groups the admin by app; ITP staff and centers think in tasks. `get_app_list` (set on
the default admin site in urls.py) regroups the models each user may see into four sections,
adds the pages that are not model lists (reports, closing calendar, targets' progress), and
shows the libraries' own tables (two-factor devices, access attempts, groups) to national
administrators only, named in Spanish. An app's own index page (`app_label` given) keeps
Django's grouping.
"""

from django.apps import apps
from django.contrib.admin import AdminSite
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.access import (
    can_upload_imports,
    is_national,
    may_read_surveys,
    reportable_centers,
)

RECORDS = "servicios"
NETWORK = "red"
PUBLICATION = "publicacion"
SECURITY = "seguridad"
OTHER = "otros"
SECTIONS = {
    RECORDS: _("Servicios e informes"),
    NETWORK: _("Red CITE"),
    PUBLICATION: _("Publicación y metas"),
    SECURITY: _("Seguridad"),
    OTHER: _("Otros"),
}
SECTION_OF_APP = {
    "records": RECORDS,
    "units": RECORDS,
    "service_requests": RECORDS,
    "network": NETWORK,
    "geo": NETWORK,
    "targets": PUBLICATION,
    "historic": PUBLICATION,
    "publications": PUBLICATION,
    "opendata": PUBLICATION,
    "surveys": PUBLICATION,
    "api": SECURITY,
    "auth": SECURITY,
    "accounts": SECURITY,
    "otp_totp": SECURITY,
    "axes": SECURITY,
}
FIRST = [
    "records.servicereport",
    "records.importbatch",
    "service_requests.servicerequest",
    "units.productiveunit",
    "network.center",
    "network.catalogueservice",
    "targets.target",
    "historic.historicbatch",
    "auth.user",
]
"""The lists each section starts with, in this order (the daily tasks); the rest by name."""

LIBRARY_MODELS = {"auth.group", "otp_totp.totpdevice", "axes"}
"""Tables of Django and its libraries that only national administrators see in the menu."""

SPANISH_NAMES = {
    ("otp_totp", "totpdevice"): (
        _("dispositivo de doble factor"),
        _("dispositivos de doble factor"),
    ),
    ("axes", "accessattempt"): (_("intento de acceso fallido"), _("intentos de acceso fallidos")),
    ("axes", "accesslog"): (_("registro de acceso"), _("registros de acceso")),
    ("axes", "accessfailurelog"): (_("acceso fallido"), _("accesos fallidos")),
    ("auth", "group"): (_("grupo de un rol"), _("grupos de los roles")),
}
SPANISH_APPS = {
    "otp_totp": _("Doble factor (TOTP)"),
    "axes": _("Bloqueo de accesos"),
}


def name_libraries_in_spanish() -> None:
    """Give the libraries' apps and models Spanish names (no fork: their _meta, at start-up)."""
    for (app_label, model_name), (singular, plural) in SPANISH_NAMES.items():
        meta = apps.get_model(app_label, model_name)._meta
        meta.verbose_name, meta.verbose_name_plural = singular, plural
    for app_label, name in SPANISH_APPS.items():
        apps.get_app_config(app_label).verbose_name = name


def _is_library(app_label: str, model_name: str) -> bool:
    return app_label in LIBRARY_MODELS or f"{app_label}.{model_name}" in LIBRARY_MODELS


def _page(name, url: str, key: str) -> dict:
    """A menu entry for a page that is not a model's list (read-only, no add link)."""
    return {
        "name": name,
        "object_name": key,
        "admin_url": url,
        "add_url": None,
        "view_only": True,
        "perms": {"view": True},
        "model": None,
    }


def extra_pages(request, models: set[str]) -> dict[str, list[dict]]:
    """Pages beside the model lists, each shown to whoever may open it."""
    pages: dict[str, list[dict]] = {RECORDS: [], PUBLICATION: []}
    if "records.servicereport" in models:
        url = reverse("admin:records_servicereport_closing")
        pages[RECORDS].append(_page(_("Cierres mensuales"), url, "Closing"))
    if "records.importbatch" in models and can_upload_imports(request.user):
        url = reverse("admin:records_importbatch_upload")
        pages[RECORDS].append(_page(_("Importar servicios"), url, "Import"))
    if is_national(request.user) or reportable_centers(request.user).exists():
        url = reverse("reports:form")
        pages[PUBLICATION].append(_page(_("Informes de la red CITE"), url, "Reports"))
    if may_read_surveys(request.user):
        url = reverse("surveys:staff_index")
        pages[PUBLICATION].append(_page(_("Encuestas a las unidades atendidas"), url, "Surveys"))
    return pages


def get_app_list(site: AdminSite, request, app_label=None) -> list[dict]:
    """The index and side menu by task; an app's own page as Django lists it."""
    if app_label:
        return AdminSite.get_app_list(site, request, app_label)
    app_dict = site._build_app_dict(request)
    national = is_national(request.user)
    grouped: dict[str, list[dict]] = {key: [] for key in SECTIONS}
    seen: set[str] = set()
    for label, app in app_dict.items():
        for model in app["models"]:
            name = model["object_name"].lower()
            if _is_library(label, name) and not national:
                continue
            seen.add(f"{label}.{name}")
            model["key"] = f"{label}.{name}"
            grouped[SECTION_OF_APP.get(label, OTHER)].append(model)
    for key, pages in extra_pages(request, seen).items():
        grouped[key] = pages + grouped[key]
    return [_section(key, models) for key, models in grouped.items() if models]


def _position(model: dict) -> tuple[int, str]:
    key = model.get("key", "")
    return (FIRST.index(key) if key in FIRST else len(FIRST), str(model["name"]))


def _section(key: str, models: list[dict]) -> dict:
    pages = [m for m in models if m["model"] is None]
    listed = sorted((m for m in models if m["model"] is not None), key=_position)
    return {
        "name": SECTIONS[key],
        "app_label": key,
        "app_url": "",
        "has_module_perms": True,
        "models": pages + listed,
    }
