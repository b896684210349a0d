"""What an installation knows about itself, kept in the database so every server agrees."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoData(models.Model):
    """A demo loader ran here: the records and tables of this database are demonstration data.

    Written by the demo loaders (`demo_data`, `demo_historic`), never by anything production
    runs; the portal, the API and the open data read it (ops.demo) rather than a setting, so
    the warning survives a restart without the environment of `make demo`.
    """

    loader = models.CharField(_("cargador"), max_length=60, unique=True)
    loaded_at = models.DateTimeField(_("cargado el"), auto_now=True)

    class Meta:
        verbose_name = _("carga de datos de demostración")
        verbose_name_plural = _("cargas de datos de demostración")

    def __str__(self) -> str:
        return f"{self.loader} · {self.loaded_at:%Y-%m-%d %H:%M}"
