"""`make demo` runs again after the demo was used (issue 19): the set-up's own steps, read from
the Makefile, run twice, with an operator's, a manager's and the national staff's work in
between (an import, an API token and a report sent with it, validations, an answered request,
a revised target, a changed password). The demo accounts are reset in place, never deleted."""

import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from tests.ops.world import request_form, write_import

from citesmart.accounts.management.commands.create_demo_users import DEMO_CENTER, DEMO_PASSWORD
from citesmart.api.models import ApiToken
from citesmart.api.tokens import create_token
from citesmart.network.models import Center
from citesmart.records.actions import set_report_status
from citesmart.records.imports.pipeline import import_file
from citesmart.records.models import ImportBatch, ReportStatus, ServiceReport
from citesmart.service_requests.actions import change_status
from citesmart.service_requests.models import RequestStatus, ServiceRequest
from citesmart.targets.actions import set_target

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"
SMALL_HISTORY = ["--years", "2019-2025", "--scale", "0.01", "--seed", "5"]
TODAY = date.today()
DAY = TODAY.strftime("%d/%m/%Y")
NOT_SET_UP = {"migrate", "runserver", "collectstatic"}  # the test database is migrated


def demo_steps() -> list[list[str]]:
    """The `citesmart` commands of the Makefile's demo recipe, in order."""
    recipe = MAKEFILE.read_text(encoding="utf-8").split("\ndemo:", 1)[1]
    recipe = recipe.split("\n\n", 1)[0]
    steps = [line.split() for line in re.findall(r"^\t\$\(BIN\)/citesmart (.+)$", recipe, re.M)]
    return [step for step in steps if step[0] not in NOT_SET_UP]


def set_up_the_demo() -> str:
    out = io.StringIO()
    for name, *arguments in demo_steps():
        if name == "demo_data":  # the whole history at 1 % of its size
            arguments = [*arguments, *SMALL_HISTORY]
        call_command(name, *arguments, stdout=out, stderr=out)
    return out.getvalue()


def logged_in(username: str, password: str = DEMO_PASSWORD) -> Client:
    """Through the login page, as a person does (the printed password)."""
    client = Client()
    form = {"username": username, "password": password, "next": "/admin/"}
    response = client.post("/admin/login/", form, follow=True)
    assert response.redirect_chain and response.status_code == 200, username
    assert "_auth_user_id" in client.session, username
    return client


def use_the_demo(tmp_path: Path) -> dict[str, int]:
    center = Center.objects.get(code=DEMO_CENTER)
    operator, manager, admin = (
        User.objects.get(username=n) for n in ("operador", "gestor", "admin")
    )
    logged_in("operador")
    lote = write_import(tmp_path / "lote.csv", 3, prefix="USO")  # into this month: still open
    lote.write_text(lote.read_text().replace("03/03/2025", DAY).replace("07/03/2025", DAY))
    imported = import_file(lote, center=center, user=operator)
    assert imported.batch and imported.batch.status == ImportBatch.Status.COMMITTED, (
        imported.messages
    )
    _token, secret = create_token(center=center, name="ERP de prueba", actor=operator)
    sent = Client().post(
        "/api/v1/informes/",
        {
            "codigo": "API-USO-1",
            "fecha_inicio": TODAY.isoformat(),
            "fecha_fin": TODAY.isoformat(),
            "categoria": "Asistencia técnica",
            "unidades": [
                {
                    "tipo_documento": "RUC",
                    "numero_documento": "20100047218",
                    "razon_social": "Empresa API S.A.C.",
                    "ubigeo": "150101",
                    "monto": "80.00",
                }
            ],
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        secure=True,
    )
    assert sent.status_code in (200, 201), sent.content
    logged_in("gestor")
    for report in ServiceReport.objects.filter(center=center, code__in=["USO-000000", "API-USO-1"]):
        set_report_status(report=report, status=ReportStatus.VALIDATED, actor=manager)
    form = request_form(center.code, district="150101", need="Secado de madera.")
    Client().post("/solicitudes/nueva/", form)
    request = ServiceRequest.objects.get(center=center, email="gerencia@ayni.pe")
    change_status(
        request=request, status=RequestStatus.IN_PROGRESS, actor=manager, message="Lo llamamos."
    )
    set_target(
        admin,
        center=center,
        year=date.today().year,
        indicator="services",
        value=123,
        reason="Revisión de prueba",
    )
    operator.set_password("otra-clave-que-olvidara-2026")
    operator.save()
    return {
        "users": User.objects.count(),
        "validated": ServiceReport.objects.filter(
            center=center, code__in=["USO-000000", "API-USO-1"], status=ReportStatus.VALIDATED
        ).count(),
    }


@pytest.mark.django_db
def test_the_demo_sets_up_again_after_it_was_used(read_model, settings, tmp_path):
    settings.OPENDATA_DIR = tmp_path / "opendata"
    settings.MEDIA_ROOT = tmp_path / "media"
    assert [s[0] for s in demo_steps()][:2] == ["load_reference", "demo_data"]
    printed = set_up_the_demo()
    assert DEMO_PASSWORD in printed
    # Published last, the open data carry the demo's surveys (published before them, the
    # survey file held only its header while /resultados/ showed results).
    surveys = next((tmp_path / "opendata").rglob("encuestas.csv"))
    assert len(surveys.read_text(encoding="utf-8-sig").splitlines()) > 1
    ids = dict(
        User.objects.filter(username__in=["admin", "analista", "gestor", "operador"]).values_list(
            "username", "pk"
        )
    )
    before = use_the_demo(tmp_path)
    assert before["validated"] == 2

    set_up_the_demo()  # a second `make demo` on the used demo: every step succeeds

    again = dict(User.objects.filter(username__in=ids).values_list("username", "pk"))
    assert again == ids  # reset in place, never deleted: their tokens, imports and audit keep them
    for username in ids:  # the printed password again, the operator's own forgotten
        logged_in(username)
    assert (
        "_auth_user_id"
        not in Client()
        .post("/admin/login/", {"username": "operador", "password": "otra-clave-que-olvidara-2026"})
        .wsgi_request.session
    )
    assert User.objects.count() == before["users"]
    assert ApiToken.objects.filter(created_by__username="operador", revoked_at=None).exists()
    assert ImportBatch.objects.filter(created_by__username="operador").exists()
    assert ServiceRequest.objects.filter(email="gerencia@ayni.pe").exists()
