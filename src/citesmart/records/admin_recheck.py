"""The batch page's second look at a checked file: another sheet, or the file's own headers
assigned to the template's columns (remembered for the center, records.imports.mapping)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from citesmart.records.imports.mapping import center_mappings
from citesmart.records.models import ImportBatch
from citesmart.records.template import COLUMNS, column_key


def _first(batch: ImportBatch) -> dict:
    first = (batch.messages or [{}])[0]
    return first if isinstance(first, dict) else {}


def column_choices() -> list[tuple[str, str]]:
    return [("", _("— no importar esta columna —"))] + [
        (c.name, f"{c.name}{' *' if c.required else ''}") for c in COLUMNS
    ]


class RecheckForm(forms.Form):
    """A select of the workbook's sheets (when it has several) and one select per header the
    check did not recognise; the field names of the latter are "col-<n>"."""

    def __init__(self, *args, batch: ImportBatch, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        first = _first(batch)
        sheets = [str(s) for s in first.get("sheets") or []]
        # The headers not recognised, then those read through the center's mappings (to
        # correct a mapping: "— no importar —" forgets it).
        headers = [*(first.get("unknown_headers") or []), *(first.get("mapped_headers") or [])]
        self.headers = [str(h) for h in headers][:60]
        if len(sheets) > 1:
            self.fields["sheet"] = forms.ChoiceField(
                label=_("Hoja"),
                choices=[(s, s) for s in sheets],
                initial=first.get("sheet") or sheets[0],
                help_text=_("La hoja del libro que se verifica."),
            )
        known = center_mappings(batch.center)
        for index, header in enumerate(self.headers):
            self.fields[f"col-{index}"] = forms.ChoiceField(
                label=_("Columna «%(header)s» del archivo") % {"header": header},
                choices=column_choices(),
                required=False,
                initial=known.get(column_key(header), ""),
            )

    @property
    def has_fields(self) -> bool:
        return bool(self.fields)

    def mapping(self) -> dict[str, str]:
        """{header as written: template column, or "" to forget its mapping}."""
        return {
            header: self.cleaned_data.get(f"col-{index}") or ""
            for index, header in enumerate(self.headers)
        }
