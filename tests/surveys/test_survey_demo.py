"""`citesmart demo_surveys`: waves and answers whose response rates differ by center."""

import io
from collections import Counter

import pytest
from django.core.management import call_command

from citesmart.surveys.models import Invitation, Response, Wave
from citesmart.surveys.queries import published_results

pytestmark = pytest.mark.django_db


def test_demo_surveys_give_real_intervals_and_uneven_response_rates(settings, read_model):
    settings.SURVEY_MIN_RESPONDENTS = 10
    call_command("demo_data", years="2024-2025", scale=0.02, seed=11, stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_surveys", stdout=out)
    assert "olas" in out.getvalue()
    assert Wave.objects.filter(drawn_at__isnull=False, seed__isnull=False).count() >= 2
    invited = Counter(Invitation.objects.values_list("center_id", flat=True))
    answered = Counter(Response.objects.values_list("invitation__center_id", flat=True))
    rates = {c: answered[c] / n for c, n in invited.items() if n >= 20}
    assert max(rates.values()) - min(rates.values()) > 0.2
    assert Invitation.objects.filter(response__isnull=True).exists()  # non-response
    shown = [
        r for r in published_results(indicator="satisfechos", by="centro") if not r["suprimido"]
    ]
    assert shown and all(r["ic95_inferior"] < r["ic95_superior"] for r in shown)
    before = Response.objects.count()
    call_command("demo_surveys", stdout=io.StringIO())  # twice is harmless
    assert Response.objects.count() == before
