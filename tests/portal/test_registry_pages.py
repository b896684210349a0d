from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from citesmart.network.models import Center

pytestmark = pytest.mark.django_db


def test_center_list_shows_the_whole_network(client):
    page = client.get(reverse("portal:center_list"))
    assert page.status_code == 200
    table = page.text.split("<table")[1]  # below the map of the year
    assert table.count('href="/centros/') == Center.objects.count()
    assert "CITEtextil camélidos Cusco" in page.text


def test_center_page_shows_identity_and_catalogue(client, catalogue):
    tacna = Center.objects.get(name__startswith="Unidad Técnica Tacna")
    page = client.get(reverse("portal:center_detail", args=[tacna.code])).text
    assert "Unidad técnica" in page and "CITEagroindustrial Moquegua" in page and "Tacna" in page
    page = client.get(reverse("portal:center_detail", args=["citemadera-y-del-mueble-lima"])).text
    assert "Ensayo de humedad de la madera" in page and "S/ 85,50" in page
    assert "Villa El Salvador" in page and "Madera" in page


def test_unknown_center_is_404(client):
    assert client.get(reverse("portal:center_detail", args=["no-existe"])).status_code == 404


def test_catalogue_search_by_words_ignores_accents(client, catalogue):
    page = client.get(reverse("portal:catalogue"), {"q": "energetica"}).text
    assert "Diagnóstico de eficiencia energética" in page
    assert "Ensayo de humedad" not in page


def test_catalogue_search_by_department_lists_centers_covering_it_nearest_first(client, catalogue):
    page = client.get(reverse("portal:catalogue"), {"departamento": "13"}).text  # La Libertad
    assert "Diagnóstico de eficiencia energética" in page
    assert "Ensayo de humedad" not in page  # CITEmadera serves Lima, not La Libertad
    serving = page.split("Centros que atienden esta región")[1].split("</ol>")[0]
    assert serving.index("CITEcuero y calzado Trujillo") < serving.index(
        "CITEagroindustrial Chavimochic"
    )


def test_catalogue_search_with_an_unknown_code_says_which_and_lists_nothing(client, catalogue):
    response = client.get(reverse("portal:catalogue"), {"departamento": "zz", "cadena": "madera"})
    assert response.status_code == 400
    alert = response.text.split('role="alert"')[1].split("</div>")[0]
    assert "No se pudo aplicar el filtro" in alert
    assert "Mi región: código desconocido «zz»." in alert
    assert "Cadena productiva" not in alert  # the known code is not blamed
    assert "Ensayo de humedad" not in response.text  # no result pretends the filter applied
    overlong = client.get(reverse("portal:catalogue"), {"q": "a" * 150})
    assert overlong.status_code == 400 and "Buscar: Asegúrese" in overlong.text


def test_catalogue_free_filter_shows_programme_and_end_date(client, catalogue):
    programme = catalogue[1].programme
    programme.ends_on = timezone.localdate() + timedelta(days=1)  # still running tomorrow
    programme.save()
    page = client.get(reverse("portal:catalogue"), {"gratuitos": "on"}).text
    assert "Ensayo de humedad" not in page
    ends = formats.date_format(programme.ends_on, "j \\d\\e F \\d\\e Y")
    assert "Gratuito" in page and ends in page


def test_a_programme_past_its_end_is_shown_as_ended_never_as_free(client, catalogue):
    programme = catalogue[1].programme
    programme.ends_on = timezone.localdate() - timedelta(days=1)  # ended yesterday
    programme.save()
    ended = f"programa concluido el {programme.ends_on:%d/%m/%Y}"
    free = client.get(reverse("portal:catalogue"), {"gratuitos": "on"}).text
    assert "Diagnóstico de eficiencia energética" not in free  # not offered as free
    for url in (
        reverse("portal:catalogue"),
        reverse("portal:catalogue_service", args=[catalogue[1].pk]),
        reverse("portal:center_detail", args=[catalogue[1].center.code]),
    ):
        page = client.get(url).text
        assert ended in page, url
        assert "Gratuito" not in page, url


def test_service_page_offers_a_request_button(client, catalogue):
    service = catalogue[0]
    page = client.get(reverse("portal:catalogue_service", args=[service.pk])).text
    assert "Solicitar este servicio" in page
    assert f"/solicitudes/nueva/?servicio={service.pk}" in page


def test_static_pages_render_in_spanish(client):
    assert "Servicios brindados" in client.get(reverse("portal:methodology")).text
    assert "Ley 29733" in client.get(reverse("portal:privacy")).text
