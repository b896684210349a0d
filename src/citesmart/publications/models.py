"""Named publications: what the public figures answered at one moment, kept unchanged."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Publication(models.Model):
    """An immutable snapshot of the official tables (publications/actions.py writes it).

    The official tables are the ones that stay exact (analytics.public): the national totals
    by year and month and the yearly totals by center, department, chain and category. A
    publication keeps them for its years as they were published, suppressions included.
    """

    class Kind(models.TextChoices):
        MONTH = "mes", _("Cierre mensual")
        QUARTER = "trimestre", _("Trimestral")
        YEAR = "anual", _("Anual")
        OTHER = "otra", _("Extraordinaria")

    slug = models.SlugField(_("nombre"), max_length=40, unique=True)
    title = models.CharField(_("título"), max_length=150)
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    years = models.JSONField(_("años"), default=list)
    official_through = models.CharField(
        _("cifras oficiales hasta"), max_length=7, blank=True, help_text=_("AAAA-MM")
    )
    fresh_as_of = models.DateTimeField(_("datos al"))
    note = models.TextField(_("nota"), blank=True)
    created_at = models.DateTimeField(_("publicada el"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("publicada por"),
    )

    class Meta:
        verbose_name = _("publicación")
        verbose_name_plural = _("publicaciones")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class PublishedCell(models.Model):
    """One cell of an official table of a publication; month 0 is the whole year."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="cells")
    table = models.CharField(max_length=12)  # see actions.TABLES
    code = models.CharField(max_length=80, blank=True)
    label = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(default=0)
    services = models.BigIntegerField(null=True)
    reports = models.BigIntegerField(null=True)
    units = models.BigIntegerField(null=True)
    new_units = models.BigIntegerField(null=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    suppressed = models.BooleanField(default=False)
    # Under the disclosure threshold when published (a complementary suppression is not).
    flagged = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["publication", "table", "year", "month"])]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "table", "code", "year", "month"], name="one_published_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} {self.table} {self.code} {self.year}-{self.month:02d}"
