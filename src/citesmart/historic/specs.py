"""One TableSpec per institutional table, with ITP's column names (ITP-TABLES.md)."""

from typing import Any

from django.utils.translation import gettext as _

from citesmart.historic import models as m
from citesmart.historic import tables as t
from citesmart.historic.models import TableKind
from citesmart.historic.tables import CITE, DATE, YEAR, Column, Part, Record, TableSpec

_MONTHLY_SALES = (1200, 1350, 1800, 2100, 2300, 2500, 2400, 2000, 1900, 2200, 2100, 1100)


def _services(d: dict[str, Any]) -> list[Record]:
    return [
        Record(0, (d["cite"].pk, d["anio"], n, d["subcategoria"].pk), {"services": v})
        for n, v in t.month_values(d)
    ]


def _clients(d: dict[str, Any]) -> list[Record]:
    return [
        Record(0, (d["cite"].pk, d["anio"], n, d["tipo"]), {"clients": v})
        for n, v in t.month_values(d)
    ]


def _by_class(d: dict[str, Any]) -> list[Record]:
    return [Record(0, (d["cite"].pk, d["anio"], d["cod_ciiu"]), {"clients": d["empresas"]})]


def _by_taxpayer(d: dict[str, Any]) -> list[Record]:
    name, key = d["tipo_contribuyente"]
    values = {"taxpayer_type": name, "clients": d["empresas"]}
    return [Record(0, (d["cite"].pk, d["anio"], key), values)]


def _budget(d: dict[str, Any]) -> list[Record]:
    return [Record(0, (d["cite"].pk, d["anio"]), {"pim": d["pim"]})]


def _execution(d: dict[str, Any]) -> list[Record]:
    name, key = d["fuente"]
    return [
        Record(0, (d["cite"].pk, d["anio"], n, key), {"source": name, "amount": v})
        for n, v in t.month_values(d)
    ]


STAFF_FIELDS = ("directivo", "tecnico", "operativo", "administrativo", "practicante")


def _staff(d: dict[str, Any]) -> list[Record]:
    name, key = d["modalidad"]
    values = {"modality": name, **{field: d[field] for field in STAFF_FIELDS}}
    return [Record(0, (d["cite"].pk, d["anio"], key), values)]


def _project(d: dict[str, Any]) -> list[Record]:
    project = {
        "name": d["nombre"],
        "amount": d["monto"],
        "start": d["fecha_inicio"],
        "end": d["fecha_fin"],
    }
    records = [Record(0, (d["cite"].pk, d["cui"]), project)]
    if d["aspecto"] is not None:
        name, key = d["aspecto"]
        aspect = {"aspect": name, "status": d["estado"], "date": d["fecha"]}
        records.append(Record(1, (d["cite"].pk, d["cui"], key), aspect))
    return records


def _check_project(d: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if d["fecha_inicio"] and d["fecha_fin"] and d["fecha_fin"] < d["fecha_inicio"]:
        problems.append(("fecha_fin", _("el proyecto no puede terminar antes de empezar")))
    if d["aspecto"] is not None and not d["estado"]:
        problems.append(("estado", _("indique el estado del aspecto «%s»") % d["aspecto"][0]))
    if d["aspecto"] is None and d["estado"]:
        problems.append(("aspecto", _("indique a qué aspecto del proyecto se refiere el estado")))
    return problems


def _project_id(key: tuple) -> tuple:
    """(center, CUI, aspect) -> (project id, aspect); no id yet for a project not yet written."""
    center_id, cui, aspect_key = key
    project = m.InvestmentProject.objects.filter(center_id=center_id, cui=cui).first()
    return (project.pk if project else None), aspect_key


def _by_cui(d: dict[str, Any]) -> tuple[int, Any]:
    return d["cite"].pk, d["cui"]


def _year_part(model, keys: tuple[str, ...], values: tuple[str, ...]) -> Part:
    return Part(model, ("center_id", "year", *keys), values, t.year_scope)


def _count_months() -> tuple[Column, ...]:
    return t.months(t.count, lambda n: f"{t.SEASON_EXAMPLE[n - 1]:,}")


SPECS: dict[str, TableSpec] = {
    spec.kind: spec
    for spec in (
        TableSpec(
            TableKind.SERVICES,
            "TABLA_03_N01",
            (
                CITE,
                YEAR,
                Column("subcategoria", t.category, "Ensayos de laboratorio", ("categoria",)),
                DATE,
                *_count_months(),
            ),
            (_year_part(m.HistoricServices, ("month", "category_id"), ("services",)),),
            _services,
            t.by_year,
        ),
        TableSpec(
            TableKind.CLIENTS,
            "TABLA_02_N01",
            (
                CITE,
                YEAR,
                Column("tipo", t.client, "Empresa formal", ("tipocliente", "tipodecliente")),
                DATE,
                Column("fuente", t.ignored, "Registros administrativos CITE", required=False),
                *_count_months(),
            ),
            (_year_part(m.HistoricClients, ("month", "client_type"), ("clients",)),),
            _clients,
            t.by_year,
        ),
        TableSpec(
            TableKind.CLIENTS_CIIU,
            "TABLA_02_N03",
            (
                CITE,
                Column("cod_ciiu", t.ciiu, "1030", ("ciiu", "codigociiu", "clase")),
                YEAR,
                Column("empresas", t.required_count, 25, ("clientes",), summed=True),
                DATE,
            ),
            (_year_part(m.HistoricClientsByClass, ("ciiu",), ("clients",)),),
            _by_class,
            t.by_year,
        ),
        TableSpec(
            TableKind.CLIENTS_TAXPAYER,
            "TABLA_02_N05",
            (
                CITE,
                Column(
                    "tipo_contribuyente", t.label, "Sociedad anónima cerrada", ("contribuyente",)
                ),
                YEAR,
                Column("empresas", t.required_count, 40, ("clientes",), summed=True),
                DATE,
            ),
            (
                _year_part(
                    m.HistoricClientsByTaxpayer, ("taxpayer_key",), ("taxpayer_type", "clients")
                ),
            ),
            _by_taxpayer,
            t.by_year,
        ),
        TableSpec(
            TableKind.BUDGET,
            "TABLA_05_N01",
            (
                CITE,
                YEAR,
                Column("pim", t.required_amount, "2,450,000.00", summed=True),
                DATE,
            ),
            (_year_part(m.Budget, (), ("pim",)),),
            _budget,
            t.by_year,
        ),
        TableSpec(
            TableKind.EXECUTION,
            "TABLA_05_N02",
            (
                CITE,
                YEAR,
                DATE,
                Column("fuente", t.label, "Recursos ordinarios", ("fuentefinanciamiento",)),
                *t.months(t.amount, lambda n: f"{_MONTHLY_SALES[n - 1] * 100:,}.00"),
            ),
            (_year_part(m.BudgetExecution, ("month", "source_key"), ("source", "amount")),),
            _execution,
            t.by_year,
        ),
        TableSpec(
            TableKind.STAFF,
            "TABLA_06_N01",
            (
                CITE,
                YEAR,
                Column("modalidad", t.label, "CAS", ("modalidadcontrato",)),
                DATE,
                *(
                    Column(name, t.zero_if_blank, example, summed=True)
                    for name, example in zip(STAFF_FIELDS, (1, 8, 4, 3, 2), strict=True)
                ),
            ),
            (_year_part(m.Staff, ("modality_key",), ("modality", *STAFF_FIELDS)),),
            _staff,
            t.by_year,
        ),
        TableSpec(
            TableKind.PROJECTS,
            "TABLA_04_N02",
            (
                CITE,
                Column("cui", t.cui, "2234567", ("codigounico", "codigounicodeinversion")),
                Column("nombre", t.text, "Mejoramiento de los servicios del CITE", ("proyecto",)),
                Column("monto", t.amount, "12,500,000.00", ("montoinversion", "inversion")),
                Column("fecha_inicio", t.date, "15/03/2016", ("inicio",)),
                Column("fecha_fin", t.date, "30/12/2018", ("fin",)),
                Column("aspecto", t.optional_label, "Infraestructura", required=False),
                Column("estado", t.optional_text, "Culminado", required=False),
                Column("fecha", t.date, "01/10/2020", required=False),
            ),
            (
                Part(
                    m.InvestmentProject,
                    ("center_id", "cui"),
                    ("name", "amount", "start", "end"),
                    lambda s: {"center_id": s[0], "cui": s[1]},
                    shared=True,
                ),
                Part(
                    m.ProjectAspect,
                    ("project_id", "aspect_key"),
                    ("aspect", "status", "date"),
                    lambda s: {"project__center_id": s[0], "project__cui": s[1]},
                    resolve=_project_id,
                ),
            ),
            _project,
            _by_cui,
            _check_project,
        ),
    )
}
