"""Downloadable templates: ITP's columns for each table and an example row."""

from typing import IO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citesmart.historic.specs import SPECS
from citesmart.lib.spreadsheets import write_csv, write_xlsx


def write_template(kind: str, target: IO[bytes], fmt: str) -> None:
    """The table's headers as ITP names them and one example line (xlsx: and instructions)."""
    spec = SPECS[kind]
    if fmt == "csv":
        write_csv(target, spec.headers, [spec.example], delimiter=";")
        return
    help_rows = [
        [column.name, _("Sí") if column.required else _("No"), _column_help(column.name)]
        for column in spec.columns
    ]
    write_xlsx(
        target,
        {
            spec.itp: (spec.headers, [spec.example]),
            _("Instrucciones"): ([_("Columna"), _("Obligatoria"), _("Qué poner")], help_rows),
        },
    )


def template_filename(kind: str, fmt: str) -> str:
    return f"plantilla-{SPECS[kind].itp.lower()}-{kind}.{fmt}"


def _column_help(name: str) -> str:
    if name.startswith("mes_"):
        return (
            _("Cifra del mes %s; vacío si no hay dato. Se aceptan «1,234» y «1 234».") % (name[4:])
        )
    return str(HELP.get(name, ""))


HELP = {
    **{
        name: gettext_lazy("Número de personas con esta modalidad; vacío cuenta 0")
        for name in ("directivo", "tecnico", "operativo", "administrativo", "practicante")
    },
    "cite": gettext_lazy(
        "Nombre del CITE o UT como lo escribe el ITP (sin importar tildes ni «CITE»)"
    ),
    "anio": gettext_lazy("Año, p. ej. 2017"),
    "fecha": gettext_lazy("Fecha de actualización (dd/mm/aaaa); en proyectos, la del estado"),
    "subcategoria": gettext_lazy("Una de las subcategorías de servicio del ITP"),
    "tipo": gettext_lazy("Tipo de cliente (Empresa formal, Persona natural con negocio, …)"),
    "fuente": gettext_lazy("Fuente del dato o de financiamiento"),
    "cod_ciiu": gettext_lazy("Clase CIIU rev. 4, cuatro dígitos"),
    "empresas": gettext_lazy("Número de empresas atendidas en el año"),
    "tipo_contribuyente": gettext_lazy("Tipo de contribuyente según SUNAT"),
    "pim": gettext_lazy("Presupuesto institucional modificado, en soles"),
    "modalidad": gettext_lazy("Modalidad de contrato (CAS, 728, locación, …)"),
    "cui": gettext_lazy("Código único de inversión"),
    "nombre": gettext_lazy("Nombre del proyecto de inversión"),
    "monto": gettext_lazy("Monto de inversión, en soles"),
    "aspecto": gettext_lazy("Aspecto del proyecto (Infraestructura, Equipamiento, …)"),
    "estado": gettext_lazy("Estado del aspecto"),
}
