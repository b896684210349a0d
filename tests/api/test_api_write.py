"""Write API: tokens made in the back office, POST/PUT of reports through the importer."""

import json
import re

import pytest
from stdnum.pe import ruc

from citesmart.api.models import ApiToken
from citesmart.api.tokens import create_token, hash_token
from citesmart.records.models import ReportStatus, ServiceReport

pytestmark = pytest.mark.django_db


def valid_ruc(base: str) -> str:
    return base + ruc.calc_check_digit(base)


def report(code="API-001", **changes):
    body = {
        "codigo": code,
        "fecha_inicio": "2025-03-01",
        "fecha_fin": "2025-03-03",
        "categoria": "asistencia-tecnica",
        "estado": "validado",
        "unidades": [
            {
                "tipo_documento": "RUC",
                "numero_documento": valid_ruc("2060001234"),
                "razon_social": "Vinos del Sur S.A.C.",
                "ubigeo": "180101",
                "monto": "120.00",
            },
            {
                "tipo_documento": "DNI",
                "numero_documento": "45871236",
                "razon_social": "María Quispe Mamani",
                "ubigeo": "180101",
            },
        ],
    }
    return body | changes


def send(client, token, body, *, method="post", path="/api/v1/informes/", secure=True):
    call = getattr(client, method)
    return call(
        path,
        json.dumps(body),
        content_type="application/json",
        secure=secure,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def token_a(manager_a, center_a):
    return create_token(center=center_a, name="ERP", actor=manager_a)[1]


def test_manager_creates_token_in_back_office_shown_once_and_stored_hashed(
    client_for, manager_a, center_a
):
    client = client_for(manager_a)
    response = client.post(
        "/admin/api/apitoken/add/",
        {"center": center_a.pk, "name": "Sistema del CITE"},
        follow=True,
    )
    assert response.status_code == 200
    shown = re.search(r"cs_[A-Za-z0-9_\-]{20,}", response.content.decode())
    assert shown, "the secret is shown once, on creation"
    token = ApiToken.objects.get(center=center_a)
    assert token.token_hash == hash_token(shown.group(0))
    assert shown.group(0) not in token.token_hash and token.prefix in shown.group(0)
    page = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert shown.group(0) not in page


def test_manager_sees_and_revokes_only_own_tokens(client_for, manager_a, manager_b, center_b):
    other, _ = create_token(center=center_b, name="B", actor=manager_b)
    client = client_for(manager_a)
    assert client.get(f"/admin/api/apitoken/{other.pk}/change/").status_code == 404
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.revoked_at is None


def test_post_creates_then_is_idempotent(client, token_a, center_a, manager_a):
    first = send(client, token_a, report())
    assert first.status_code == 201, first.content
    assert first.json()["resultado"] == "created"
    saved = ServiceReport.objects.get(center=center_a, code="API-001")
    # A token records; only the center's manager validates (the body asked for "validado").
    assert saved.services.count() == 2 and saved.status == ReportStatus.REGISTERED
    assert saved.recorded_by == manager_a  # the token's creator (four eyes holds for them)
    assert first.json()["estado"] == "registrado"
    assert first.json()["filas_registradas_por_regla"] == 2
    assert first.json()["motivo_estado"].startswith(
        "el estado «validado» de la solicitud se ignoró: solo el gestor del centro puede validar"
    )
    again = send(client, token_a, report())
    assert again.status_code == 200 and again.json()["resultado"] == "unchanged"
    assert ServiceReport.objects.filter(center=center_a, code="API-001").count() == 1
    assert "45871236" not in again.content.decode()
    used = ApiToken.objects.get(center=center_a)
    assert used.last_used_at is not None


def test_a_registered_body_says_nothing_was_ignored(client, token_a, center_a):
    answer = send(client, token_a, report(estado="registrado")).json()
    assert (answer["estado"], answer["filas_registradas_por_regla"]) == ("registrado", 0)
    assert answer["motivo_estado"] is None


def test_a_token_update_of_a_validated_report_sends_it_back_to_registered(
    client, token_a, center_a, manager_a
):
    from citesmart.records.actions import set_report_status

    send(client, token_a, report(estado=None))
    saved = ServiceReport.objects.get(center=center_a, code="API-001")
    set_report_status(report=saved, status=ReportStatus.VALIDATED, actor=manager_a)
    same = send(client, token_a, report(estado=None)).json()  # the same data: stays validated
    assert same["resultado"] == "unchanged" and same["estado"] == "validado"
    body = report(estado=None, unidades=report()["unidades"][:1])
    changed = send(client, token_a, body, method="put", path="/api/v1/informes/API-001/").json()
    assert changed["estado"] == "registrado" and changed["filas_registradas_por_regla"] == 1
    assert "estaba «validado» y cambió" in changed["motivo_estado"]


def test_put_updates_by_code(client, token_a, center_a):
    send(client, token_a, report())
    body = report(unidades=report()["unidades"][:1])
    response = send(client, token_a, body, method="put", path="/api/v1/informes/API-001/")
    assert response.status_code == 200 and response.json()["resultado"] == "updated"
    assert ServiceReport.objects.get(center=center_a, code="API-001").services.count() == 1
    mismatch = send(client, token_a, body, method="put", path="/api/v1/informes/OTRO/")
    assert mismatch.status_code == 400 and "codigo" in mismatch.json()["error"]["fields"]


def test_errors_name_the_field_in_spanish_and_write_nothing(client, token_a, center_a):
    body = report(fecha_fin="2025-02-01", categoria="no-existe")
    body["unidades"][1]["numero_documento"] = "123"
    body["unidades"][0]["ubigeo"] = "999999"
    response = send(client, token_a, body)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "categoria" in fields and "no-existe" in fields["categoria"]
    assert "unidades[1].numero_documento" in fields
    assert "unidades[0].ubigeo" in fields and "999999" in fields["unidades[0].ubigeo"]
    assert not ServiceReport.objects.filter(center=center_a, code="API-001").exists()
    dates = send(client, token_a, report(fecha_fin="2025-02-01"))
    assert dates.status_code == 400 and "fecha_fin" in dates.json()["error"]["fields"]
    missing = send(client, token_a, {"codigo": "X"})
    assert missing.status_code == 400
    assert missing.json()["error"]["fields"]["fecha_inicio"] == "Este campo es obligatorio."


def test_token_cannot_write_for_another_center(client, token_a, center_b):
    response = send(client, token_a, report(centro=center_b.code))
    assert response.status_code == 403
    assert "centro" in response.json()["error"]["fields"]
    assert not ServiceReport.objects.filter(center=center_b, code="API-001").exists()


def test_token_may_write_for_its_technical_unit(client, token_a, center_a):
    unit = center_a.technical_units.first()
    response = send(client, token_a, report(centro=unit.code))
    assert response.status_code == 201 and response.json()["centro"] == unit.code


def test_revoked_missing_and_wrong_tokens_are_refused(client, token_a, center_a, manager_a):
    ApiToken.objects.update(revoked_at="2025-01-01T00:00:00Z")
    assert send(client, token_a, report()).status_code == 401
    assert send(client, "cs_inventado", report()).status_code == 401
    response = client.post(
        "/api/v1/informes/", json.dumps(report()), content_type="application/json", secure=True
    )
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert not ServiceReport.objects.filter(code="API-001").exists()


def test_tokens_only_over_https(client, token_a, settings):
    settings.DEBUG, settings.API_ALLOW_HTTP_TOKENS = False, False
    response = send(client, token_a, report(), secure=False)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "https_requerido"


def test_body_size_is_limited(client, token_a, settings):
    settings.API_MAX_BODY_BYTES = 2000
    body = report(unidades=report()["unidades"] * 20)
    response = send(client, token_a, body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "solicitud_demasiado_grande"


def test_invalid_json_is_400(client, token_a):
    response = client.post(
        "/api/v1/informes/",
        "{no es json",
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cuerpo_invalido"
