"""The content security policy in real Chromium (issue 19): every public page, the main
back-office pages (as a national administrator and as a center operator) and the API's
interactive documentation load without a single violation.

The policy allows no inline script or style without the response's nonce and no style
attribute at all. Chromium reports what it blocks as `securitypolicyviolation` events (an
init script records them on window before any of the page's own code runs) and as console
errors; both must stay empty. A page routed through the same checks with one style attribute
added shows that the check sees what the policy blocks.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from tests.conftest import make_user
from tests.portal import test_browser as base
from tests.portal.test_browser import DESKTOP
from tests.portal.test_browser_charts import PUBLIC
from tests.service_requests.test_requests import VALID

from citesmart.accounts.roles import Role
from citesmart.network.models import CatalogueService, Center
from citesmart.records.models import ServiceReport
from citesmart.service_requests.models import ServiceRequest
from citesmart.surveys.models import Invitation, Wave
from citesmart.targets.actions import set_target

# test_browser's fixtures: the live site with its demo history, the browser, and the
# reference data put back when the module ends.
site, browser, _reference_data_back = base.site, base.browser, base._reference_data_back

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CENTER = "citeagroindustrial-moquegua"
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} ${e.blockedURI || "-"} `
    + `${e.sourceFile || ""}:${e.lineNumber} «${(e.sample || "").slice(0, 60)}»`);
}, true);
"""


class Watch:
    """One browser context whose pages record every CSP violation and console CSP error."""

    def __init__(self, browser, base_url: str, session: str | None = None):
        self.context = browser.new_context(viewport=DESKTOP, locale="es-PE")
        self.context.add_init_script(RECORD_VIOLATIONS)
        if session:
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}
            self.context.add_cookies([cookie])
        self.page = self.context.new_page()
        self.base = base_url
        self.console: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type in ("error", "warning") and "Content Security Policy" in message.text:
            self.console.append(message.text[:200])

    def violations(self, path: str, ready: str | None = None, click: str = "") -> list[str]:
        """What the policy blocked while the page at `path` loaded (and settled), and after
        clicking the first `click` element if given."""
        self.console.clear()
        response = self.page.goto(self.base + path)
        assert response.status == 200, path
        if ready:
            self.page.wait_for_selector(ready, timeout=20_000)
        self.page.wait_for_load_state("networkidle")
        if click:
            self.page.locator(click).first.click()
            self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(100)  # violation events are queued as tasks
        return self.page.evaluate("window.__csp") + self.console


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def public_pages() -> dict[str, str]:
    client = Client()
    sent = client.post(reverse("portal:request_new"), VALID | {"center": CENTER})
    assert sent.status_code == 302, sent.content.decode()[:500]
    code = ServiceRequest.objects.get().tracking_code
    service = CatalogueService.objects.filter(center__code=CENTER).first()
    pages = PUBLIC | {
        "servicio": reverse("portal:catalogue_service", args=[service.pk]),
        "estado-solicitud": reverse("portal:request_status", args=[code]),
        "resultados": reverse("surveys:results"),
        "datos": reverse("opendata:index"),
        "diccionario": reverse("opendata:dictionary"),
        "publicaciones": reverse("publications:list"),
    }
    return pages


def backoffice_pages(operator) -> list[tuple[str, str, str]]:
    """(name, path, who): the daily pages of an operator and a national administrator, and
    a manager's Metas, Informes and Solicitudes."""
    report = ServiceReport.objects.filter(center__code=CENTER).first()
    request = ServiceRequest.objects.get()
    wave = Wave.objects.first()
    invitation = Invitation.objects.filter(wave=wave).first()
    both = {
        "indice": reverse("admin:index"),
        "informes": reverse("admin:records_servicereport_changelist"),
        "informe-nuevo": reverse("admin:records_servicereport_add"),
        "informe": reverse("admin:records_servicereport_change", args=[report.pk]),
        "importar": reverse("admin:records_importbatch_upload"),
        "cierres": reverse("admin:records_servicereport_closing"),
    }
    metas = {"metas": reverse("admin:targets_target_changelist") + "?anio=2025"}
    national_only = metas | {
        "encuestas": reverse("surveys:staff_index"),
        "informe-red": reverse("reports:form"),
        "informe-red-html": reverse("reports:form") + "?year=2025&format=html",
        "usuarios": reverse("admin:auth_user_changelist"),
        "usuario": reverse("admin:auth_user_change", args=[operator.pk]),
        "centro-admin": reverse(
            "admin:network_center_change", args=[Center.objects.get(code=CENTER).pk]
        ),
        "ola": reverse("surveys:wave_detail", args=[wave.pk]),
        "invitacion": reverse("surveys:invitation_detail", args=[invitation.pk]),
        "invitacion-papel": reverse("surveys:paper_form", args=[invitation.pk]),
    }
    operator_only = {
        "solicitudes": reverse("admin:service_requests_servicerequest_changelist"),
        "solicitud": reverse("admin:service_requests_servicerequest_change", args=[request.pk]),
    }
    managers = metas | operator_only | {"informe-red": reverse("reports:form")}
    pages = [(name, path, "national") for name, path in (both | national_only).items()]
    pages += [(name, path, "manager") for name, path in managers.items()]
    return pages + [(name, path, "operator") for name, path in (both | operator_only).items()]


@pytest.fixture
def world(site):
    connections["default"].close_if_unusable_or_obsolete()
    call_command("demo_surveys", stdout=io.StringIO())
    center = Center.objects.get(code=CENTER)
    national = make_user("itp_csp", Role.NATIONAL_ADMIN)
    operator = make_user("operador_csp", Role.CENTER_OPERATOR, center)
    manager = make_user("gestor_csp", Role.CENTER_MANAGER, center)
    set_target(national, center=center, year=2025, indicator="services", value=50)
    return {"national": national, "manager": manager, "operator": operator}


def test_no_page_needs_anything_the_policy_blocks(browser, site, world):
    public = Watch(browser, site)
    found = {name: public.violations(path) for name, path in public_pages().items()}
    # The interactive documentation, an operation opened (Swagger UI draws it then).
    docs = public.violations("/api/v1/docs/", ready=".opblock", click=".opblock-summary")
    found["api-docs"] = docs
    assert public.page.locator(".opblock-body").count() >= 1, "the operation opened"
    public.context.close()
    sessions = {who: Watch(browser, site, session_of(user)) for who, user in world.items()}
    for name, path, who in backoffice_pages(world["operator"]):
        found[f"{who}:{name}"] = sessions[who].violations(path)
    for watch in sessions.values():
        watch.context.close()
    blocked = {name: seen for name, seen in found.items() if seen}
    assert blocked == {}, "\n".join(f"{name}: {seen}" for name, seen in blocked.items())
    assert len(found) >= 40, sorted(found)


def test_the_watch_sees_a_style_attribute_the_policy_blocks(browser, site):
    """The same check on a real page with one style attribute added: it is reported."""
    watch = Watch(browser, site)

    def with_a_style_attribute(route) -> None:
        response = route.fetch()
        body = response.text().replace("<main", '<main style="color: red"', 1)
        route.fulfill(response=response, body=body)

    watch.page.route("**/privacidad/", with_a_style_attribute)
    seen = watch.violations("/privacidad/")
    assert any(v.startswith("style-src-attr") for v in seen), seen
    watch.page.unroute("**/privacidad/")
    assert watch.violations("/privacidad/") == []
    watch.context.close()
