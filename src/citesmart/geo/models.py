"""Peru's INEI ubigeo geography: 25 departments, 196 provinces, 1,891 districts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    """Fields shared by the three levels. `search_name` is the accent-free, lower-case name."""

    code = models.CharField(_("ubigeo"), max_length=6, primary_key=True)
    name = models.CharField(_("nombre"), max_length=100)
    search_name = models.CharField(max_length=100, db_index=True, editable=False)
    capital = models.CharField(_("capital"), max_length=100, blank=True)
    capital_lat = models.FloatField(_("latitud de la capital"), null=True, blank=True)
    capital_lon = models.FloatField(_("longitud de la capital"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(Place):
    iso_3166_2 = models.CharField("ISO 3166-2", max_length=6)
    centroid_lat = models.FloatField(_("latitud del centroide"))
    centroid_lon = models.FloatField(_("longitud del centroide"))
    boundary = models.JSONField(_("límite (GeoJSON)"), null=True, blank=True, editable=False)

    class Meta(Place.Meta):
        verbose_name = _("departamento")
        verbose_name_plural = _("departamentos")


class Province(Place):
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="provinces",
        verbose_name=_("departamento"),
    )
    region = models.CharField(
        _("región"), max_length=100, help_text=_("Distingue Lima Metropolitana de Lima Provincias.")
    )
    centroid_lat = models.FloatField(_("latitud del centroide"))
    centroid_lon = models.FloatField(_("longitud del centroide"))
    boundary = models.JSONField(_("límite (GeoJSON)"), null=True, blank=True, editable=False)

    class Meta(Place.Meta):
        verbose_name = _("provincia")
        verbose_name_plural = _("provincias")


class District(Place):
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("provincia")
    )
    # Denormalised from the province: filters by department are the most common.
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="districts",
        verbose_name=_("departamento"),
    )

    class Meta(Place.Meta):
        verbose_name = _("distrito")
        verbose_name_plural = _("distritos")

    def __str__(self) -> str:
        return f"{self.name} ({self.province.name}, {self.department.name})"
