"""The registry over time (issue 17, part 4): the 2025 note's facts, growth by year, changes."""

from datetime import date

import pytest
from django.urls import reverse

from citesmart.accounts.admin_network import SourcedForm, TerritoryInline
from citesmart.network import registry, timeline
from citesmart.network.models import (
    Center,
    CenterModality,
    CenterName,
    CenterTerritory,
    LegalAct,
)
from citesmart.network.reference import load_network

pytestmark = pytest.mark.django_db
Y2025 = date(2025, 1, 1)  # the note names only the year
CDPD = [
    "citeccal-lima",
    "citemadera-y-del-mueble-lima",
    "citecuero-y-calzado-trujillo",
    "citeagroindustrial-chavimochic",
    "citetextil-camelidos-cusco",
]


def scope(code: str) -> set[tuple[str, date | None]]:
    return {(p.department.name, p.since) for p in CenterTerritory.objects.filter(center__code=code)}


def test_the_2025_note_is_in_the_registry_with_its_source():
    huallaga = Center.objects.get(code="citeagroindustrial-huallaga")
    assert huallaga.active_from == Y2025
    assert ("Huánuco", Y2025) in scope(huallaga.code)
    assert scope("citeagroindustrial-moquegua") == {("Moquegua", None), ("Tacna", Y2025)}
    assert ("Junín", Y2025) in scope("citeagroindustrial-oxapampa")
    for department in ("Tacna", "Ayacucho", "Lambayeque"):
        unit = Center.objects.get(
            kind=Center.Kind.TECHNICAL_UNIT, department__name=department, active_from=Y2025
        )
        assert (department, Y2025) in scope(unit.code)
    cdpd = CenterModality.objects.filter(modality__code="cdpd", since=Y2025)
    assert sorted(cdpd.values_list("center__code", flat=True)) == sorted(CDPD)
    assert all(m.source.startswith("https://elcomercio.pe/") for m in cdpd)
    assert "acuicultura" in Center.objects.get(code="citeagroindustrial-vraem").chains.values_list(
        "code", flat=True
    )
    act = LegalAct.objects.get(number="RCD 000009-2024-ITP/PCD")
    assert act.kind == LegalAct.Kind.NAME and act.date == date(2024, 12, 4)
    assert CenterName.objects.get(center=act.center).name == "CITEmadera Lima"


def test_loading_again_changes_nothing_and_keeps_back_office_edits():
    period = CenterTerritory.objects.get(center__code="citeagroindustrial-oxapampa", since=Y2025)
    period.source = "RDE 0001-2025-ITP/DE (corregido)"
    period.save()
    counts = [m.objects.count() for m in (Center, CenterTerritory, CenterModality, LegalAct)]
    load_network()
    assert counts == [
        m.objects.count() for m in (Center, CenterTerritory, CenterModality, LegalAct)
    ]
    period.refresh_from_db()
    assert period.source == "RDE 0001-2025-ITP/DE (corregido)"


def test_growth_by_year_counts_the_dated_facts():
    current = registry.current()
    before, after = timeline.growth(current, 2016), timeline.growth(current, 2025)
    assert after.technical_units == before.technical_units + 3  # Tacna, Ayacucho, Lambayeque
    assert after.cites == before.cites + 1  # Huallaga (textil Arequipa dates from 2015)
    junin = "12"
    assert after.departments[junin] == before.departments[junin] + 1  # Oxapampa's extension
    assert "05" in after.departments and "05" not in before.departments  # Ayacucho's unit
    Center.objects.filter(code="citeagroindustrial-ica").update(active_to=date(2020, 3, 31))
    registry.note_change(what="test")
    assert timeline.growth(registry.current(), 2025).cites == after.cites - 1


def test_map_year_control_works_without_javascript(client):
    page = client.get(reverse("portal:center_list"), {"anio": "2016"})
    assert page.status_code == 200
    assert '<option value="2016" selected>' in page.text
    assert 'data-year="2016"' in page.text and "La red en 2016" in page.text
    g2016 = timeline.growth(registry.current(), 2016)
    assert f"{g2016.technical_units} unidades técnicas activos" in page.text
    assert page.text.count('class="center"') == sum(1 for c in g2016.centers if c.map_point)
    partial = client.get(reverse("portal:center_list"), {"anio": "2025"}, HTTP_X_PARTIAL="1")
    assert "La red en 2025" in partial.text and "<html" not in partial.text
    wrong = client.get(reverse("portal:center_list"), {"anio": "1850"})
    assert wrong.status_code == 400
    assert "Año: elija un año entre" in wrong.text


def test_changes_page_lists_the_network_changes_by_year(client):
    page = client.get(reverse("portal:network_changes")).text
    y2025 = page.split('id="y2025"')[1].split("</section>")[0]
    assert "CITEagroindustrial Moquegua</a>: Amplía su ámbito a Tacna" in y2025
    assert y2025.count("Modalidad Centro de desarrollo productivo digital") == 5
    assert "CITEagroindustrial Huallaga</a>: Inicia actividades" in y2025
    y2024 = page.split('id="y2024"')[1].split("</section>")[0]
    assert "04/12/2024" in y2024 and "RCD 000009-2024-ITP/PCD" in y2024
    assert page.index('id="y2025"') < page.index('id="y2024"')  # newest first


def test_a_dated_fact_needs_a_source_in_spanish():
    Form = type(
        "F",
        (SourcedForm,),
        {"Meta": type("Meta", (), {"model": CenterTerritory, "fields": TerritoryInline.fields})},
    )
    bound = Form({"department": "08", "since": "2025-01-01", "until": "", "source": ""})
    assert not bound.is_valid()
    assert "Indique la fuente" in str(bound.errors["source"])


def test_center_staff_read_the_scope_but_only_national_staff_edit_it(
    client_for, national_admin, manager_a, center_a
):
    url = reverse("admin:network_center_change", args=[center_a.pk])
    national = client_for(national_admin).get(url).text
    assert 'name="scope-TOTAL_FORMS"' in national
    manager_page = client_for(manager_a).get(url)
    assert manager_page.status_code == 200
    assert 'name="scope-0-source"' not in manager_page.text
