"""Who serves my region: the catalogue answers from the scope valid today and from where each
center delivered services in the last 24 months (issue 17, part 5)."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from citesmart.demo.store import AUDIT_TYPE, CATALOGUE_MARK, delete_demo_data
from citesmart.network.models import CatalogueService, Center, CenterTerritory
from citesmart.ops.models import DemoData
from citesmart.portal.views.network import months_before
from citesmart.records.models import AuditEntry, ReportStatus, Service

pytestmark = pytest.mark.django_db
CUSCO = "08"


@pytest.fixture(scope="module", autouse=True)
def small_history(django_db_setup, django_db_blocker):
    """A small deterministic demo history shared by this module, removed after."""
    with django_db_blocker.unblock():
        call_command("demo_data", years="2024-2025", scale=0.01, seed=7, stdout=io.StringIO())
        yield
        delete_demo_data()
        CatalogueService.objects.filter(description=CATALOGUE_MARK).delete()
        AuditEntry.objects.filter(object_type=AUDIT_TYPE).delete()
        DemoData.objects.all().delete()  # the loader's demo mark (ops.demo) goes with them


def listed(html: str) -> list[str]:
    section = html.split('id="serving-h"')[1].split("</ol>")[0]
    return re.findall(r'href="/centros/([^/"]+)/"', section)


def services_in_cusco(since):
    in_cusco = Q(unit__department_id=CUSCO) | Q(unit__merged_into__department_id=CUSCO)
    return set(
        Service.objects.filter(
            in_cusco, report__status=ReportStatus.VALIDATED, report__end_date__gte=since
        ).values_list("report__center__code", flat=True)
    )


def test_cusco_lists_every_center_with_scope_or_recent_services_there(client):
    today = timezone.localdate()
    cutoff = months_before(today, 24)
    scope = {c.code for c in Center.objects.filter(scope__department_id=CUSCO)}
    served = services_in_cusco(cutoff + timedelta(days=31))  # well inside the window
    assert served - scope, "the demo history must serve Cusco from centers outside its scope"
    page = client.get(reverse("portal:catalogue"), {"departamento": CUSCO})
    assert page.status_code == 200
    codes = listed(page.text)
    assert len(codes) == len(set(codes))
    assert scope | served <= set(codes)
    # Nobody else: only the scope and services of the window (a month of margin at its edge).
    assert set(codes) <= scope | services_in_cusco(cutoff - timedelta(days=31))


def test_a_scope_that_ended_and_old_services_do_not_count(client):
    today = timezone.localdate()
    center = Center.objects.get(code="citeagroindustrial-majes")
    assert center.code not in services_in_cusco(months_before(today, 26))
    period = CenterTerritory.objects.create(
        center=center, department_id=CUSCO, until=today - timedelta(days=1), source="prueba"
    )
    assert center.code not in listed(
        client.get(reverse("portal:catalogue"), {"departamento": CUSCO}).text
    )
    period.until = None
    period.save()  # a back-office edit: the registry changes, the answer too
    assert center.code in listed(
        client.get(reverse("portal:catalogue"), {"departamento": CUSCO}).text
    )


def test_months_before_keeps_the_day_or_the_month_end():
    from datetime import date

    assert months_before(date(2026, 12, 3), 24) == date(2024, 12, 3)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)
