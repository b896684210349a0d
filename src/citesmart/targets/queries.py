"""Reading targets and their achievement. Every achieved figure comes from analytics.figures().

Achievement of a target to a date (`as_of`):
- actual: the indicator counted for the target's center (without its technical units, which
  have targets of their own), year and optional category/chain, up to `as_of`;
- percent: actual against the annual target;
- phased: the part of the target due by `as_of` according to its monthly shares, and actual
  against it;
- projection: actual divided by the share of the year that previous years had reached by the
  same date (seasonal), i.e. where the year ends if it keeps the usual rhythm;
- behind: percent of the phased target below 100 % by more than TARGETS_BEHIND_MARGIN;
- state: "rezagado" when behind, else "por debajo" when the projection ends the year below
  the target (a year closing at 90 % is never on track), else "en linea".
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citesmart.accounts.access import is_national, scope
from citesmart.analytics.filters import Filters
from citesmart.analytics.queries import figures
from citesmart.analytics.vocabulary import MEASURES
from citesmart.targets.models import Indicator, Target, TargetVersion
from citesmart.targets.seasonality import (
    history_filters,
    seasonal_shares,
    seasonal_shares_by_center,
    share_to_date,
)

INDICATORS = [i.value for i in Indicator]
assert set(INDICATORS) <= set(MEASURES)


def visible_targets(user, year: int | None = None) -> QuerySet[Target]:
    """Targets the user may see: all for ITP staff, their center's (and its UTs') otherwise.

    National targets (no center) are for national staff only.
    """
    targets = Target.objects.select_related("center", "category", "chain").prefetch_related(
        Prefetch("versions", queryset=TargetVersion.objects.select_related("created_by"))
    )
    if year is not None:
        targets = targets.filter(year=year)
    if is_national(user):
        return targets
    return scope(targets, user)


def target_years(user) -> list[int]:
    return sorted(set(visible_targets(user).values_list("year", flat=True)), reverse=True)


def default_year(user) -> int | None:
    """The latest target year that already has counted services (else the latest one)."""
    years = target_years(user)
    if not years:
        return None
    answer = figures(Filters(), by=["year"], measures=["services"])
    counted = {int(row["year"]) for row in answer.rows if row["services"]}
    return next((y for y in years if y in counted), years[0])


def default_as_of(year: int, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return min(today, date(year, 12, 31))


def behind_margin() -> float:
    return float(getattr(settings, "TARGETS_BEHIND_MARGIN", 0.10))


STATES = {
    "rezagado": _("Rezagado"),
    "por-debajo": _("Por debajo de la meta"),
    "en-linea": _("En línea"),
}


@dataclass(frozen=True)
class Progress:
    target: Target
    version: TargetVersion
    as_of: date
    actual: float
    phased_to_date: float
    projection: float | None

    @property
    def value(self) -> float:
        return float(self.version.value)

    @property
    def percent(self) -> float:
        return 100.0 * self.actual / self.value

    @property
    def percent_of_phased(self) -> float | None:
        return 100.0 * self.actual / self.phased_to_date if self.phased_to_date else None

    @property
    def projection_percent(self) -> float | None:
        return None if self.projection is None else 100.0 * self.projection / self.value

    @property
    def behind(self) -> bool:
        ratio = self.percent_of_phased
        return ratio is not None and ratio < 100.0 * (1 - behind_margin())

    @property
    def below_target(self) -> bool:
        """The projection (or, with none, the achievement) ends the year under 100 %."""
        percent = self.projection_percent
        return (percent if percent is not None else self.percent) < 100.0

    @property
    def state(self) -> str:
        if self.behind:
            return "rezagado"
        return "por-debajo" if self.below_target else "en-linea"

    @property
    def state_label(self) -> str:
        return str(STATES[self.state])

    @property
    def center_name(self) -> str:
        return self.target.center.name if self.target.center_id else "Red CITE (nacional)"


def achievement(targets: Iterable[Target], as_of: date | None = None) -> list[Progress]:
    """Progress of each target (its current version) to `as_of` (default: today or year end)."""
    out: list[Progress] = []
    actuals: dict[tuple, dict] = {}
    seasons: dict[tuple, dict] = {}
    for target in targets:
        versions = sorted(target.versions.all(), key=lambda v: v.number)
        if not versions:
            continue
        when = as_of or default_as_of(target.year)
        group = (
            target.year,
            when,
            target.category.code if target.category_id else None,
            target.chain.code if target.chain_id else None,
        )
        if group not in actuals:
            actuals[group] = _actuals(*group)
        row = actuals[group].get(target.center.code if target.center_id else None)
        actual = float(row[target.indicator]) if row else 0.0
        shares = versions[-1].monthly_shares
        out.append(
            Progress(
                target=target,
                version=versions[-1],
                as_of=when,
                actual=actual,
                phased_to_date=float(versions[-1].value) * _share(shares, target.year, when),
                projection=_projection(target, actual, when, group, seasons),
            )
        )
    return out


def _share(shares: list[float], year: int, when: date) -> float:
    if when < date(year, 1, 1):
        return 0.0
    if when >= date(year, 12, 31):
        return 1.0
    return share_to_date(shares, when)


def _actuals(year: int, when: date, category: str | None, chain: str | None) -> dict:
    """Indicator rows by center code (None: the whole network), in one analytics query."""
    filters = Filters(
        years=(year,),
        date_to=when,
        categories=(category,) if category else (),
        chains=(chain,) if chain else (),
    )
    answer = figures(filters, by=["center"], measures=INDICATORS)
    found: dict = {row["center"]: row for row in answer.rows}
    found[None] = answer.totals
    return found


def _projection(target: Target, actual: float, when: date, group: tuple, seasons: dict):
    year, _, category, chain = group
    if when >= date(year, 12, 31):
        return actual
    if when < date(year, 1, 1):
        return None
    key = (year, target.indicator, category, chain)
    if key not in seasons:
        history = history_filters(year, center=None, category=category, chain=chain)
        seasons[key] = seasonal_shares_by_center(year, target.indicator, history)
        seasons[key][None] = seasonal_shares(year, target.indicator, category=category, chain=chain)
    center = target.center.code if target.center_id else None
    shares = seasons[key].get(center)
    if shares is None:  # no history for this center: its phasing is the best guess
        shares = sorted(target.versions.all(), key=lambda v: v.number)[-1].monthly_shares
    expected = share_to_date(shares, when)
    return actual / expected if expected > 0 else None


SORTS = {
    "centro": lambda p: (p.center_name.lower(),),
    "avance": lambda p: (p.percent,),
    "ritmo": lambda p: (p.percent_of_phased if p.percent_of_phased is not None else 0,),
    "proyeccion": lambda p: (p.projection_percent or 0,),
    "meta": lambda p: (p.value,),
    "logrado": lambda p: (p.actual,),
}


def sort_progress(rows: list[Progress], key: str, descending: bool) -> list[Progress]:
    sort = SORTS.get(key, SORTS["centro"])
    national = [p for p in rows if not p.target.center_id]
    others = sorted((p for p in rows if p.target.center_id), key=sort, reverse=descending)
    return national + others
