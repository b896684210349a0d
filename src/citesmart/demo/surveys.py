"""Demonstration surveys for 2024–2025 over the demo records (`citesmart demo_surveys`).

Response rates differ by center (some centers' units answer far less) and some sampled
units never answer, so the published intervals are real ones. Answers are random, seeded.
"""

import random
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from citesmart.records.models import ReportStatus, Service
from citesmart.surveys import actions
from citesmart.surveys.models import (
    SCORE_FIELDS,
    ChangeRange,
    Channel,
    ContactAttempt,
    Invitation,
    Kind,
    Response,
    SavingRange,
    Wave,
)

DEMO = "Demostración"
WAVES = [  # (name, months after, served from, served to)
    (f"{DEMO}: seguimiento a 6 meses, 2024", 6, date(2024, 1, 1), date(2024, 12, 31)),
    (f"{DEMO}: seguimiento a 12 meses, 2024", 12, date(2024, 1, 1), date(2024, 12, 31)),
    (f"{DEMO}: seguimiento a 6 meses, 1.er semestre 2025", 6, date(2025, 1, 1), date(2025, 6, 30)),
]


@dataclass
class DemoSummary:
    invitations: int = 0
    responses: int = 0
    waves: int = 0


def run(*, seed: int = 18, share: float = 0.4) -> DemoSummary:
    """Satisfaction invitations for a share of the 2024–2025 services, and three waves."""
    summary = DemoSummary()
    if Wave.objects.filter(name__startswith=DEMO).exists():
        return summary  # already there: the command is safe to run twice
    rng = random.Random(seed)
    with transaction.atomic():
        _satisfaction(rng, share, summary)
        for name, months, start, end in WAVES:
            wave = Wave.objects.create(
                name=name,
                months_after=months,
                served_from=start,
                served_to=end,
                margin=0.12,
                exclude_months=0,
            )
            try:
                actions.draw_wave(wave=wave, actor=None, seed=rng.randrange(10**9))
            except actions.SurveyError:
                wave.delete()
                continue
            summary.waves += 1
            _answer(rng, Invitation.objects.filter(wave=wave), summary, Kind.FOLLOW_UP)
    return summary


def _propensity(center_id: int) -> float:
    """A center's units' probability of answering, fixed per center (0.25 to 0.85)."""
    return 0.25 + (center_id * 37 % 13) / 20


def _satisfaction(rng: random.Random, share: float, summary: DemoSummary) -> None:
    services = Service.objects.filter(
        report__status=ReportStatus.VALIDATED,
        report__end_date__range=(date(2024, 1, 1), date(2025, 12, 31)),
    ).values_list("report_id", "unit_id", "report__center_id")
    chosen = [row for row in services.order_by("pk") if rng.random() < share]
    Invitation.objects.bulk_create(
        Invitation(kind=Kind.SATISFACTION, report_id=r, unit_id=u, center_id=c)
        for r, u, c in chosen
    )
    summary.invitations += len(chosen)
    _answer(rng, Invitation.objects.filter(kind=Kind.SATISFACTION), summary, Kind.SATISFACTION)


def _answer(rng: random.Random, invitations, summary: DemoSummary, kind: str) -> None:
    responses, attempts = [], []
    for invitation in invitations.order_by("pk"):
        if kind == Kind.FOLLOW_UP:
            summary.invitations += 1
        if rng.random() >= _propensity(invitation.center_id):
            attempts.append(
                ContactAttempt(
                    invitation=invitation,
                    channel="telefono",
                    outcome=rng.choice(["sin_respuesta", "dato_errado", "rechaza"]),
                )
            )
            continue
        quality = 0.55 + (invitation.center_id % 7) / 20  # some centers do better
        responses.append(_response(rng, invitation, kind, quality))
    Response.objects.bulk_create(responses)
    ContactAttempt.objects.bulk_create(attempts)
    summary.responses += len(responses)


def _response(rng: random.Random, invitation, kind: str, quality: float) -> Response:
    channel = rng.choice([Channel.LINK, Channel.LINK, Channel.PHONE, Channel.PAPER])
    response = Response(invitation=invitation, channel=channel)
    if kind == Kind.SATISFACTION:
        for name in SCORE_FIELDS:
            setattr(response, name, 5 if rng.random() < quality else rng.randint(2, 4))
        response.recommend = rng.random() < quality + 0.2
    else:
        response.improved = rng.random() < quality
        response.new_product = rng.random() < quality / 2
        response.certification = rng.random() < 0.08
        response.new_market = rng.random() < quality / 3
        response.sales_change = rng.choice(ChangeRange.values)
        response.jobs_change = rng.choice([ChangeRange.SAME, ChangeRange.SAME, ChangeRange.UP_10])
        response.savings = rng.choice(SavingRange.values)
    return response
