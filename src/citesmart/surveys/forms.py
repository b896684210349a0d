"""The answer forms: the same fields for the public link, paper and phone entry."""

from django import forms
from django.utils.translation import gettext_lazy as _

from citesmart.surveys.models import SCORE_FIELDS, ChangeRange, Response, SavingRange

SCORES = [(str(n), str(n)) for n in range(1, 6)]
YES_NO = [("si", _("Sí")), ("no", _("No"))]

QUESTIONS = {
    "q_attention": _("¿Cómo califica la atención que recibió?"),
    "q_timeliness": _("¿Se cumplieron los plazos acordados?"),
    "q_quality": _("¿Cómo califica la calidad técnica del servicio?"),
    "q_staff": _("¿El personal conocía bien el tema?"),
    "q_usefulness": _("¿Qué tan útil fue el servicio para su negocio?"),
}
OUTCOMES = {
    "improved": _("¿Adoptó alguna mejora o técnica aprendida en el servicio?"),
    "new_product": _("¿Lanzó un producto nuevo o mejorado?"),
    "certification": _("¿Obtuvo alguna certificación?"),
    "new_market": _("¿Llegó a un nuevo mercado o exportó?"),
}


def _yes_no(label, required=True):
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "si",
        widget=forms.RadioSelect,
        required=required,
        error_messages={"required": _("Elija «Sí» o «No».")},
    )


class SatisfactionForm(forms.Form):
    recommend = _yes_no(_("¿Recomendaría el servicio?"))
    comment = forms.CharField(
        label=_("Comentario (opcional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scores = {
            name: forms.TypedChoiceField(
                label=QUESTIONS[name],
                choices=SCORES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Elija un valor del 1 al 5."),
                    "invalid_choice": _("La respuesta debe ser un número del 1 al 5."),
                },
            )
            for name in SCORE_FIELDS
        }
        self.fields = scores | self.fields


class FollowUpForm(forms.Form):
    improved = _yes_no(OUTCOMES["improved"])
    new_product = _yes_no(OUTCOMES["new_product"])
    certification = _yes_no(OUTCOMES["certification"])
    new_market = _yes_no(OUTCOMES["new_market"])
    sales_change = forms.ChoiceField(
        label=_("Desde el servicio, sus ventas…"), choices=ChangeRange.choices
    )
    jobs_change = forms.ChoiceField(
        label=_("Desde el servicio, sus trabajadores…"), choices=ChangeRange.choices
    )
    savings = forms.ChoiceField(
        label=_("¿Redujo costos, mermas o consumo de energía?"), choices=SavingRange.choices
    )
    comment = SatisfactionForm.base_fields["comment"]


class EvidenceForm(forms.Form):
    evidence = forms.FileField(label=_("Evidencia (opcional, privada)"), required=False)


def form_for(kind: str):
    from citesmart.surveys.models import Kind

    return SatisfactionForm if kind == Kind.SATISFACTION else FollowUpForm


ANSWER_FIELDS = {f.name for f in Response._meta.fields} - {
    "id",
    "invitation",
    "channel",
    "entered_by",
    "created_at",
    "evidence",
}
