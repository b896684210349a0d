"""ITP's institutional tables per CITE and year: the aggregates the years before micro-records
exist in (docs: /work/shared/docs/ITP-TABLES.md), each row stamped with the batch that wrote it.

No natural person appears here: every figure is a count or an amount of a center.
Free-text dimensions (taxpayer type, funding source, contract modality, project aspect) keep
the label as ITP wrote it and a folded key (lib.text.fold_key) that identifies it.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from citesmart.network.models import Center, ServiceCategory
from citesmart.units.models import ClientType


class TableKind(models.TextChoices):
    """The tables a loader reads; the value is the CLI's --tabla word."""

    SERVICES = "servicios", _("Servicios por mes y subcategoría (TABLA_03_N01)")
    CLIENTS = "clientes", _("Clientes por mes y tipo de cliente (TABLA_02_N01)")
    CLIENTS_CIIU = "clientes_ciiu", _("Clientes por clase CIIU (TABLA_02_N03/N04)")
    CLIENTS_TAXPAYER = (
        "clientes_contribuyente",
        _("Clientes por tipo de contribuyente (TABLA_02_N05)"),
    )
    BUDGET = "presupuesto", _("Presupuesto institucional modificado, PIM (TABLA_05_N01)")
    EXECUTION = "ejecucion", _("Ejecución mensual por fuente de financiamiento (TABLA_05_N02)")
    STAFF = "personal", _("Personal por modalidad de contrato (TABLA_06_N01)")
    PROJECTS = "proyectos", _("Proyectos de inversión y estado por aspecto (TABLA_04_N02)")


class HistoricBatch(models.Model):
    """One load of one table: who, when, which file, what it did; revertible while it is the
    latest word on every (center, year) it touched."""

    class Status(models.TextChoices):
        DRY_RUN = "verificado", _("Verificado sin registrar")
        REJECTED = "rechazado", _("Rechazado")
        COMMITTED = "registrado", _("Registrado")
        REVERTED = "revertido", _("Revertido")

    kind = models.CharField(_("cuadro"), max_length=30, choices=TableKind.choices)
    file = models.FileField(_("archivo"), upload_to="historic/%Y/%m/", blank=True)
    filename = models.CharField(_("nombre del archivo"), max_length=255)
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices)
    is_demo = models.BooleanField(_("demostración"), default=False)
    rows = models.PositiveIntegerField(_("filas"), default=0)
    created = models.PositiveIntegerField(_("valores nuevos"), default=0)
    updated = models.PositiveIntegerField(_("valores cambiados"), default=0)
    deleted = models.PositiveIntegerField(_("valores reemplazados"), default=0)
    unchanged = models.PositiveIntegerField(_("valores sin cambios"), default=0)
    messages = models.JSONField(_("mensajes"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cargado por"),
    )
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revertido por"),
    )
    reverted_at = models.DateTimeField(_("revertido el"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("carga de cuadro histórico")
        verbose_name_plural = _("cargas de cuadros históricos")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.filename} · {self.get_status_display()}"


class HistoricChange(models.Model):
    """What a committed batch changed in one row (the audit trail, and what a revert undoes).

    `key` names the row (field -> value), `before`/`after` its values (None: absent)."""

    batch = models.ForeignKey(HistoricBatch, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField(max_length=60)
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=60)  # the (center, year) or (center, CUI) replaced
    key = models.JSONField(encoder=DjangoJSONEncoder)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["batch", "pk"]
        indexes = [models.Index(fields=["center", "scope"])]

    def __str__(self) -> str:
        return f"{self.model} {self.key}"


class _Row(models.Model):
    center = models.ForeignKey(
        Center, on_delete=models.PROTECT, related_name="+", verbose_name=_("centro")
    )
    batch = models.ForeignKey(
        HistoricBatch, on_delete=models.PROTECT, related_name="+", verbose_name=_("carga")
    )

    class Meta:
        abstract = True


def _unique(name: str, *fields: str) -> list[models.UniqueConstraint]:
    return [models.UniqueConstraint(fields=list(fields), name=f"historic_{name}_unique")]


_YEAR = _("año")
_MONTH = _("mes")


class HistoricServices(_Row):
    year = models.PositiveSmallIntegerField(_YEAR)
    month = models.PositiveSmallIntegerField(_MONTH)
    category = models.ForeignKey(
        ServiceCategory, on_delete=models.PROTECT, verbose_name=_("subcategoría")
    )
    services = models.PositiveIntegerField(_("servicios"))

    class Meta:
        verbose_name = _("servicios históricos (mes, subcategoría)")
        verbose_name_plural = _("servicios históricos (mes, subcategoría)")
        constraints = _unique("services", "center", "year", "month", "category")

    def __str__(self) -> str:
        return f"{self.center} · {self.year}-{self.month:02d} · {self.category}"


class HistoricClients(_Row):
    year = models.PositiveSmallIntegerField(_YEAR)
    month = models.PositiveSmallIntegerField(_MONTH)
    client_type = models.CharField(_("tipo de cliente"), max_length=30, choices=ClientType.choices)
    clients = models.PositiveIntegerField(_("clientes del mes"))

    class Meta:
        verbose_name = _("clientes históricos (mes, tipo)")
        verbose_name_plural = _("clientes históricos (mes, tipo)")
        constraints = _unique("clients", "center", "year", "month", "client_type")

    def __str__(self) -> str:
        return f"{self.center} · {self.year}-{self.month:02d} · {self.get_client_type_display()}"


class HistoricClientsByClass(_Row):
    year = models.PositiveSmallIntegerField(_YEAR)
    ciiu = models.CharField(_("clase CIIU rev. 4"), max_length=4)
    clients = models.PositiveIntegerField(_("empresas"))

    class Meta:
        verbose_name = _("clientes históricos por clase CIIU")
        verbose_name_plural = _("clientes históricos por clase CIIU")
        constraints = _unique("ciiu", "center", "year", "ciiu")

    def __str__(self) -> str:
        return f"{self.center} · {self.year} · CIIU {self.ciiu}"


class HistoricClientsByTaxpayer(_Row):
    year = models.PositiveSmallIntegerField(_YEAR)
    taxpayer_type = models.CharField(_("tipo de contribuyente"), max_length=150)
    taxpayer_key = models.CharField(max_length=150, editable=False)
    clients = models.PositiveIntegerField(_("empresas"))

    class Meta:
        verbose_name = _("clientes históricos por tipo de contribuyente")
        verbose_name_plural = _("clientes históricos por tipo de contribuyente")
        constraints = _unique("taxpayer", "center", "year", "taxpayer_key")

    def __str__(self) -> str:
        return f"{self.center} · {self.year} · {self.taxpayer_type}"


class Budget(_Row):
    year = models.PositiveSmallIntegerField(_YEAR)
    pim = models.DecimalField(_("PIM (S/)"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("presupuesto (PIM)")
        verbose_name_plural = _("presupuestos (PIM)")
        constraints = _unique("budget", "center", "year")

    def __str__(self) -> str:
        return f"{self.center} · {self.year} · PIM"


class BudgetExecution(_Row):
    year = models.PositiveSmallIntegerField(_YEAR)
    month = models.PositiveSmallIntegerField(_MONTH)
    source = models.CharField(_("fuente de financiamiento"), max_length=150)
    source_key = models.CharField(max_length=150, editable=False)
    amount = models.DecimalField(_("ejecutado (S/)"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("ejecución presupuestal mensual")
        verbose_name_plural = _("ejecución presupuestal mensual")
        constraints = _unique("execution", "center", "year", "month", "source_key")

    def __str__(self) -> str:
        return f"{self.center} · {self.year}-{self.month:02d} · {self.source}"


class Staff(_Row):
    year = models.PositiveSmallIntegerField(_YEAR)
    modality = models.CharField(_("modalidad de contrato"), max_length=150)
    modality_key = models.CharField(max_length=150, editable=False)
    directivo = models.PositiveIntegerField(_("directivos"))
    tecnico = models.PositiveIntegerField(_("técnicos"))
    operativo = models.PositiveIntegerField(_("operativos"))
    administrativo = models.PositiveIntegerField(_("administrativos"))
    practicante = models.PositiveIntegerField(_("practicantes"))

    class Meta:
        verbose_name = _("personal por modalidad")
        verbose_name_plural = _("personal por modalidad")
        constraints = _unique("staff", "center", "year", "modality_key")

    def __str__(self) -> str:
        return f"{self.center} · {self.year} · {self.modality}"


class InvestmentProject(_Row):
    cui = models.CharField(_("CUI"), max_length=20)
    name = models.CharField(_("nombre del proyecto"), max_length=500)
    amount = models.DecimalField(
        _("monto de inversión (S/)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    start = models.DateField(_("inicio"), null=True, blank=True)
    end = models.DateField(_("fin"), null=True, blank=True)

    class Meta:
        verbose_name = _("proyecto de inversión")
        verbose_name_plural = _("proyectos de inversión")
        constraints = _unique("project", "center", "cui")

    def __str__(self) -> str:
        return f"{self.cui} · {self.name}"


class ProjectAspect(models.Model):
    project = models.ForeignKey(InvestmentProject, on_delete=models.CASCADE, related_name="aspects")
    aspect = models.CharField(_("aspecto"), max_length=150)
    aspect_key = models.CharField(max_length=150, editable=False)
    status = models.CharField(_("estado"), max_length=300)
    date = models.DateField(_("fecha"), null=True, blank=True)
    batch = models.ForeignKey(
        HistoricBatch, on_delete=models.PROTECT, related_name="+", verbose_name=_("carga")
    )

    class Meta:
        verbose_name = _("estado de un aspecto del proyecto")
        verbose_name_plural = _("estado de los aspectos de los proyectos")
        constraints = _unique("aspect", "project", "aspect_key")

    def __str__(self) -> str:
        return f"{self.project.cui} · {self.aspect}"
