from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citesmart.network.models import Center, Chain, ServiceCategory
from citesmart.targets.models import Indicator, Phasing


class TargetForm(forms.Form):
    """Set a target or revise it (a revision must say why; the action checks that)."""

    center = forms.ModelChoiceField(
        label=_("Centro"),
        queryset=Center.objects.all(),
        required=False,
        empty_label=_("Red CITE (meta nacional)"),
    )
    year = forms.IntegerField(label=_("Año"), min_value=2000, max_value=2100)
    indicator = forms.ChoiceField(label=_("Indicador"), choices=Indicator.choices)
    value = forms.DecimalField(label=_("Meta anual"), min_value=0, max_digits=16, decimal_places=2)
    phasing = forms.ChoiceField(
        label=_("Distribución mensual"), choices=Phasing.choices, initial=Phasing.SEASONAL
    )
    category = forms.ModelChoiceField(
        label=_("Categoría (opcional)"), queryset=ServiceCategory.objects.all(), required=False
    )
    chain = forms.ModelChoiceField(
        label=_("Cadena (opcional)"), queryset=Chain.objects.all(), required=False
    )
    reason = forms.CharField(
        label=_("Motivo"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Obligatorio al revisar una meta: queda en el historial."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Archivo"),
        help_text=_("Libro de Excel (.xlsx) o CSV con los encabezados de la plantilla."),
    )
