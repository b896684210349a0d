"""The registry of the CITE network: centers, chains, categories, programmes, catalogue."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citesmart.geo.models import Department, District
from citesmart.lib.text import fold


class Chain(models.Model):
    """Cadena productiva (e.g. cuero y calzado, textil camélidos)."""

    code = models.SlugField(_("código"), max_length=60, unique=True)
    name = models.CharField(_("nombre"), max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cadena productiva")
        verbose_name_plural = _("cadenas productivas")

    def __str__(self) -> str:
        return self.name


class ServiceCategory(models.Model):
    """ITP's service subcategories (eight at the start; the list can grow)."""

    code = models.SlugField(_("código"), max_length=60, unique=True)
    name = models.CharField(_("nombre"), max_length=150, unique=True)
    description = models.TextField(_("descripción"), blank=True)
    order = models.PositiveSmallIntegerField(_("orden"), default=100)
    is_active = models.BooleanField(_("vigente"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("categoría de servicio")
        verbose_name_plural = _("categorías de servicio")

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    """A programme under which services are free or subsidised (e.g. AECID/GIZ circular economy)."""

    code = models.SlugField(_("código"), max_length=60, unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    funders = models.CharField(_("financiadores"), max_length=200, blank=True)
    themes = models.CharField(_("temas"), max_length=300, blank=True)
    description = models.TextField(_("descripción"), blank=True)
    starts_on = models.DateField(_("inicio"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programa")
        verbose_name_plural = _("programas")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="programme_ends_after_start",
                violation_error_message=_("El programa no puede terminar antes de empezar."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Modality(models.Model):
    """A way a center works, e.g. CDPD (centro de desarrollo productivo digital)."""

    code = models.SlugField(_("código"), max_length=30, unique=True)
    name = models.CharField(_("nombre"), max_length=150)

    class Meta:
        ordering = ["name"]
        verbose_name = _("modalidad")
        verbose_name_plural = _("modalidades")

    def __str__(self) -> str:
        return self.name


class Center(models.Model):
    """A CITE (public or private) or a technical unit under a CITE."""

    # Set on centers read through network.registry (its prefetched history, and what holds
    # today); declared here for the modules that read them (timeline, queries).
    scope_periods: list["CenterTerritory"]
    modality_list: list["CenterModality"]
    acts: list["LegalAct"]
    scope_codes: frozenset[str]
    current_modalities: list["Modality"]

    class Kind(models.TextChoices):
        PUBLIC = "publico", _("CITE público")
        PRIVATE = "privado", _("CITE privado")
        TECHNICAL_UNIT = "unidad_tecnica", _("Unidad técnica")

    code = models.SlugField(
        _("código"),
        max_length=80,
        unique=True,
        help_text=_("Identificador estable: no cambia aunque cambie el nombre."),
    )
    name = models.CharField(_("nombre vigente"), max_length=200)
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="technical_units",
        verbose_name=_("CITE del que depende"),
    )
    operator = models.CharField(_("entidad operadora"), max_length=200, blank=True)
    modalities: "models.ManyToManyField[Modality, CenterModality]" = models.ManyToManyField(
        Modality, through="CenterModality", blank=True, verbose_name=_("modalidades")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seated_centers",
        verbose_name=_("departamento de la sede"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seated_centers",
        verbose_name=_("distrito de la sede"),
    )
    locality = models.CharField(
        _("localidad"), max_length=200, blank=True, help_text=_("Como la nombra la fuente.")
    )
    address = models.CharField(_("dirección"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitud"), null=True, blank=True)
    longitude = models.FloatField(_("longitud"), null=True, blank=True)
    territory: "models.ManyToManyField[Department, CenterTerritory]" = models.ManyToManyField(
        Department,
        through="CenterTerritory",
        blank=True,
        related_name="served_by",
        verbose_name=_("ámbito (departamentos)"),
        help_text=_("Todos los departamentos que tuvo en su ámbito; las fechas en «Ámbito»."),
    )
    chains = models.ManyToManyField(
        Chain, blank=True, related_name="centers", verbose_name=_("cadenas")
    )
    created_year = models.PositiveSmallIntegerField(_("año de creación"), null=True, blank=True)
    active_from = models.DateField(_("activo desde"), null=True, blank=True)
    active_to = models.DateField(_("activo hasta"), null=True, blank=True)
    email = models.EmailField(_("correo de contacto"), blank=True)
    phone = models.CharField(_("teléfono"), max_length=50, blank=True)
    website = models.URLField(_("sitio web"), blank=True)
    source_url = models.URLField(_("fuente"), max_length=500, blank=True)
    source_notes = models.TextField(_("notas de la fuente"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("centro")
        verbose_name_plural = _("centros")
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_to__gte=models.F("active_from")),
                name="center_active_period_ordered",
                violation_error_message=_(
                    "La fecha «activo hasta» no puede ser anterior a «activo desde»."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.search_name = fold(self.name)  # accent-insensitive lookups by name
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.parent is not None:
            if self.kind != self.Kind.TECHNICAL_UNIT:
                errors["parent"] = _("Solo una unidad técnica depende de otro CITE.")
            elif self.parent_id == self.pk or self.pk in self.parent.ancestor_ids():
                errors["parent"] = _("Un centro no puede depender de sí mismo.")
            elif self.parent.kind == self.Kind.TECHNICAL_UNIT:
                errors["parent"] = _(
                    "Una unidad técnica depende de un CITE, no de otra unidad técnica."
                )
        district = self.district if self.district_id else None
        if (
            district is not None
            and self.department_id
            and district.department_id != self.department_id
        ):
            errors["district"] = _("El distrito de la sede no está en el departamento de la sede.")
        if errors:
            raise ValidationError(errors)

    def ancestor_ids(self) -> set[int]:
        """Ids of the centers above this one; stops at a cycle rather than looping forever."""
        seen: set[int] = set()
        node = self.parent
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            node = node.parent
        return seen

    @property
    def seat_point(self) -> tuple[float, float] | None:
        """(lat, lon) of the seat, down to the district's capital.

        None when only the department is known.
        """
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        district = self.district if self.district_id else None
        if district is None:
            return None
        lat, lon = district.capital_lat, district.capital_lon
        if lat is not None and lon is not None:
            return lat, lon
        return None

    @property
    def activity(self) -> dict[str, date | None]:
        """The activation and closing dates as a period (since, until) for templates."""
        return {"since": self.active_from, "until": self.active_to}

    def active_in(self, year: int) -> bool:
        """Active at some day of `year`; an unknown start counts as active (stated on pages)."""
        start = self.active_from.year if self.active_from else self.created_year
        end = self.active_to.year if self.active_to else None
        return (start is None or start <= year) and (end is None or end >= year)

    @property
    def map_point(self) -> tuple[float, float] | None:
        """Where to draw the center on a map: the seat, or else its department's capital."""
        department = self.department if self.department_id else None
        seat = self.seat_point
        if seat is None and department is not None and department.capital_lat is not None:
            return department.capital_lat, department.capital_lon or 0.0
        return seat


class Dated(models.Model):
    """A link of a center valid from `since` to `until` (both optional), with its source."""

    since = models.DateField(_("desde"), null=True, blank=True)
    until = models.DateField(_("hasta"), null=True, blank=True)
    source = models.CharField(
        _("fuente"),
        max_length=500,
        blank=True,
        help_text=_("Resolución, enlace o nota que respalda el dato."),
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.since and self.until and self.until < self.since:
            raise ValidationError({"until": _("«Hasta» no puede ser anterior a «desde».")})

    def valid_on(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (
            self.until is None or self.until >= day
        )

    def valid_in(self, year: int) -> bool:
        """Valid at some day of `year`."""
        return (self.since is None or self.since.year <= year) and (
            self.until is None or self.until.year >= year
        )


class CenterTerritory(Dated):
    """A department in a center's scope (ámbito), with the dates it was in it."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="scope")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, verbose_name=_("departamento")
    )

    class Meta:
        ordering = ["center", "since", "department"]
        verbose_name = _("departamento del ámbito")
        verbose_name_plural = _("ámbito")
        constraints = [
            models.UniqueConstraint(
                fields=["center", "department", "since"], name="territory_once_per_start"
            )
        ]

    def __str__(self) -> str:
        return str(self.department)


class CenterModality(Dated):
    """A modality a center works in (e.g. CDPD), with the dates it held it."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="modality_periods")
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, verbose_name=_("modalidad"))

    class Meta:
        ordering = ["center", "since", "modality"]
        verbose_name = _("modalidad del centro")
        verbose_name_plural = _("modalidades del centro")
        constraints = [
            models.UniqueConstraint(
                fields=["center", "modality", "since"], name="modality_once_per_start"
            )
        ]

    def __str__(self) -> str:
        return str(self.modality)


class CenterName(models.Model):
    """A dated earlier or current name of a center (CITEmadera -> CITEmadera y del Mueble)."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(_("nombre"), max_length=200)
    valid_from = models.DateField(_("desde"), null=True, blank=True)
    valid_to = models.DateField(_("hasta"), null=True, blank=True)
    source = models.CharField(_("fuente"), max_length=500, blank=True)

    class Meta:
        ordering = ["center", "valid_from"]
        verbose_name = _("nombre histórico")
        verbose_name_plural = _("historial de nombres")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("«Hasta» no puede ser anterior a «desde».")})


class LegalAct(models.Model):
    """A resolution behind a center's life: creation, qualification, change of scope..."""

    class Kind(models.TextChoices):
        CREATION = "creacion", _("Creación")
        QUALIFICATION = "calificacion", _("Calificación")
        WITHDRAWAL = "retiro", _("Retiro de la calificación")
        SCOPE = "ambito", _("Cambio de ámbito")
        NAME = "denominacion", _("Cambio de denominación")
        DIRECTOR = "director", _("Designación de director")

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="legal_acts")
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("número de resolución"), max_length=120)
    date = models.DateField(_("fecha"))
    summary = models.CharField(_("resumen"), max_length=300, blank=True)
    document_url = models.URLField(_("documento"), max_length=500, blank=True)

    class Meta:
        ordering = ["center", "date"]
        verbose_name = _("acto legal")
        verbose_name_plural = _("actos legales")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class CatalogueService(models.Model):
    """A service a center offers publicly, with its tariff or the programme that makes it free."""

    center = models.ForeignKey(
        Center, on_delete=models.CASCADE, related_name="catalogue", verbose_name=_("centro")
    )
    name = models.CharField(_("nombre"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    category = models.ForeignKey(
        ServiceCategory, on_delete=models.PROTECT, verbose_name=_("categoría")
    )
    chains = models.ManyToManyField(Chain, blank=True, verbose_name=_("cadenas"))
    unit_of_sale = models.CharField(
        _("unidad de venta"),
        max_length=80,
        blank=True,
        help_text=_("p. ej. por muestra, por hora, por participante"),
    )
    is_free = models.BooleanField(_("gratuito"), default=False)
    tariff = models.DecimalField(
        _("tarifa (S/)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("programa")
    )
    valid_from = models.DateField(_("vigente desde"), null=True, blank=True)
    valid_to = models.DateField(_("vigente hasta"), null=True, blank=True)
    is_public = models.BooleanField(_("público"), default=True)

    class Meta:
        ordering = ["center", "category", "name"]
        verbose_name = _("servicio del catálogo")
        verbose_name_plural = _("catálogo de servicios")
        constraints = [
            models.UniqueConstraint(
                fields=["center", "name"], name="catalogue_name_unique_per_center"
            ),
            models.CheckConstraint(
                condition=Q(tariff__isnull=True) | Q(tariff__gte=0),
                name="catalogue_tariff_not_negative",
                violation_error_message=_("La tarifa no puede ser negativa."),
            ),
            models.CheckConstraint(
                condition=Q(is_free=False) | Q(tariff__isnull=True),
                name="catalogue_free_has_no_tariff",
                violation_error_message=_("Un servicio gratuito no tiene tarifa."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def programme_ended_on(self) -> date | None:
        """The end date of its programme when it is past: the service is no longer free."""
        programme = self.programme if self.programme_id else None
        if programme is None or programme.ends_on is None:
            return None
        return programme.ends_on if programme.ends_on < timezone.localdate() else None

    @property
    def is_free_now(self) -> bool:
        return self.is_free and self.programme_ended_on is None

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.is_free and self.tariff is not None:
            errors["tariff"] = _("Un servicio gratuito no tiene tarifa: deje la tarifa vacía.")
        if not self.is_free and self.tariff is None:
            errors["tariff"] = _("Indique la tarifa en soles o marque el servicio como gratuito.")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("«Vigente hasta» no puede ser anterior a «vigente desde».")
        if errors:
            raise ValidationError(errors)


class RegistryChange(models.Model):
    """One row per write to the registry or the geography; the newest token is their version.

    Each process keeps the public registry in memory (network/registry.py) and rebuilds it
    when the newest token is not the one it was built from. Rows are only ever added, inside
    the writer's own transaction: readers see the new token exactly when they see the new
    data, on every server, and concurrent writers never wait for each other on this table.
    Tokens are random, so a rolled-back write can never bring back a version number.
    """

    token = models.CharField(max_length=32, editable=False)
    model = models.CharField(max_length=100, editable=False)
    # Not auto_now_add: a restore (ops.backup) notes its change while auto_now is switched off.
    changed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("cambio del registro")
        verbose_name_plural = _("cambios del registro")

    def __str__(self) -> str:
        return f"{self.model} {self.changed_at:%Y-%m-%d %H:%M:%S}"
