"""The back office as ITP staff and centers meet it: the menu by task in Spanish, the report
list's status, and the content security policy on every main page (issue 19)."""

import re

import pytest
from django.urls import reverse
from tests.records.test_import_admin import csv_file

from citesmart.records.imports import import_file
from citesmart.targets.actions import set_target

SECTIONS = ["Servicios e informes", "Red CITE", "Publicación y metas", "Seguridad"]
LIBRARY_WORDS = ["AXES", "Axes", "Access attempts", "access attempts", "OTP_TOTP", "TOTP devices"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _index(client) -> str:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def _captions(page: str) -> list[str]:
    return re.findall(r'<span class="section">([^<]+)</span>', page)


def test_national_administrators_see_the_menu_by_task_with_security_in_spanish(
    client_for, national_admin
):
    page = _index(client_for(national_admin))
    assert _captions(page) == SECTIONS
    assert f'href="{reverse("reports:form")}"' in page and ">Informes de la red CITE</a>" in page
    assert f'href="{reverse("admin:records_servicereport_closing")}"' in page
    assert "Dispositivos de doble factor" in page and "Intentos de acceso fallidos" in page
    assert "Grupos de los roles" in page
    services = page[page.index("Servicios e informes") : page.index("Red CITE")]
    assert services.index("Informes de servicio") < services.index("Auditoría")
    for word in LIBRARY_WORDS:
        assert word not in page, word
    # An app's own page keeps Django's grouping, under its Spanish name.
    axes = client_for(national_admin).get(reverse("admin:app_list", args=["axes"]))
    assert "Bloqueo de accesos" in axes.content.decode()


def test_centers_see_their_tasks_without_the_libraries_internals(
    client_for, manager_a, operator_a, analyst
):
    page = _index(client_for(manager_a))
    assert _captions(page)[0] == "Servicios e informes" and "Seguridad" in _captions(page)
    assert "Usuarios" in page and f'href="{reverse("reports:form")}"' in page
    for hidden in ("doble factor", "Intentos de acceso", "Grupos", *LIBRARY_WORDS):
        assert hidden not in page, hidden
    analyst_page = _index(client_for(analyst))  # reads everything, imports nothing
    assert "Lotes de importación" in analyst_page and "Importar servicios" not in analyst_page
    operator_page = _index(client_for(operator_a))
    assert f'href="{reverse("reports:form")}"' not in operator_page  # managers and ITP only
    assert f'href="{reverse("admin:records_importbatch_upload")}"' in operator_page


def test_the_report_list_shows_the_status_at_1280_px(client_for, operator_a, center_a):
    result = import_file(csv_file([{}]), center=center_a, filename="s.csv", user=operator_a)
    assert result.written
    page = client_for(operator_a).get(reverse("admin:records_servicereport_changelist"))
    text = page.content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', text)
    assert columns[:3] == ["code", "status", "center"], columns
    assert "chain" not in columns and "start_date" not in columns
    assert len(columns) <= 7


_TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE)


def _csp_problems(response) -> list[str]:
    """Inline style attributes, and <script>/<style> elements that neither load a file of
    the site nor carry this response's nonce (what the policy would block)."""
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    page = response.content.decode()
    problems = [m.group(0)[:80] for m in _STYLE_ATTRIBUTE.finditer(page)]
    for tag, attributes in _TAG.findall(page):
        loads_file = tag.lower() == "script" and re.search(r"\ssrc=", attributes)
        if not loads_file and f'nonce="{nonce}"' not in attributes:
            problems.append(f"<{tag}{attributes}>")
    return problems


def test_main_back_office_pages_need_nothing_the_policy_blocks(
    client_for, national_admin, manager_a, operator_a, center_a, read_model
):
    import_file(csv_file([{}]), center=center_a, filename="s.csv", user=operator_a)
    dry = import_file(csv_file([{}]), center=center_a, filename="s.csv", user=operator_a,
                      dry_run=True)  # fmt: skip
    set_target(national_admin, center=center_a, year=2025, indicator="services", value=50)
    pages = [
        reverse("admin:index"),
        reverse("admin:records_servicereport_changelist"),
        reverse("admin:records_servicereport_add"),
        reverse("admin:records_importbatch_upload"),
        reverse("admin:records_importbatch_change", args=[dry.batch.pk]),
        reverse("admin:targets_target_changelist") + "?anio=2025",
        reverse("reports:form"),
        reverse("admin:records_servicereport_closing"),
    ]
    client = client_for(national_admin)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _csp_problems(response) == [], url
    report = client_for(national_admin).get(
        reverse("reports:form"), {"year": 2025, "format": "html"}
    )
    assert report["Content-Type"].startswith("text/html") and "<h1" in report.content.decode()
    assert _csp_problems(report) == [], "the report served as a web page"
    # Service requests are answered by the centers (ITP does not see them).
    requests = client_for(manager_a).get(
        reverse("admin:service_requests_servicerequest_changelist")
    )
    assert requests.status_code == 200 and _csp_problems(requests) == []
    metas = client_for(national_admin).get(pages[5]).content.decode()
    assert 'class="bar ' in metas, "the bars are drawn (with classes)"
    assert "Registrar este archivo" in client_for(national_admin).get(pages[4]).content.decode()


def test_the_check_finds_what_the_policy_would_block(client_for, national_admin):
    """The checker itself can fail: a page with an inline style or bare script is caught."""
    response = client_for(national_admin).get(reverse("admin:index"))
    response.content = b'<div style="width: 5%"></div><script>alert(1)</script><style></style>'
    assert len(_csp_problems(response)) == 3
