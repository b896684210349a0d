from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from citesmart.geo.models import District
from citesmart.geo.queries import find_district_by_code, find_districts_by_name
from citesmart.lib.identity import DocumentType, InvalidDocument, clean_document
from citesmart.network.models import Center, Chain
from citesmart.network.registry import Registry


def by_code(queryset, label, empty_label, *, required: bool = False) -> forms.ModelChoiceField:
    """A choice of registry rows addressed by their code, as in shareable URLs."""
    return forms.ModelChoiceField(
        queryset, label=label, required=required, to_field_name="code", empty_label=empty_label
    )


def registry_choice(label) -> forms.CharField:
    """A registry row chosen by its code; the codes are checked against the registry in clean."""
    return forms.CharField(label=label, required=False, widget=forms.Select)


class CatalogueSearchForm(forms.Form):
    """The catalogue search over the in-memory registry (no query).

    Validating needs no choice list, only the registry's {code: row} maps; the <option>s are
    set by `with_options()` just before rendering (the portal renders it once per query).
    """

    q = forms.CharField(label=_("Buscar"), required=False, max_length=100)
    departamento = registry_choice(_("Mi región"))
    cadena = registry_choice(_("Cadena productiva"))
    categoria = registry_choice(_("Tipo de servicio"))
    programa = registry_choice(_("Programa"))
    gratuitos = forms.BooleanField(label=_("Solo servicios gratuitos"), required=False)

    def __init__(self, data=None, *, within: Registry) -> None:
        super().__init__(data)
        # field -> (rows by code, label of the empty choice); cleaned values are the rows.
        self.rows = {
            "departamento": (within.departments, _("Todo el Perú")),
            "cadena": (within.chains, _("Todas")),
            "categoria": (within.categories, _("Todos")),
            "programa": (within.programmes, _("Cualquiera")),
        }

    def clean(self) -> dict:
        data = super().clean() or {}
        for name, (rows, _empty) in self.rows.items():
            code = data.get(name)
            if code and code not in rows:
                self.add_error(name, UNKNOWN_CODE % {"value": code})
            elif name in data:
                data[name] = rows[code] if code else None
        return data

    def with_options(self) -> "CatalogueSearchForm":
        for name, (rows, empty) in self.rows.items():
            options = [("", empty), *((code, str(row)) for code, row in rows.items())]
            self.fields[name].widget.choices = options
        return self


# As the dashboard says it (analytics.queries), after the field's label (views.catalogue).
UNKNOWN_CODE = _("código desconocido «%(value)s».")


class ServiceRequestForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("Tipo de documento"),
        choices=[(DocumentType.RUC.value, "RUC"), (DocumentType.DNI.value, "DNI")],
    )
    document_number = forms.CharField(label=_("Número de documento"), max_length=15)
    name = forms.CharField(label=_("Nombre o razón social"), max_length=200)
    email = forms.EmailField(label=_("Correo electrónico"))
    phone = forms.CharField(label=_("Teléfono (opcional)"), max_length=30, required=False)
    district = forms.CharField(
        label=_("Distrito (código ubigeo de 6 dígitos o nombre)"),
        max_length=100,
        help_text=_("Por ejemplo 150142 o «Villa El Salvador»."),
    )
    chain = by_code(Chain.objects.all(), _("Cadena productiva"), _("No sé / otra"))
    center = forms.ModelChoiceField(
        Center.objects.all(), label=_("Centro preferido"), to_field_name="code"
    )
    need = forms.CharField(
        label=_("¿Qué necesita?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    consent = forms.BooleanField(
        label=mark_safe(
            "Autorizo el tratamiento de mis datos personales para atender esta solicitud, según la "
            '<a href="/privacidad/">política de privacidad</a> (Ley 29733).'
        ),
        error_messages={
            "required": _("Debe autorizar el tratamiento de sus datos para enviar la solicitud.")
        },
    )
    # Honeypot: hidden from people by CSS; bots fill every field.
    website = forms.CharField(required=False, label=_("No llenar"))

    def clean_document_number(self) -> str:
        kind = self.data.get("document_type", DocumentType.RUC.value)
        try:
            return clean_document(kind, self.cleaned_data["document_number"])
        except InvalidDocument as error:
            raise forms.ValidationError(str(error)) from error

    def clean_district(self) -> District:
        text = self.cleaned_data["district"].strip()
        found = [find_district_by_code(text)] if text.isdigit() else find_districts_by_name(text)
        found = [d for d in found if d is not None]
        if len(found) > 1:  # the same name in several places: say which, with their codes
            options = "; ".join(
                f"{d.name} ({d.province.name}, {d.department.name}): {d.code}"
                for d in sorted(found, key=lambda d: d.code)[:10]
            )
            raise forms.ValidationError(
                _("Hay varios distritos con ese nombre; escriba el código del suyo: %(options)s.")
                % {"options": options}
            )
        if not found:
            raise forms.ValidationError(
                _(
                    "No encontramos ese distrito. Revise el nombre o use el código ubigeo de "
                    "6 dígitos."
                )
            )
        return found[0]
