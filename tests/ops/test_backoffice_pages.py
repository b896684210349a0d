"""The back office as ITP staff and centers meet it: the menu by task in Spanish, the report
list's status, and the content security policy on every main page (issue 19)."""

import re

import pytest
from django.contrib.auth.models import Permission
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
    # Even a manager given the libraries' permissions by hand does not get their tables.
    manager_a.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_group", "view_accessattempt"])
    )
    manager_a = type(manager_a).objects.get(pk=manager_a.pk)  # permissions cached per object
    assert manager_a.has_perm("auth.view_group")
    for hidden in ("Grupos", "Intentos de acceso"):
        assert hidden not in _index(client_for(manager_a)), hidden
    analyst_page = _index(client_for(analyst))  # reads everything, imports nothing
    assert "Lotes de importación" in analyst_page and "Importar servicios" not in analyst_page
    operator_page = _index(client_for(operator_a))
    assert f'href="{reverse("reports:form")}"' not in operator_page  # managers and ITP only
    assert f'href="{reverse("admin:records_importbatch_upload")}"' in operator_page


# Django's own English and the libraries' internal names: nobody reads them in the menu.
ENGLISH = [
    "Site administration", "Recent actions", "My actions", "Authentication and Authorization",
    ">Add<", ">Change<", ">View<", "Groups", "Users", "Two Factor", "Totp", *LIBRARY_WORDS,
]  # fmt: skip
LIBRARY_TABLES = ["Dispositivos de doble factor", "Intentos de acceso", "Grupos"]
REPORTS = reverse("admin:records_servicereport_changelist")
IMPORT = reverse("admin:records_importbatch_upload")
CLOSING = reverse("admin:records_servicereport_closing")
REQUESTS = reverse("admin:service_requests_servicerequest_changelist")
TARGETS = reverse("admin:targets_target_changelist")
NETWORK_REPORT = reverse("reports:form")
USERS = reverse("admin:auth_user_changelist")
SURVEYS = reverse("surveys:staff_index")
# Each role's daily tasks (linked from the index, under these names) and what it never sees.
DAILY = {
    "operator_a": (
        {REPORTS: "Informes de servicio", IMPORT: "Importar servicios", CLOSING: "Cierres",
         REQUESTS: "Solicitudes de servicio"},
        [NETWORK_REPORT, TARGETS, USERS, SURVEYS],
    ),
    "manager_a": (
        {REPORTS: "Informes de servicio", IMPORT: "Importar servicios",
         CLOSING: "Cierres mensuales", REQUESTS: "Solicitudes de servicio", TARGETS: "Metas",
         NETWORK_REPORT: "Informes de la red CITE", USERS: "Usuarios"},
        [SURVEYS],
    ),
    "analyst": (
        {REPORTS: "Informes de servicio", CLOSING: "Cierres mensuales", TARGETS: "Metas",
         NETWORK_REPORT: "Informes de la red CITE", SURVEYS: "Encuestas"},
        [IMPORT, USERS, REQUESTS],
    ),
    "national_admin": (
        {REPORTS: "Informes de servicio", IMPORT: "Importar servicios",
         CLOSING: "Cierres mensuales", TARGETS: "Metas", USERS: "Usuarios",
         NETWORK_REPORT: "Informes de la red CITE", SURVEYS: "Encuestas"},
        [REQUESTS],  # the centers answer the public's requests
    ),
}  # fmt: skip


@pytest.mark.parametrize("role", DAILY)
def test_each_role_finds_its_daily_tasks_by_task_in_spanish(network, client_for, request, role):
    # `network`: national staff import for any center, so the menu needs centers to exist
    # (a transactional test earlier in the run may have flushed them).
    user = request.getfixturevalue(role)
    client = client_for(user)
    page = _index(client)
    captions = _captions(page)
    assert captions and captions == [s for s in SECTIONS if s in captions], captions
    assert captions[0] == "Servicios e informes"
    links, never = DAILY[role]
    for url, name in links.items():
        assert re.search(rf'<a href="{re.escape(url)}">{name}', page), (role, name)
        assert client.get(url).status_code == 200, (role, url)
    for url in never:
        assert f'href="{url}"' not in page, (role, url)
    for word in ENGLISH:
        assert word not in page, (role, word)
    for table in LIBRARY_TABLES:  # the libraries' tables: national administrators only
        assert (table in page) == (role == "national_admin"), (role, table)
    # The side menu of every other page is the same, by task.
    sidebar = client.get(REPORTS).content.decode()
    sidebar = sidebar[sidebar.index('id="nav-sidebar"') : sidebar.index('id="content-start"')]
    assert _captions(sidebar) == captions, role


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
