"""Refusals and missing pages answer in Spanish, as the 500 and 503 pages do (a user-path
review found Django's English "403 Forbidden" and "Not Found")."""

from django.urls import reverse


def test_a_missing_page_says_so_in_spanish(client, network):
    page = client.get("/centros/no-existe/")
    assert page.status_code == 404
    text = page.content.decode()
    assert "Página no encontrada" in text and "Not Found" not in text
    assert 'lang="es-PE"' in text


def test_a_refused_action_says_so_in_spanish(client_for, analyst):
    page = client_for(analyst).get(reverse("admin:auth_user_changelist"))
    assert page.status_code == 403
    text = page.content.decode()
    assert "Acceso no permitido" in text and "Forbidden" not in text
