"""The report's text, written from its figures: nothing here is typed by hand but the grammar."""

from citesmart.presentation.formatting import number, soles
from citesmart.reports.build import Report, Table

LEADERS = 4
NBSP = "\u00a0"  # keeps "S/" on the line of its amount
RESERVED = "reservada por secreto estadístico"


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " y " + items[-1]


def _change(value: float | None, noun: str) -> str:
    if value is None:
        return ""
    if abs(value) < 0.05:
        return f"{noun} se mantuvieron sin variación"
    verb = "crecieron" if value > 0 else "disminuyeron"
    return f"{noun} {verb} {number(abs(value), 1)} %"


def _leaders(table: Table | None, n: int = LEADERS) -> list[str]:
    if table is None:
        return []
    rows = [r for r in table.rows if not r["suppressed"]][:n]
    return [f"{r[f'{table.answer.by[0]}_label']} ({number(r['services'])})" for r in rows]


def _headline(report: Report) -> list[str]:
    """The totals and their variation against last year, or that they are reserved."""
    t, p = report.totals, report.period
    subject = "la red CITE" if report.center is None else report.center.name
    when = f"En {p.year}" if p.full_year else f"Entre el {p.text}"
    if t["suppressed"]:
        # Reserved: no number, nor anything computed from one.
        return [
            f"{when}, {subject} brindó servicios tecnológicos; las cifras de servicios, "
            "informes, unidades productivas atendidas y montos cobrados están reservadas por "
            "secreto estadístico, porque permitirían identificar a personas naturales."
        ]
    out = [
        f"{when}, {subject} brindó {number(t['services'])} servicios tecnológicos "
        f"en {number(report.reports)} informes de servicio a {number(t['units'])} unidades "
        f"productivas, {number(t['new_units'])} de ellas atendidas por primera vez en la "
        f"red. Los servicios pagados sumaron {soles(t['amount']).replace(' ', NBSP, 1)}."
    ]
    changes = [
        c
        for c in (
            _change(report.change("services"), "los servicios"),
            _change(report.change("units"), "las unidades productivas atendidas"),
        )
        if c
    ]
    same = "al mismo periodo de" if not p.full_year else "a"
    if changes:
        out.append(f"Frente {same} {p.year - 1}, {_listing(changes)}.")
    elif report.previous_totals["suppressed"]:
        out.append(f"La comparación frente {same} {p.year - 1} está {RESERVED}.")
    return out


def paragraphs(report: Report) -> list[str]:
    p = report.period
    out = _headline(report)
    ranking = []
    if report.center is None and (leaders := _leaders(report.tables.get("center"))):
        ranking.append(f"Los centros con más servicios fueron {_listing(leaders)}.")
    if leaders := _leaders(report.tables.get("chain"), 3):
        ranking.append(f"Por cadena productiva destacan {_listing(leaders)}.")
    if leaders := _leaders(report.tables.get("department"), 3):
        ranking.append(
            f"Los departamentos con más servicios, según la ubicación de la unidad productiva, "
            f"fueron {_listing(leaders)}."
        )
    if ranking:
        out.append(" ".join(ranking))
    if report.new_technical_units:
        names = [
            f"«{u['name']}»" + (f" de {u['parent']}" if u["parent"] not in u["name"] else "")
            for u in report.new_technical_units
        ]
        if len(names) == 1:
            out.append(f"En {p.year} entró en funcionamiento la unidad técnica {names[0]}.")
        else:
            out.append(
                f"En {p.year} entraron en funcionamiento las unidades técnicas {_listing(names)}."
            )
    programmes = report.tables.get("programme")
    if programmes and programmes.rows:
        # Only published (unsuppressed) cells add up, so a reserved one cannot be deduced.
        public = [r for r in programmes.rows if not r["suppressed"]]
        services = sum(r["services"] for r in public)
        names = [r["programme_label"] for r in public[:3]]
        at_least = "Al menos " if len(public) < len(programmes.rows) else ""
        if public:
            out.append(
                f"{at_least}{number(services)} servicios se brindaron en el marco de programas, "
                f"principalmente {_listing(names)}."
            )
    out.extend(_targets_text(report))
    return out


def _targets_text(report: Report) -> list[str]:
    services = [p for p in report.targets if p.target.indicator == "services"]
    if not services:
        return []
    own = report.center.pk if report.center else None
    main = next((p for p in services if p.target.center_id == own), None)
    text = []
    if main is not None and report.is_reserved(main):
        verb = "fue" if report.period.full_year else "es"
        text.append(
            f"La meta de servicios de {main.target.year} {verb} de {number(main.value)}; "
            f"lo logrado y su avance es información {RESERVED}."
        )
    elif main is not None:
        goal = f"La meta de servicios de {main.target.year}"
        reached = f"{number(main.percent, 1)} %"
        if report.period.full_year or main.projection is None:
            text.append(f"{goal} fue de {number(main.value)}; se alcanzó el {reached}.")
        else:
            text.append(
                f"{goal} es de {number(main.value)}; al corte se alcanzó el {reached} y, al ritmo "
                "habitual de los años anteriores, el año cerraría en torno a "
                f"{number(main.projection)} servicios."
            )
    # A reserved achievement says nothing, not even whether it is behind.
    behind = [p for p in services if p.target.center_id and not report.is_reserved(p) and p.behind]
    if behind and report.center is None:
        text.append(
            "Un centro está rezagado frente a su meta de servicios a la fecha."
            if len(behind) == 1
            else f"{len(behind)} centros están rezagados frente a su meta de servicios a la fecha."
        )
    return [" ".join(text)] if text else []
