"""The surveys' invitations, fed to the read model (analytics.surveyunits).

Registered from SurveysConfig.ready(): analytics sits below this app and never imports it,
so it asks the registered provider for one row per invitation of a published survey (a
satisfaction survey's, or a drawn wave's) and for a version that moves with every new
invitation, answer, drawn wave or edited report. A row carries the stratum, the domains'
codes and names and each indicator's 1/0/none: never the unit, a contact or a comment.
"""

from collections import Counter
from collections.abc import Iterator

from django.db.models import Count, Max, Q, QuerySet, Sum

from citesmart.analytics import surveyunits
from citesmart.surveys.indicators import ANSWER_FIELDS, INDICATORS
from citesmart.surveys.models import Invitation, Response, Stratum, Wave

COLUMNS = (
    "pk",
    "kind",
    "stratum_id",
    "stratum__population",
    "center__code",
    "center__name",
    "report__chain__code",
    "report__chain__name",
    "report__category__code",
    "report__category__name",
    "report__programme__code",
    "report__programme__name",
    "report__end_date__year",
)


def published() -> QuerySet[Invitation]:
    """The invitations whose answers are estimated: satisfaction, and drawn waves'."""
    return Invitation.objects.filter(Q(wave__isnull=True) | Q(wave__drawn_at__isnull=False))


def rows() -> Iterator[surveyunits.Row]:
    invitations = list(published().values_list(*COLUMNS).order_by("pk"))
    answers = {
        r.invitation_id: r
        for r in Response.objects.filter(invitation__in=published()).only(
            "invitation", *ANSWER_FIELDS
        )
    }
    # Satisfaction surveys invite every unit served (a census): one stratum per center and
    # year, N_h = its invitations. Follow-up waves carry their drawn strata. A year is a
    # domain (a wave's strata may span two years), never a cut of the strata.
    census = Counter(_key(row) for row in invitations if row[2] is None)
    for row in invitations:
        pk, kind, stratum_id, population, center, center_name, *names, year = row
        answer = answers.get(pk)
        values = {
            code: None if answer is None else value_of(answer)
            for code, (_kind, _label, value_of) in INDICATORS.items()
            if _kind == kind
        }
        yield surveyunits.Row(
            f"w{stratum_id}" if stratum_id else _key(row),
            population if stratum_id else census[_key(row)],
            center,
            center_name,
            *names,
            year=year,
            kind=kind,
            responded=answer is not None,
            values=values,
        )


def _key(row: tuple) -> str:
    """The census stratum of a satisfaction invitation: its survey, center and year."""
    return f"c:{row[1]}:{row[4]}:{row[-1]}"


def version() -> str:
    """Moves with any new or removed invitation, answer or drawn wave, and any edit of the
    reports surveyed (their `updated_at`): one aggregate query."""
    found = Invitation.objects.aggregate(
        n=Count("pk"),
        ids=Sum("pk"),
        answers=Count("response"),
        last_answer=Max("response__pk"),
        drawn=Count("wave__drawn_at"),
        edited=Max("report__updated_at"),
    )
    return ":".join(str(found[name] or 0) for name in found)


def totals() -> dict[tuple[str, str], tuple[int, int]]:
    """Invitations and answers per (center code, kind), counted by the database."""
    found = (
        published()
        .values("center__code", "kind")
        .annotate(n=Count("pk"), answered=Count("response"))
    )
    return {(row["center__code"], row["kind"]): (row["n"], row["answered"]) for row in found}


def models() -> list[type]:
    return [Invitation, Response, Wave, Stratum]


PROVIDER = surveyunits.Provider(
    name="surveys",
    indicators=[(code, str(kind)) for code, (kind, _label, _value) in INDICATORS.items()],
    rows=rows,
    version=version,
    totals=totals,
    models=models,
)
