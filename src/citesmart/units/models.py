"""Productive units (enterprises, producers, associations): one record network-wide."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from citesmart.lib.identity import DocumentType, is_personal_document


class ClientType(models.TextChoices):
    """ITP's client types."""

    FORMAL_ENTERPRISE = "empresa_formal", _("Empresa formal")
    NATURAL_PERSON_BUSINESS = "persona_natural_negocio", _("Persona natural con negocio")
    ASSOCIATION = "asociacion_cooperativa", _("Asociación / cooperativa")
    ENTREPRENEUR = "emprendedor", _("Emprendedor")
    ACADEMIA = "academia", _("Academia")
    OTHER = "otros", _("Otros")


class SizeClass(models.TextChoices):
    MICRO = "micro", _("Microempresa")
    SMALL = "pequena", _("Pequeña empresa")
    MEDIUM = "mediana", _("Mediana empresa")
    LARGE = "grande", _("Gran empresa")
    UNKNOWN = "sin_dato", _("Sin dato")


class ProductiveUnit(models.Model):
    """A productive unit served by the network.

    Identity: one RUC is one unit; a RUC 10 and the DNI inside it are the same person, so
    `person_dni` holds that DNI for both and lookups go through it (units/queries.py). A unit
    without document (informal producer) is identified by name + district + registering center.
    Merged duplicates keep their row, pointing at the survivor through `merged_into`.
    """

    document_type = models.CharField(
        _("tipo de documento"), max_length=10, choices=[(d.value, d.label) for d in DocumentType]
    )
    document_number = models.CharField(_("número de documento"), max_length=12, blank=True)
    person_dni = models.CharField(
        _("DNI de la persona"),
        max_length=8,
        blank=True,
        db_index=True,
        help_text=_("DNI de una persona natural, también cuando se registra con RUC 10."),
    )
    name = models.CharField(_("razón social o nombre"), max_length=250)
    client_type = models.CharField(_("tipo de cliente"), max_length=30, choices=ClientType.choices)
    size_class = models.CharField(
        _("tamaño"), max_length=10, choices=SizeClass.choices, default=SizeClass.UNKNOWN
    )
    taxpayer_type = models.CharField(_("tipo de contribuyente (SUNAT)"), max_length=120, blank=True)
    ciiu = models.CharField(_("CIIU"), max_length=10, blank=True)
    chains = models.ManyToManyField("network.Chain", blank=True, verbose_name=_("cadenas"))
    department = models.ForeignKey(
        "geo.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("departamento"),
    )
    district = models.ForeignKey(
        "geo.District", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("distrito")
    )
    registered_by = models.ForeignKey(
        "network.Center",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("centro que la registró"),
    )
    email = models.EmailField(_("correo"), blank=True)
    phone = models.CharField(_("teléfono"), max_length=50, blank=True)
    consent_date = models.DateField(_("fecha del consentimiento"), null=True, blank=True)
    consent_channel = models.CharField(_("medio del consentimiento"), max_length=80, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_units",
        verbose_name=_("fusionada en"),
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("unidad productiva")
        verbose_name_plural = _("unidades productivas")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_number"],
                condition=~Q(document_number="") & Q(merged_into__isnull=True),
                name="unit_document_unique",
                violation_error_message=_("Ya existe una unidad productiva con ese documento."),
            ),
        ]
        indexes = [models.Index(fields=["document_number"]), models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.document_label})"

    @property
    def document_label(self) -> str:
        if self.document_type == DocumentType.NONE:
            return str(_("sin documento"))
        return f"{DocumentType(self.document_type).label} {self.document_number}"

    @property
    def is_natural_person(self) -> bool:
        """Its name, document and contact are personal data (Ley 29733): never public."""
        return (
            bool(self.person_dni)
            or is_personal_document(self.document_type, self.document_number)
            or (self.document_type == DocumentType.NONE)
        )
