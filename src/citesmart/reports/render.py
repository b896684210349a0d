"""A report as HTML (one self-contained document), PDF (that HTML printed by Chromium) or XLSX.

PDF through Debian's Chromium (driven by Playwright, as the browser tests do): the same
template as the web version, real font shaping and hyphenation, page numbers in the footer,
and the SVG charts kept as vector graphics. `make demo` and `make test` install Chromium.
"""

import io
import shutil
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from citesmart.analytics import disclosure
from citesmart.analytics.vocabulary import MONTHS
from citesmart.lib.spreadsheets import write_xlsx
from citesmart.presentation import charts
from citesmart.presentation.formatting import number, soles
from citesmart.reports import narrative
from citesmart.reports.build import MEASURES, Report, ReportError, spanish_date
from citesmart.targets.queries import behind_margin

FORMATS = ("pdf", "xlsx", "html")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
MEASURE_TITLES = {
    "services": "Servicios",
    "units": "Unidades productivas",
    "new_units": "Unidades nuevas",
    "amount": "Monto cobrado (S/)",
}
FOOTER = (
    "<div style=\"font: 7.5pt 'Liberation Sans', Arial, sans-serif; color: #555; width: 100%; "
    'margin: 0 15mm; display: flex; justify-content: space-between;">'
    '<span>{title}</span><span>Página <span class="pageNumber"></span> de '
    '<span class="totalPages"></span></span></div>'
)


def filename(report: Report, fmt: str) -> str:
    who = report.center.code if report.center else "red-cite"
    period = report.period
    period = str(period.year) if period.full_year else f"{period.until:%Y-%m-%d}"
    return f"informe-{who}-{period}.{fmt}"


def render(report: Report, fmt: str, *, nonce: str = "") -> bytes:
    """The report as a file; `nonce`: the page's CSP nonce when served as a web page."""
    if fmt == "html":
        return html(report, nonce=nonce).encode("utf-8")
    if fmt == "xlsx":
        return xlsx(report)
    if fmt == "pdf":
        return pdf(report)
    raise ReportError(f"Formato desconocido «{fmt}»; use {', '.join(FORMATS)}.")


def title(report: Report) -> str:
    kind = "Informe anual" if report.period.full_year else "Informe de avance"
    return f"{kind} {report.period.year} — {report.subject}"


RESERVED = "reservado"


def _cells(table, row) -> list[str]:
    if row["suppressed"]:
        return ["*"] * 5
    share = table.share(row)
    return [
        number(row["services"]),
        "—" if share is None else f"{number(share, 1)} %",  # None: the total is reserved
        number(row["units"]),
        number(row["new_units"]),
        number(row["amount"], 2),
    ]


def _bars(table, label: str, n: int) -> list[tuple[str, int]]:
    """The first n rows as chart bars, leaving suppressed cells out (they have no value)."""
    return [(r[label], r["services"]) for r in table.rows[:n] if not r["suppressed"]]


def context(report: Report, *, for_print: bool = False) -> dict:
    return {
        "report": report,
        "title": title(report),
        "for_print": for_print,
        "period_text": report.period.text,
        "generated": spanish_date(timezone.localtime(report.generated_at).date()),
        "headline": [
            {
                "title": MEASURE_TITLES[m] if m != "amount" else "Monto cobrado",
                "value": _headline(report.totals[m], m),
                "previous": _headline(report.previous_totals[m], m),
                "change": report.change(m),
                "change_text": _signed(report.change(m)),
            }
            for m in MEASURES
        ],
        "headline_reserved": report.totals["suppressed"] or report.previous_totals["suppressed"],
        "reserved_months": _reserved_months(report),
        "paragraphs": narrative.paragraphs(report),
        **_charts(report),
        "tables": _tables(report),
        "targets": target_rows(report),
        "until_text": spanish_date(report.period.until),
        "methodology": methodology_lines(report),
        "margin": round(behind_margin() * 100),
    }


def _tables(report: Report) -> list[dict]:
    tables = []
    for table in report.tables.values():
        label = f"{table.answer.by[0]}_label"
        tables.append(
            {
                "key": table.key,
                "title": table.title,
                "dimension": table.dimension_title,
                "rows": [(r[label], _cells(table, r)) for r in table.rows],
                # Programmes leave out services outside any programme, so no total there.
                "total": None if table.key == "programme" else _cells(table, table.answer.totals),
                "flagged": any(r["suppressed"] for r in table.rows),
            }
        )
    return tables


def _charts(report: Report) -> dict[str, str]:
    """The report's SVG charts: services by month against last year, top centers and chains."""
    top_centers = report.tables.get("center")
    chain_table = report.tables.get("chain")
    return {
        "month_chart": charts.line_chart(
            [
                (
                    str(report.period.year),
                    _cut(report.monthly, report.period.until.month),
                    "line-current",
                ),
                (
                    str(report.period.year - 1),
                    _cut(report.monthly_previous, report.period.until.month),
                    "line-prev",
                ),
            ],
            label="Servicios por mes",
        ),
        "center_chart": charts.bar_chart(
            _bars(top_centers, "center_label", 12),
            label="Centros con más servicios",
        )
        if top_centers
        else "",
        "chain_chart": charts.bar_chart(
            _bars(chain_table, "chain_label", 10),
            label="Cadenas productivas con más servicios",
        )
        if chain_table
        else "",
    }


def _reserved_months(report: Report) -> list[str]:
    """'marzo de 2025', ... : the months of the chart reserved by statistical secrecy."""
    last = report.period.until.month
    return [
        f"{MONTHS[i]} de {year}"
        for year, values in (
            (report.period.year, report.monthly),
            (report.period.year - 1, report.monthly_previous),
        )
        for i, value in enumerate(values[:last])
        if value is None
    ]


def _moment(moment) -> str:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{spanish_date(local.date())}, {local:%H:%M}"


def _headline(value, measure: str) -> str:
    if value is None:  # reserved by statistical secrecy
        return RESERVED
    return f"S/ {number(round(value))}" if measure == "amount" else number(value)


def _cut(values: list[float | None], last_month: int) -> list[float | None]:
    # Months after the cut-off have no data yet; drawn as zero they would read as a collapse.
    return values[:last_month]


TARGET_COLUMNS = ("services", "units", "new_units", "amount")


def target_rows(report: Report) -> list[dict]:
    """One row per center (and breakdown), one group of columns per indicator."""
    grouped: dict[tuple, dict] = {}
    for p in report.targets:
        key = (p.center_name, p.target.breakdown_text)
        row = grouped.setdefault(
            key, {"who": p.center_name + p.target.breakdown_text, "cells": {}, "behind": False}
        )
        if report.is_reserved(p):  # the achieved figure, and all computed from it
            row["cells"][p.target.indicator] = {
                "value": _measure(p.value, p.target.indicator),
                "actual": RESERVED,
                "percent": RESERVED,
                "phased": RESERVED,
                "projection": RESERVED,
                "behind": False,
                "reserved": True,
            }
            continue
        row["cells"][p.target.indicator] = {
            "value": _measure(p.value, p.target.indicator),
            "actual": _measure(p.actual, p.target.indicator),
            "percent": f"{number(p.percent, 1)} %",
            "phased": _percent(p.percent_of_phased),
            "projection": _measure(p.projection, p.target.indicator),
            "behind": p.behind,
            "reserved": False,
        }
        row["behind"] = row["behind"] or p.behind
    indicators = [i for i in TARGET_COLUMNS if any(i in r["cells"] for r in grouped.values())]
    for row in grouped.values():
        row["columns"] = [row["cells"].get(i) for i in indicators]
    return [{"indicators": [MEASURE_TITLES[i] for i in indicators], "rows": list(grouped.values())}]


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f} %".replace(".", ",")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{number(value, 1)} %"


def _measure(value: float | None, indicator: str) -> str:
    if value is None:
        return "—"
    return soles(value) if indicator == "amount" else number(round(value))


def html(report: Report, *, for_print: bool = False, nonce: str = "") -> str:
    page = context(report, for_print=for_print) | {"nonce": nonce}
    return render_to_string("reports/report.html", page)


def chromium_path() -> str:
    configured = getattr(settings, "REPORTS_CHROMIUM", "") or "/usr/bin/chromium"
    found = shutil.which(configured) or (configured if Path(configured).exists() else None)
    if not found:
        raise ReportError(
            f"No se encontró Chromium ({configured}), necesario para el PDF. Instálelo con "
            "«make demo» o «apt-get install chromium», o pida el informe en html o xlsx."
        )
    return found


def pdf(report: Report) -> bytes:
    from playwright.sync_api import sync_playwright

    document = html(report, for_print=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.set_content(document, wait_until="load")
            return page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER.format(title=mark_safe(_escape(title(report)))),
                margin={"top": "18mm", "bottom": "18mm", "left": "17mm", "right": "17mm"},
            )
        finally:
            browser.close()


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


def xlsx(report: Report) -> bytes:
    sheets = {
        "Resumen": (
            ["Indicador", str(report.period.year), str(report.period.year - 1), "Variación (%)"],
            [
                [
                    MEASURE_TITLES[m],
                    _or_reserved(report.totals[m]),
                    _or_reserved(report.previous_totals[m]),
                    None if report.change(m) is None else round(report.change(m), 1),
                ]
                for m in MEASURES
            ]
            + [["Informes de servicio", _or_reserved(report.reports), None, None]],
        )
    }
    for table in report.tables.values():
        label = f"{table.answer.by[0]}_label"
        headers = [table.dimension_title, "Código", *MEASURE_TITLES.values(), "Reservado"]
        sheets[table.sheet] = (
            headers,
            [
                [r[label], r[table.answer.by[0]]]
                + [r[m] for m in MEASURES]  # None when suppressed
                + ["Sí" if r["suppressed"] else ""]
                for r in table.rows
            ],
        )
    sheets["Metas"] = (
        ["Centro", "Indicador", "Meta anual", "Logrado", "Avance (%)",
         "Avance sobre meta a la fecha (%)", "Proyección al cierre", "Rezagado"],
        [
            [p.center_name, p.target.get_indicator_display() + p.target.breakdown_text,
             p.value, p.actual, round(p.percent, 1),
             None if p.percent_of_phased is None else round(p.percent_of_phased, 1),
             None if p.projection is None else round(p.projection), "Sí" if p.behind else "No"]
            if not report.is_reserved(p)
            else [p.center_name, p.target.get_indicator_display() + p.target.breakdown_text,
                  p.value, *[RESERVED] * 5]
            for p in report.targets
        ],
    )  # fmt: skip
    sheets["Nota metodológica"] = (["Nota"], [[line] for line in methodology_lines(report)])
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def _or_reserved(value):
    """A summary cell: the figure, or «reservado» (statistical secrecy)."""
    return RESERVED if value is None else value


def methodology_lines(report: Report) -> list[str]:
    return [
        f"Periodo: {report.period.text}. "
        f"Comparación con el mismo periodo de {report.period.year - 1}.",
        "Unidad de conteo: un servicio es una unidad productiva atendida en un informe de "
        "servicio; una capacitación a 25 empresas es 1 informe y 25 servicios.",
        "Unidades productivas atendidas: unidades distintas (por RUC o DNI) tras fusionar "
        "duplicados; un RUC 10 y el DNI de la misma persona son una sola unidad.",
        "Unidades nuevas: aquellas cuyo primer servicio en toda la red cae dentro del periodo.",
        "Se cuentan solo informes validados; los anulados nunca cuentan. La fecha de un "
        "servicio es la fecha de fin de su informe.",
        "Monto cobrado: suma de los montos de los servicios, en soles; los gratuitos cuentan 0.",
        f"Datos al {_moment(report.fresh_as_of)} (hora de Lima), según el modelo analítico de "
        "citesmart, derivado de los registros de servicios. " + report.official_note,
        "Reserva estadística: las filas reservadas se muestran con «*» y sin cifras, y las "
        "cifras principales o metas reservadas como «reservado», sin variaciones ni avances "
        "calculados a partir de ellas, según "
        "las reglas de secreto estadístico de citesmart (las mismas del portal, la API y los "
        "datos abiertos):",
        *disclosure.rules(report.threshold)[:2],
    ]
