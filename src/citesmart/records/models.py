"""Service reports and the services they count (see docs/COUNTING.md), import batches, audit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    REGISTERED = "registrado", _("Registrado")
    VALIDATED = "validado", _("Validado")
    CANCELLED = "anulado", _("Anulado")


class ServiceReport(models.Model):
    """Informe de servicio: one activity of a center, attending one or more productive units."""

    center = models.ForeignKey(
        "network.Center", on_delete=models.PROTECT, related_name="reports", verbose_name=_("centro")
    )
    code = models.CharField(_("código del informe"), max_length=60)
    catalogue_service = models.ForeignKey(
        "network.CatalogueService",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("servicio del catálogo"),
    )
    category = models.ForeignKey(
        "network.ServiceCategory", on_delete=models.PROTECT, verbose_name=_("categoría")
    )
    chain = models.ForeignKey(
        "network.Chain", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("cadena")
    )
    start_date = models.DateField(_("fecha de inicio"))
    end_date = models.DateField(_("fecha de fin"))
    delivery_district = models.ForeignKey(
        "geo.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("lugar de prestación"),
        help_text=_("Por defecto, el distrito de la sede del centro."),
    )
    status = models.CharField(
        _("estado"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.REGISTERED
    )
    is_free = models.BooleanField(_("gratuito"), default=False)
    programme = models.ForeignKey(
        "network.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("programa"),
    )
    participants = models.PositiveIntegerField(_("participantes"), null=True, blank=True)
    hours = models.DecimalField(_("horas"), max_digits=7, decimal_places=1, null=True, blank=True)
    notes = models.TextField(_("observaciones"), blank=True)
    cancel_reason = models.CharField(_("motivo de anulación"), max_length=300, blank=True)
    import_batch = models.ForeignKey(
        "records.ImportBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("lote de importación"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("creado por"),
    )
    # Who entered the report's current content (set on every change but a status change):
    # with RECORDS_FOUR_EYES they may not validate it. Empty for the system and API tokens.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contenido registrado por"),
    )
    created_at = models.DateTimeField(_("registrado el"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizado el"), auto_now=True)

    class Meta:
        verbose_name = _("informe de servicio")
        verbose_name_plural = _("informes de servicio")
        ordering = ["-start_date", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "code"],
                name="report_code_unique_per_center",
                violation_error_message=_("Ya existe un informe con ese código en el centro."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="report_end_after_start",
                violation_error_message=_("La fecha de fin no puede ser anterior a la de inicio."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "start_date"]),
            models.Index(fields=["updated_at"]),
            # The back-office list's order (Meta.ordering plus the admin's "-pk"): its first
            # page is read from the index instead of sorting every report.
            models.Index(fields=["-start_date", "code", "-id"], name="report_list_order"),
            # The list's year filter, per center. (A search by code has a trigram index on
            # PostgreSQL: migration 0010.)
            models.Index(fields=["center", "end_date"], name="report_center_end_date"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.center}"


class Service(models.Model):
    """One productive unit attended on one report: the counting unit of the network."""

    report = models.ForeignKey(
        ServiceReport, on_delete=models.CASCADE, related_name="services", verbose_name=_("informe")
    )
    unit = models.ForeignKey(
        "units.ProductiveUnit",
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("unidad productiva"),
    )
    amount = models.DecimalField(
        _("monto cobrado (S/)"), max_digits=12, decimal_places=2, default=0
    )
    # The name the recorder typed for the unit on this report. Staff of a center that may
    # not see the unit's stored details (accounts.access.units_with_visible_details) see
    # this instead, so typing a known document never reveals another center's data.
    typed_name = models.CharField(_("nombre escrito en el informe"), max_length=250, blank=True)

    class Meta:
        verbose_name = _("servicio")
        verbose_name_plural = _("servicios (unidades atendidas)")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "unit"],
                name="service_unit_once_per_report",
                violation_error_message=_("La unidad productiva ya figura en este informe."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="service_amount_not_negative",
                violation_error_message=_("El monto no puede ser negativo."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report.code}: {self.unit}"


class ImportBatch(models.Model):
    """One spreadsheet import: who, when, the file, what it did; can be reverted."""

    class Status(models.TextChoices):
        DRY_RUN = "prueba", _("Solo verificación")
        REJECTED = "rechazado", _("Rechazado")
        COMMITTED = "registrado", _("Registrado")
        REVERTED = "revertido", _("Revertido")

    center = models.ForeignKey(
        "network.Center",
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=_("centro"),
    )
    file = models.FileField(_("archivo"), upload_to="imports/%Y/%m/", blank=True)
    filename = models.CharField(_("nombre del archivo"), max_length=255)
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices)
    rows = models.PositiveIntegerField(_("filas"), default=0)
    rejected_rows = models.PositiveIntegerField(_("filas rechazadas"), default=0)
    reports_created = models.PositiveIntegerField(_("informes creados"), default=0)
    reports_updated = models.PositiveIntegerField(_("informes actualizados"), default=0)
    reports_unchanged = models.PositiveIntegerField(_("informes sin cambios"), default=0)
    messages = models.JSONField(_("mensajes"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("importado por"),
    )
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revertido por"),
    )
    reverted_at = models.DateTimeField(_("revertido el"), null=True, blank=True)

    class Meta:
        verbose_name = _("lote de importación")
        verbose_name_plural = _("lotes de importación")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"


class ImportColumnMapping(models.Model):
    """A header a center's files use that is not in the template, and the template column it
    stands for (records.template.COLUMNS); chosen once on an import's page, applied to every
    later file of that center."""

    center = models.ForeignKey(
        "network.Center",
        on_delete=models.CASCADE,
        related_name="import_column_mappings",
        verbose_name=_("centro"),
    )
    header_key = models.CharField(_("clave del encabezado"), max_length=120)
    header = models.CharField(_("encabezado"), max_length=200)
    column = models.CharField(_("columna de la plantilla"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asignado por"),
    )
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("asignación de columna")
        verbose_name_plural = _("asignaciones de columnas")
        constraints = [
            models.UniqueConstraint(
                fields=["center", "header_key"], name="import_mapping_one_per_header"
            )
        ]

    def __str__(self) -> str:
        return f"{self.header} → {self.column}"


class AuditEntry(models.Model):
    """Who changed what, when and why. `before`/`after` are snapshots (records/snapshots.py)."""

    class Action(models.TextChoices):
        CREATE = "crear", _("Creación")
        UPDATE = "modificar", _("Modificación")
        CANCEL = "anular", _("Anulación")
        VALIDATE = "validar", _("Validación")
        MERGE = "fusionar", _("Fusión")
        REVERT = "revertir", _("Reversión")
        CLOSE = "cerrar", _("Cierre de mes")
        APPROVE = "aprobar", _("Aprobación de mes")
        RETURN = "devolver", _("Devolución de mes")
        REOPEN = "reabrir", _("Reapertura de mes")

    class Source(models.TextChoices):
        SCREEN = "pantalla", _("Pantalla")
        IMPORT = "importacion", _("Importación")
        API = "api", _("API")
        MERGE = "fusion", _("Fusión")
        SYSTEM = "sistema", _("Sistema")

    action = models.CharField(_("acción"), max_length=12, choices=Action.choices)
    source = models.CharField(_("origen"), max_length=12, choices=Source.choices)
    object_type = models.CharField(
        _("tipo de objeto"), max_length=40
    )  # "servicereport" | "productiveunit"
    object_id = models.PositiveBigIntegerField(_("id del objeto"))
    object_repr = models.CharField(_("objeto"), max_length=250)
    center = models.ForeignKey(
        "network.Center",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("centro"),
    )
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("lote"),
    )
    changes = models.JSONField(_("cambios"), default=dict, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("usuario"),
    )
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("entrada de auditoría")
        verbose_name_plural = _("auditoría")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class MonthStatus(models.TextChoices):
    OPEN = "abierto", _("Abierto")
    CLOSED = "cerrado", _("Cerrado, por aprobar")
    APPROVED = "aprobado", _("Aprobado")
    RETURNED = "devuelto", _("Devuelto")
    REOPENED = "reabierto", _("Reabierto")


LOCKED_MONTHS = (MonthStatus.CLOSED, MonthStatus.APPROVED)


class MonthClosing(models.Model):
    """One center's month on its way to official figures (records/closing.py).

    The center's manager closes it when no report of the month is left "registrado"; ITP
    approves it or returns it. A closed or approved month is locked: every write that would
    touch its reports is refused until ITP returns or reopens it. A month with no row is open.
    """

    center = models.ForeignKey(
        "network.Center",
        on_delete=models.PROTECT,
        related_name="month_closings",
        verbose_name=_("centro"),
    )
    year = models.PositiveSmallIntegerField(_("año"))
    month = models.PositiveSmallIntegerField(_("mes"))
    status = models.CharField(
        _("estado"), max_length=10, choices=MonthStatus.choices, default=MonthStatus.OPEN
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cerrado por"),
    )
    closed_at = models.DateTimeField(_("cerrado el"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("aprobado por"),
    )
    approved_at = models.DateTimeField(_("aprobado el"), null=True, blank=True)
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cierre mensual")
        verbose_name_plural = _("cierres mensuales")
        constraints = [
            models.UniqueConstraint(fields=["center", "year", "month"], name="one_closing_a_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="closing_month"),
        ]

    def __str__(self) -> str:
        return f"{self.center} {self.month:02d}/{self.year}: {self.get_status_display()}"

    @property
    def locked(self) -> bool:
        return self.status in LOCKED_MONTHS
