"""A district typed by name or ubigeo, with suggestions: a plain text input (a <datalist> is
filled as one types by static/citesmart/suggest.js from the entry screen's search URL);
without JavaScript the name or code typed is resolved on the server all the same. Replaces a
select of 1,891 districts (and the admin's select2 with its jQuery). The units' search for
the same script is here too."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse_lazy

from citesmart.geo.models import District
from citesmart.records.imports.places import find_district, label, search
from citesmart.records.queries import units_for_user

SEARCH_URL = reverse_lazy("admin:records_servicereport_districts")
UNIT_SEARCH_URL = reverse_lazy("admin:records_servicereport_units")
SUGGEST_JS = "citesmart/suggest.js"


class DistrictInput(forms.TextInput):
    """Shows a district as «Nombre, Provincia, Departamento (ubigeo 123456)»."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "autocomplete": "off",
            "spellcheck": "false",
            "class": "district-input",
            "placeholder": "Nombre del distrito o ubigeo",
        }
        super().__init__({**base, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-suggest"] = str(SEARCH_URL)
        return context

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, District):
            return label(value)
        if isinstance(value, str) and value.isdigit() and len(value) == 6:
            found = District.objects.select_related("province", "department").filter(pk=value)
            return label(found[0]) if found else value
        return super().format_value(value)

    @property
    def media(self) -> forms.Media:
        return forms.Media(js=[SUGGEST_JS])


class DistrictField(forms.Field):
    """Cleans to a District; a Spanish error naming the candidates when the name is shared."""

    widget = DistrictInput

    def __init__(self, *, queryset=None, limit_choices_to=None, to_field_name=None, **kwargs):
        kwargs.pop("blank", None)
        kwargs.pop("empty_label", None)
        super().__init__(**kwargs)
        self.help_text = self.help_text or (
            "Escriba el nombre y elija de la lista, o escriba el ubigeo de 6 dígitos."
        )

    def prepare_value(self, value: Any) -> Any:
        return value

    def to_python(self, value: Any) -> District | None:
        if isinstance(value, District):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return find_district(text)
        except ValueError as error:
            message = str(error)
            raise ValidationError(message[:1].upper() + message[1:] + ".") from None

    def has_changed(self, initial: Any, data: Any) -> bool:
        before = initial.pk if isinstance(initial, District) else (initial or "")
        try:
            after = self.to_python(data)
        except ValidationError:
            return True
        return str(before) != (after.pk if after else "")


def district_search(request) -> JsonResponse:
    """GET ?q=: up to 15 districts by the start of their name (or ubigeo), as labels to pick.
    The geography is public reference data: any staff member (the admin view) may ask."""
    found = search(request.GET.get("q", "")[:100])
    results = [{"id": d.pk, "value": label(d), "label": label(d)} for d in found]
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, max-age=3600"
    return response


def unit_search(request) -> JsonResponse:
    """GET ?q=: up to 10 productive units by the start of their document number (3 digits or
    more) or a part of their name (3 letters or more), among those whose details the user
    may see (records.queries.units_for_user: accounts.access decides), never others."""
    text = request.GET.get("q", "").strip()[:100]
    units = units_for_user(request.user).filter(merged_into__isnull=True)
    if text.isdigit() and len(text) >= 3:
        units = units.filter(Q(document_number__startswith=text) | Q(person_dni__startswith=text))
    elif len(text) >= 3 and not text.isdigit():
        units = units.filter(name__icontains=text)
    else:
        units = units.none()
    results = [
        {
            "value": unit.document_number or unit.name,
            "label": f"{unit.document_label} · {unit.name}",
            "kind": unit.document_type,
        }
        for unit in units.order_by("name", "pk")[:10]
    ]
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response
