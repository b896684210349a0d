"""Two submissions of the same link at the same moment, on PostgreSQL: exactly one answer
is stored; the other gets the Spanish "ya fue respondida", and nothing is half-written."""

import os
import threading

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone
from tests.surveys.survey_world import person, served

from citesmart.geo.loading import load_geography
from citesmart.network.models import Center
from citesmart.network.reference import load_network
from citesmart.surveys import actions
from citesmart.surveys.models import Response, SurveyEvent

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]
ANSWER = {
    "q_attention": 4,
    "q_timeliness": 4,
    "q_quality": 5,
    "q_staff": 3,
    "q_usefulness": 4,
    "recommend": True,
    "comment": "",
}


@pytest.fixture(autouse=True)
def _reference_data(django_db_blocker):
    """Transactional tests flush every table: each gets the network, and so do later modules."""
    with django_db_blocker.unblock():
        load_geography()
        load_network()
    yield
    with django_db_blocker.unblock():
        load_geography()
        load_network()


def test_two_simultaneous_submissions_store_one_answer():
    center = Center.objects.get(code="citeagroindustrial-moquegua")
    served(center, [person("Rosa", email="rosa@example.pe")], end=timezone.now().date())
    actions.send_surveys(base_url="https://x")
    token = mail.outbox[-1].body.split("/encuesta/")[1].split("/")[0]
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def submit(name: str) -> None:
        try:
            start.wait()
            results[name] = actions.submit_by_link(token=token, data=ANSWER)
        except Exception as error:
            results[name] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(n,)) for n in ("uno", "dos")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Response", "SurveyError"], results
    refusal = next(r for r in results.values() if isinstance(r, actions.SurveyError))
    assert "ya fue respondida" in str(refusal)
    assert Response.objects.count() == 1
    assert SurveyEvent.objects.filter(action="respuesta").count() == 1
