"""What figures() answers: a table of cells and its totals, exact or as published."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Figures:
    """One answer: rows (dimension code + `<dimension>_label` + measures + `flagged`), totals.

    Totals are computed over every service the filters select (distinct units are not
    additive, so they are never the sum of the rows), also when `limit` cut the rows.
    """

    by: tuple[str, ...]
    measures: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    totals: dict[str, Any]
    fresh_as_of: datetime
    threshold: int
    truncated: bool = False
    generation: str = field(default="", compare=False)
    perturbed: bool = False  # set by analytics.public for crossings (cell-key perturbation)

    @property
    def columns(self) -> list[str]:
        return [c for d in self.by for c in (d, f"{d}_label")] + [*self.measures, "flagged"]

    @property
    def flagged(self) -> int:
        """How many rows have fewer distinct units than the threshold."""
        return sum(1 for row in self.rows if row["flagged"])
