"""The progress table as CSV or XLSX (formula-safe through lib.spreadsheets)."""

from typing import IO

from citesmart.lib.spreadsheets import write_csv, write_xlsx
from citesmart.targets.queries import Progress

HEADERS = [
    "Centro",
    "Código",
    "Año",
    "Indicador",
    "Desglose",
    "Meta anual",
    "Versión",
    "Distribución",
    "Logrado al corte",
    "Fecha de corte",
    "Avance (%)",
    "Meta a la fecha",
    "Avance sobre meta a la fecha (%)",
    "Proyección al cierre",
    "Proyección (% de la meta)",
    "Rezagado",
    "Estado",
]


def _r(value: float | None, digits: int = 1):
    return None if value is None else round(value, digits)


def rows(progress: list[Progress]):
    for p in progress:
        t = p.target
        yield [
            p.center_name,
            t.center.code if t.center_id else "",
            t.year,
            t.get_indicator_display(),
            t.breakdown_text.removeprefix(" · "),
            float(p.version.value),
            p.version.number,
            p.version.get_phasing_display(),
            _r(p.actual, 2),
            p.as_of,
            _r(p.percent),
            _r(p.phased_to_date, 0),
            _r(p.percent_of_phased),
            _r(p.projection, 0),
            _r(p.projection_percent),
            "Sí" if p.behind else "No",
            p.state_label,
        ]


def write(progress: list[Progress], target: IO[bytes], fmt: str) -> None:
    if fmt == "csv":
        write_csv(target, HEADERS, rows(progress))
    else:
        write_xlsx(target, {"Avance de metas": (HEADERS, rows(progress))})
