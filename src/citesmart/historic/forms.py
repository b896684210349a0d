from django import forms
from django.utils.translation import gettext_lazy as _

from citesmart.historic.models import TableKind


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Cuadro"), choices=TableKind.choices)
    file = forms.FileField(
        label=_("Archivo"),
        help_text=_(
            "Libro de Excel (.xlsx) o CSV con las columnas del cuadro del ITP; puede tener "
            "filas de título encima, encabezados combinados y una fila de totales al final."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Solo verificar"),
        required=False,
        help_text=_("Revisa el archivo y dice qué cambiaría, sin registrar nada."),
    )
