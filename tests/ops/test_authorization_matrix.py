"""Every role × every URL × read and write, generated from the URL configuration.

The URLs come from walking get_resolver(), so a URL added anywhere in the project is tested
here as soon as it exists — and fails the test until tests/ops/authz_rules.py has a rule for
it (the first matching rule applies). Writes are POSTs with an empty form: they change
nothing, yet the answer tells whether the role got past authorization (a form with errors)
or not (403/404/login page).
"""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.ops import authz_rules
from tests.ops.world import request_form, write_import

from citesmart.analytics import refresh
from citesmart.api.tokens import create_token
from citesmart.historic.loader import load_table
from citesmart.historic.models import TableKind
from citesmart.historic.template import write_template
from citesmart.network.models import CatalogueService, Center, LegalAct, ServiceCategory
from citesmart.opendata.publish import publish
from citesmart.publications.actions import publish as publish_figures
from citesmart.records.imports import import_file
from citesmart.records.models import AuditEntry, ImportBatch, ServiceReport
from citesmart.service_requests.models import ServiceRequest
from citesmart.targets.actions import set_target

pytestmark = pytest.mark.django_db


def walk(patterns, prefix: str = "", namespace: str = ""):
    """(route, key) for every URL: key is "namespace:name", or "route:<route>" if unnamed."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = f"{namespace}{pattern.name}" if pattern.name else f"route:{route}"
            yield route, key


@pytest.fixture
def world(
    center_a,
    operator_a,
    manager_a,
    operator_b,
    analyst,
    national_admin,
    read_model,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.METRICS_ALLOWED_IPS = []  # metrics need the token; a staff session is not enough
    settings.METRICS_TOKEN = "a-metrics-token-nobody-sends-here"
    settings.OPENDATA_DIR = tmp_path / "opendata"
    settings.API_ANON_RATE = settings.API_TOKEN_RATE = "100000/min"  # thousands of cells
    path = write_import(tmp_path / "lote.csv", 3, prefix="MTX")
    result = import_file(path, center=center_a, user=operator_a)
    assert result.batch and result.batch.status == ImportBatch.Status.COMMITTED
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/solicitudes/nueva/", request_form(center_a.code))
    TOTPDevice.objects.create(user=national_admin, name="teléfono")
    LegalAct.objects.create(
        center=center_a, kind=LegalAct.Kind.choices[0][0], number="RM 1-2020", date="2020-01-15"
    )
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(username="x", ip_address="10.0.0.1", failures_since_start=1)
    CatalogueService.objects.get_or_create(
        center=center_a,
        name="Ensayo de humedad",
        defaults={"category": ServiceCategory.objects.first(), "tariff": Decimal(10)},
    )
    _token, secret = create_token(center=center_a, name="ERP del centro A", actor=manager_a)
    set_target(national_admin, center=center_a, year=2025, indicator="services", value=50)
    for kind in TableKind.values:  # a row of every institutional table, from its template
        with open(tmp_path / f"{kind}.csv", "wb") as handle:
            write_template(kind, handle, "csv")
        assert load_table(tmp_path / f"{kind}.csv", kind=kind).ok
    refresh.rebuild()
    publish()  # /datos/ serves files of the release online
    publish_figures(slug="2025-anual", title="2025, anual", kind="anual", years=[2025])
    wave, invitation = survey_sample(world_center=center_a, batch=result.batch)
    return {
        "wave": wave,
        "invitation": invitation,
        "token_a": secret,
        "center_a": center_a,
        "users": {
            "operator_a": operator_a,
            "manager_a": manager_a,
            "operator_b": operator_b,
            "analyst": analyst,
            "national_admin": national_admin,
        },
        "batch": result.batch,
    }


def survey_sample(*, world_center, batch):
    """An undrawn follow-up wave and a satisfaction invitation for a report of center A."""
    from datetime import date

    from citesmart.surveys.models import Invitation, Kind, Wave

    wave = Wave.objects.create(
        name="Seguimiento",
        months_after=6,
        served_from=date(2025, 1, 1),
        served_to=date(2025, 6, 30),
    )
    service = batch.reports.first().services.first()
    invitation = Invitation.objects.create(
        kind=Kind.SATISFACTION, report=service.report, unit=service.unit, center=world_center
    )
    return wave, invitation


def admin_sample(key: str, world) -> str:
    """An object of the admin model named in `key`, belonging to center A when scoped."""
    name = key.split(":", 1)[1].rsplit("_", 1)[0] if key.startswith("admin:") else key
    app_model = name
    samples = {
        "auth_user": lambda: world["users"]["operator_a"].pk,
        "auth_group": lambda: _first("auth.Group"),
        "network_center": lambda: world["center_a"].pk,
        "records_importbatch": lambda: world["batch"].pk,
        "records_servicereport": lambda: (
            ServiceReport.objects.filter(center=world["center_a"]).first().pk
        ),
        "records_auditentry": lambda: (
            AuditEntry.objects.filter(center=world["center_a"]).first().pk
        ),
        "service_requests_servicerequest": lambda: ServiceRequest.objects.get().pk,
        "units_productiveunit": lambda: world["batch"].reports.first().services.first().unit_id,
        "network_catalogueservice": lambda: (
            CatalogueService.objects.filter(center=world["center_a"]).first().pk
        ),
        "network_legalact": lambda: _first("network.LegalAct", center=world["center_a"]),
        "otp_totp_totpdevice": lambda: TOTPDevice.objects.get().pk,
    }
    if app_model in samples:
        return str(samples[app_model]())
    app_label = app_model.partition("_")[0]
    from django.apps import apps

    for candidate in apps.get_app_config(app_label).get_models():
        if app_model == f"{app_label}_{candidate._meta.model_name}":
            obj = candidate._default_manager.first()
            return str(obj.pk) if obj else "999999"
    return "999999"


def _first(label: str, **filters) -> int:
    from django.apps import apps

    obj = apps.get_model(label)._default_manager.filter(**filters).first()
    return obj.pk if obj else 999999


def concrete_path(route: str, key: str, world) -> str:
    """The route with sample values for its parameters."""
    model_key = _model_key(route)
    values = {
        "<slug:code>": world["center_a"].code,
        "<slug:slug>": "2025-anual",
        "<code>": world["center_a"].code,
        "<codigo>": world["batch"].reports.first().code,
        "<str:token>": "no-es-un-enlace-valido",
        "<str:code>": ServiceRequest.objects.get().tracking_code,
        "<int:pk>": None,
        "<path:object_id>": admin_sample(model_key, world) if model_key else "1",
        "<id>": str(world["users"]["operator_a"].pk),
        "<path:content_type_id>": str(ContentType.objects.get_for_model(Center).pk),
        "<str:fmt>": "xlsx",
        "<str:kind>": "errores",
        "(?P<url>.*)$": "no-existe/",
        "^(?P<app_label>auth|": "records/",
    }
    path = "/" + route
    if "<int:pk>" in path:
        if key.startswith("portal:catalogue_service"):
            pk = CatalogueService.objects.filter(center=world["center_a"]).first().pk
        elif "importbatch" in key:
            pk = world["batch"].pk
        elif key == "surveys:wave_detail":
            pk = world["wave"].pk
        elif key.startswith("surveys:"):
            pk = world["invitation"].pk
        else:
            pk = TOTPDevice.objects.get().pk
        path = path.replace("<int:pk>", str(pk))
    if "(?P<app_label>" in path:
        return "/admin/records/"
    if "(?P<filename>" in path:
        return path[: path.index("^(?P<filename>")] + "datapackage.json"
    for token, value in values.items():
        if value is not None and token in path:
            if token == "(?P<url>.*)$":
                path = path[: path.index("(?P<url>")] + value
            else:
                path = path.replace(token, value)
    assert "<" not in path and "(" not in path, f"no sample value for {route}"
    return path


def _model_key(route: str) -> str | None:
    parts = route.split("/")
    if len(parts) >= 4 and parts[0] == "admin" and parts[1] != "r" and "<path:object_id>" in route:
        return f"{parts[1]}_{parts[2]}"
    return None


def classify(response) -> str:
    status = response.status_code
    if status in (301, 302, 303):
        location = response["Location"]
        if "/admin/login/" in location:
            return "login"
        return "deny" if location.rstrip("/") == "/admin" else "ok"
    if 200 <= status < 300 or status == 304:
        return "ok"
    if status in (401, 403, 404, 405):
        return "deny"
    if status in (400, 422):
        return "invalid"
    return f"error {status}"


_clients: dict[str, Client] = {}


def client_for_role(role: str, world) -> Client:
    """One client per role, logged in (again, after a logout) outside the cell's rollback."""
    client = _clients.get(role)
    if client is None:
        client = _clients[role] = Client(HTTP_ACCEPT="text/html")
    if role in world["users"]:
        cookie = client.cookies.get("sessionid")
        if cookie is None or not cookie.value:
            client.force_login(world["users"][role])
    return client


def request_as(client: Client, role: str, method: str, path: str, world) -> str:
    headers = {}
    if role == "token_a":  # as the API expects it (api.write.TokenAuth): over HTTPS
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world['token_a']}"
        headers["secure"] = True
    if method == "PUT":
        response = client.put(path, "{}", content_type="application/json", **headers)
    else:
        send = client.get if method == "GET" else client.post
        response = send(path, {}, **headers)
    if response.streaming:
        # Reading to the end closes the file (the test client's wrapper); response.close()
        # would also end the database connection of the test's transaction (PostgreSQL).
        b"".join(response.streaming_content)
    return classify(response)


def test_every_url_has_a_rule():
    keys = [key for _, key in walk(get_resolver().url_patterns)]
    missing = [key for key in keys if not authz_rules.rule_for(key)]
    assert not missing, "URLs without an authorization rule (tests/ops/authz_rules.py):\n" + (
        "\n".join(missing)
    )


def test_authorization_matrix(world):
    _clients.clear()
    mismatches = []
    cells = 0
    for route, key in walk(get_resolver().url_patterns):
        rules = authz_rules.rule_for(key)
        if not rules:
            continue  # reported by test_every_url_has_a_rule
        rule = rules[0]
        path = concrete_path(route, key, world)
        for method in rule.methods:
            for role in authz_rules.ROLES:
                expected = rule.expect(role, method)
                client = client_for_role(role, world)
                with transaction.atomic():  # every cell starts from the same data
                    actual = request_as(client, role, method, path, world)
                    transaction.set_rollback(True)
                cells += 1
                if actual != expected:
                    mismatches.append(f"{key:55} {method:4} {role:15} {expected:6} {actual}")
    assert cells > 1000
    assert not mismatches, (
        f"{len(mismatches)} of {cells} cells differ (url, method, role, expected, actual):\n"
        + "\n".join(mismatches)
    )
