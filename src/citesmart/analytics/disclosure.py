"""Statistical disclosure control: the one rule for the portal, the API and the open data.

A published figure must not single out a natural person (Ley 29733). The rule:

1. A cell is *sensitive* when it counts at least one but fewer than
   ANALYTICS_DISCLOSURE_THRESHOLD (default 5) distinct productive units, and at least one of
   them is a natural person (DNI, carné de extranjería, RUC 10/15/17, no document, or a
   "persona natural con negocio"/"emprendedor" client type). Cells made only of legal
   entities are public information and are never suppressed. And since the legal
   entities' services are published whole (rule 3), anyone can subtract them from a
   published cell: a cell is also sensitive when its natural persons alone are at least one
   and fewer than the threshold, however many legal entities it holds
   (`natural_part_sensitive`; analytics.public counts them).
2. Tables: a sensitive cell is *suppressed*: every measure becomes None and the row is
   marked `suppressed`. When exactly one cell of a table would be suppressed, the next
   smallest cell is suppressed too (complementary suppression), so the hidden value cannot
   be recovered by subtracting the others from the published total.
3. Microdata: a natural person's service shows only its year and pseudonyms (see
   opendata.build): any attribute it kept would let its table cells be recounted.
   `geography_level` (coarsening district -> province -> department until the area holds
   the threshold of units) is kept for other uses; legal entities keep their district.
4. Crossings that are not official tables are perturbed: analytics.public decides,
   analytics.cellkey perturbs.

`analytics.queries.figures` sets each row's `flagged` with `is_sensitive`; `protect` turns
flags into suppressions; `geography_level` decides microdata coarsening. RULES states the
same in Spanish for the data dictionary and the pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from citesmart.analytics import conf

if TYPE_CHECKING:  # queries imports this module: no import cycle at run time
    from citesmart.analytics.queries import Figures

GEOGRAPHY_LEVELS = ("district", "province", "department")
"""From finest to coarsest: what microdata coarsening walks through."""

SUPPRESSED_NOTE = "Dato reservado (secreto estadístico): menos de {n} unidades productivas."


def threshold() -> int:
    """The setting ANALYTICS_DISCLOSURE_THRESHOLD (default 5)."""
    return conf.disclosure_threshold()


def is_sensitive(units: int, natural_units: int, limit: int | None = None) -> bool:
    """Whether a cell could single out a natural person (rule 1).

    `units` distinct productive units in the cell, `natural_units` of them natural persons.
    An empty cell discloses nobody.
    """
    limit = threshold() if limit is None else limit
    return 0 < units < limit and natural_units > 0


def natural_part_sensitive(natural_persons: int, limit: int | None = None) -> bool:
    """Whether a cell's natural persons alone could be singled out (rule 1): what is left of
    it once the legal entities, published whole in the microdata, are subtracted.

    `natural_persons`: its distinct natural persons, exact or a lower bound (which errs on
    the safe side: it may suppress, never publish, a cell in doubt).
    """
    limit = threshold() if limit is None else limit
    return 0 < natural_persons < limit


def protect(answer: Figures, natural: Sequence[int] | None = None) -> Figures:
    """The answer as it may be published: sensitive cells suppressed (rule 2).

    Every row and the totals get a `suppressed` bool; suppressed ones have each measure set
    to None (codes and labels stay, so the table keeps its shape). The input is not modified.
    `natural`, the distinct natural persons of each row: a lone suppressed cell is then
    completed by a cell holding some (one of legal entities only is in the microdata, and
    would give the secret cell back).
    """
    rows = [dict(row) for row in answer.rows]
    hidden = {index for index, row in enumerate(rows) if row["flagged"]}
    if len(hidden) == 1 and len(rows) > 1 and not answer.totals["flagged"]:
        other = _smallest_other(rows, answer.measures, hidden, natural)
        if other is not None:
            hidden.add(other)
    for index, row in enumerate(rows):
        _mark(row, answer.measures, index in hidden)
    totals = dict(answer.totals)
    _mark(totals, answer.measures, bool(totals["flagged"]))
    return replace(answer, rows=tuple(rows), totals=totals)


def _smallest_other(
    rows: list[dict[str, Any]],
    measures: tuple[str, ...],
    hidden: set[int],
    natural: Sequence[int] | None,
) -> int | None:
    order = [m for m in ("units", "services", "reports", "amount") if m in measures] or [
        measures[0]
    ]
    candidates = [
        index
        for index in range(len(rows))
        if index not in hidden and (natural is None or natural[index] > 0)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda index: tuple(rows[index][m] for m in order))


def _mark(row: dict[str, Any], measures: tuple[str, ...], suppressed: bool) -> None:
    row["suppressed"] = suppressed
    if suppressed:
        for measure in measures:
            row[measure] = None


def suppressed_rows(answer: Figures) -> int:
    """How many rows of a protected answer are suppressed (for notes under tables)."""
    return sum(1 for row in answer.rows if row.get("suppressed"))


def geography_level(
    counts: Mapping[str, int], *, natural_person: bool, limit: int | None = None
) -> str | None:
    """The finest geography a microdata row may show (rule 3), or None to leave it out.

    `counts` maps each of GEOGRAPHY_LEVELS to the distinct productive units in the row's
    area at that level (missing or None: the area is unknown at that level).
    """
    limit = threshold() if limit is None else limit
    for level in GEOGRAPHY_LEVELS:
        count = counts.get(level)
        if count is None:
            continue
        if not natural_person or count >= limit:
            return level
    return None


RULES = [
    "Se considera sensible toda celda con al menos una y menos de {n} unidades productivas "
    "distintas cuando alguna de ellas es una persona natural (DNI, carné de extranjería, "
    "RUC que empieza con 10, 15 o 17, sin documento, o tipo de cliente «persona natural con "
    "negocio» o «emprendedor»). También lo es toda celda con al menos una y menos de {n} "
    "personas naturales distintas, tenga las personas jurídicas que tenga: como los "
    "servicios a personas jurídicas se publican completos en los microdatos, restarlos de "
    "la celda dejaría a la vista la parte de esas pocas personas naturales.",
    "En los cuadros, las cifras de una celda sensible se reservan: se publican vacías y "
    "marcadas como reservadas. Si en un cuadro solo hubiera una celda reservada, también se "
    "reserva la siguiente celda más pequeña con alguna persona natural, para que la cifra no "
    "pueda deducirse del total.",
    "Son cuadros oficiales, exactos, los de un año (o de todos los años por año o por mes) "
    "sin otro filtro, desglosados a lo más por año, mes, departamento, centro, cadena "
    "productiva o categoría de servicio, una sola celda de ellos, y las cifras de los "
    "informes publicados. Cualquier otro cruce que se consulte en el tablero o en la API se "
    "publica perturbado y marcado como tal: cada registro tiene una clave aleatoria fija, "
    "cada celda una clave que resulta de sus registros, y una tabla fija de ajustes suma o "
    "resta 1 o 2 a cada conteo que no sea cero (y del 1 % al 5 % a los montos). La misma "
    "celda recibe siempre la misma cifra, y restar cifras publicadas no revela una celda "
    "reservada. Los totales de un cruce se perturban como una celda más. En los cruces "
    "también se reservan las celdas sensibles.",
    "En los microdatos, los servicios a personas naturales solo muestran el año, el código "
    "seudónimo del servicio y el de la unidad productiva: sin mes, centro, categoría, "
    "cadena, programa, monto, tipo de cliente, tamaño ni ubicación, para que ninguna celda "
    "reservada de un cuadro pueda recontarse con ellos. Los servicios a personas jurídicas "
    "se publican completos.",
    "Nunca se publican nombres de personas naturales, DNI, carnés de extranjería ni RUC de "
    "personas naturales; cada unidad productiva se identifica con un código seudónimo "
    "estable que no permite conocer su documento. Las personas jurídicas (RUC 20) pueden "
    "aparecer con su RUC y razón social.",
    "Las celdas formadas solo por personas jurídicas no se reservan.",
]


def rules(limit: int | None = None) -> list[str]:
    """RULES in Spanish with the threshold in force."""
    limit = threshold() if limit is None else limit
    return [rule.format(n=limit) for rule in RULES]
