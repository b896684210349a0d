"""Surveys of the units served: satisfaction right after a service, follow-up waves later.

Contact data and individual answers are personal data (Ley 29733): they stay in the back
office, for ITP's national staff. Only aggregates (analytics.surveyresults) are ever published.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SATISFACTION = "satisfaccion", _("Satisfacción")
    FOLLOW_UP = "seguimiento", _("Seguimiento de resultados")


class Wave(models.Model):
    """Ola de seguimiento: a random sample of the units served in a period, drawn by ITP."""

    name = models.CharField(_("nombre"), max_length=120)
    months_after = models.PositiveSmallIntegerField(_("meses después del servicio"))
    served_from = models.DateField(_("servicios terminados desde"))
    served_to = models.DateField(_("servicios terminados hasta"))
    margin = models.DecimalField(
        _("margen de error objetivo"),
        max_digits=4,
        decimal_places=3,
        default=0.10,
        help_text=_("Por centro, al 95 %; p. ej. 0,10 = ±10 puntos."),
    )
    exclude_months = models.PositiveSmallIntegerField(
        _("excluir unidades encuestadas en los últimos (meses)"), default=6
    )
    seed = models.BigIntegerField(_("semilla"), null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sorteada por"),
    )
    drawn_at = models.DateTimeField(_("sorteada el"), null=True, blank=True)
    created_at = models.DateTimeField(_("creada el"), auto_now_add=True)

    class Meta:
        verbose_name = _("ola de seguimiento")
        verbose_name_plural = _("olas de seguimiento")
        ordering = ["-served_to", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(margin__gt=0) & Q(margin__lt=1), name="wave_margin_range"
            ),
            models.CheckConstraint(
                condition=Q(served_from__lte=models.F("served_to")), name="wave_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stratum(models.Model):
    """One stratum of a wave's draw (center × chain): its population N_h and sample n_h."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="strata")
    center = models.ForeignKey("network.Center", on_delete=models.PROTECT, related_name="+")
    chain = models.ForeignKey(
        "network.Chain", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    population = models.PositiveIntegerField(_("población (N)"))
    sample_size = models.PositiveIntegerField(_("muestra (n)"))

    class Meta:
        verbose_name = _("estrato")
        verbose_name_plural = _("estratos")

    def __str__(self) -> str:
        return f"{self.center_id}/{self.chain_id or '-'}: {self.sample_size}/{self.population}"


class Invitation(models.Model):
    """One unit asked about one service (the report), by link, paper or phone."""

    kind = models.CharField(_("encuesta"), max_length=12, choices=Kind.choices)
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    stratum = models.ForeignKey(
        Stratum, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    report = models.ForeignKey("records.ServiceReport", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("units.ProductiveUnit", on_delete=models.PROTECT, related_name="+")
    center = models.ForeignKey("network.Center", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(_("correo de contacto"), blank=True)
    created_at = models.DateTimeField(_("creada el"), auto_now_add=True)
    sent_at = models.DateTimeField(_("enviada el"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitación")
        verbose_name_plural = _("invitaciones")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "unit"],
                condition=Q(kind="satisfaccion"),
                name="one_satisfaction_invitation_per_service",
            ),
            models.UniqueConstraint(fields=["wave", "unit"], name="one_invitation_per_wave_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Link(models.Model):
    """A single-use link: only the SHA-256 of its random token is kept."""

    class Channel(models.TextChoices):
        EMAIL = "correo", _("Correo")
        PAPER = "papel", _("Formulario en papel")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    expires_at = models.DateTimeField(_("vence el"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enlace")
        verbose_name_plural = _("enlaces")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class Channel(models.TextChoices):
    LINK = "enlace", _("Enlace (la unidad)")
    PAPER = "papel", _("Papel (digitado)")
    PHONE = "telefono", _("Teléfono (personal del ITP)")


class ChangeRange(models.TextChoices):
    DOWN = "bajo", _("Disminuyó")
    SAME = "igual", _("Se mantuvo")
    UP_10 = "hasta10", _("Aumentó hasta 10 %")
    UP_25 = "hasta25", _("Aumentó entre 10 % y 25 %")
    UP_MORE = "mas25", _("Aumentó más de 25 %")
    UNKNOWN = "nosabe", _("No sabe")


class SavingRange(models.TextChoices):
    NONE = "ninguna", _("Ninguna")
    UP_10 = "hasta10", _("Hasta 10 %")
    UP_25 = "hasta25", _("Entre 10 % y 25 %")
    MORE = "mas25", _("Más de 25 %")
    NOT_APPLICABLE = "noaplica", _("No aplica")


SCORE_FIELDS = ("q_attention", "q_timeliness", "q_quality", "q_staff", "q_usefulness")
YES_NO_FIELDS = ("improved", "new_product", "certification", "new_market")


def _score(label):
    return models.PositiveSmallIntegerField(label, null=True, blank=True)


class Response(models.Model):
    """The one answer of an invitation (OneToOne: a second submission cannot be stored)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    channel = models.CharField(_("medio"), max_length=10, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("digitada por"),
    )
    created_at = models.DateTimeField(_("respondida el"), auto_now_add=True)
    q_attention = _score(_("Atención recibida"))
    q_timeliness = _score(_("Cumplimiento de plazos"))
    q_quality = _score(_("Calidad técnica"))
    q_staff = _score(_("Conocimiento del personal"))
    q_usefulness = _score(_("Utilidad para su negocio"))
    recommend = models.BooleanField(_("¿Recomendaría el servicio?"), null=True, blank=True)
    comment = models.TextField(_("comentario"), blank=True, max_length=2000)
    improved = models.BooleanField(_("Mejora o técnica adoptada"), null=True, blank=True)
    new_product = models.BooleanField(_("Producto nuevo o mejorado"), null=True, blank=True)
    certification = models.BooleanField(_("Certificación obtenida"), null=True, blank=True)
    new_market = models.BooleanField(_("Nuevo mercado o exportación"), null=True, blank=True)
    sales_change = models.CharField(
        _("Cambio en ventas"), max_length=8, choices=ChangeRange.choices, blank=True
    )
    jobs_change = models.CharField(
        _("Cambio en empleos"), max_length=8, choices=ChangeRange.choices, blank=True
    )
    savings = models.CharField(
        _("Reducción de costos, mermas o energía"),
        max_length=8,
        choices=SavingRange.choices,
        blank=True,
    )
    # Private storage: the file is served to nobody by the web server (back office only).
    evidence = models.FileField(_("evidencia (privada)"), upload_to="surveys/evidence/", blank=True)

    class Meta:
        verbose_name = _("respuesta")
        verbose_name_plural = _("respuestas")
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (1, 5)}),
                name=f"response_{name}_1_5",
            )
            for name in SCORE_FIELDS
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class ContactAttempt(models.Model):
    """Who tried to reach which unit, when, how and with what outcome (non-response tracked)."""

    class Outcome(models.TextChoices):
        SENT = "enviado", _("Enviado")
        NO_ANSWER = "sin_respuesta", _("No contesta")
        WRONG = "dato_errado", _("Dato de contacto errado")
        REFUSED = "rechaza", _("No desea participar")
        LATER = "volver", _("Volver a llamar")
        REACHED = "contactado", _("Contactado")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="attempts")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("medio"), max_length=10)
    outcome = models.CharField(_("resultado"), max_length=14, choices=Outcome.choices)
    note = models.CharField(_("nota"), max_length=300, blank=True)
    at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        verbose_name = _("intento de contacto")
        verbose_name_plural = _("intentos de contacto")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.at:%Y-%m-%d})"


class SurveyEvent(models.Model):
    """Audit trail of the surveys: who drew, invited, contacted, keyed in, and when."""

    class Action(models.TextChoices):
        DRAW = "sorteo", _("Sorteo")
        INVITE = "invitacion", _("Invitación")
        PAPER = "formulario", _("Formulario en papel")
        CONTACT = "contacto", _("Contacto")
        ANSWER = "respuesta", _("Respuesta")

    action = models.CharField(_("acción"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, null=True, blank=True)
    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("fecha"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("registro de auditoría de encuestas")
        verbose_name_plural = _("auditoría de encuestas")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"
