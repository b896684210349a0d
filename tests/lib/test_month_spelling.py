"""One spelling of the months everywhere: es-PE writes "setiembre"."""

from pathlib import Path

import pytest
from django.urls import reverse

import citesmart
from citesmart.historic.tables import month_keys
from citesmart.lib.months import month_label

SRC = Path(citesmart.__file__).parent


def test_september_is_setiembre():
    assert month_label(2025, 9) == "setiembre de 2025"


def test_no_module_spells_the_months_itself():
    """Month names live in lib/months.py only (they were spelled in four places, two ways)."""
    spelled = [
        path.relative_to(SRC)
        for path in SRC.rglob("*")
        if path.suffix in {".py", ".html", ".js"}
        and path.name != "months.py"
        and "noviembre" in path.read_text(encoding="utf-8")
    ]
    assert spelled == []


def test_a_spreadsheet_header_may_use_either_spelling():
    assert {"septiembre", "setiembre", "mes09", "messet"} <= month_keys(9)


@pytest.mark.django_db
def test_validation_screen_names_september_setiembre(client_for, manager_a, center_a):
    url = reverse("admin:records_servicereport_validation")
    page = client_for(manager_a).get(f"{url}?centro={center_a.code}&mes=2025-09")
    text = page.content.decode()
    assert "setiembre de 2025" in text and "septiembre" not in text
