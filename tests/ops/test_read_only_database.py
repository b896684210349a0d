"""Writes while the database refuses them (failover, planned switchover): a clean Spanish 503.

During a failover the application may reach a PostgreSQL that accepts reads only: a standby
not yet promoted, or a primary frozen with `default_transaction_read_only` before a planned
switch. Its refusal (SQLSTATE 25006, "cannot execute INSERT in a read-only transaction") is
an InternalError, not a lost connection; it must still read as "try again in a moment", with
nothing written. On SQLite the same situation (`PRAGMA query_only`) raises an
OperationalError. `ops/drills/cluster.py` shows it happening for real.
"""

import json
from contextlib import contextmanager, suppress

import pytest
from django.db import connection, transaction
from tests.api.test_api_write import report, send
from tests.conftest import PASSWORD

from citesmart.api.tokens import create_token
from citesmart.records.models import ServiceReport

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


@contextmanager
def read_only_database():
    """The test's database refuses every write, as a standby does, until the block ends.

    All inside a savepoint undone at the end: a PostgreSQL transaction cannot be made
    read-write again once it has read, but a subtransaction's SET is undone with it; and a
    failed write outside the view's own atomic blocks leaves the test's transaction usable."""
    postgres = connection.vendor == "postgresql"
    try:
        with suppress(_Undo), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION READ ONLY" if postgres else "PRAGMA query_only = ON"
                )
            yield
            raise _Undo
    finally:
        if not postgres:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = OFF")


@pytest.fixture
def token_a(manager_a, center_a):
    return create_token(center=center_a, name="ERP", actor=manager_a)[1]


def test_a_report_sent_to_a_read_only_database_gets_a_spanish_503_and_goes_through_later(
    client, token_a
):
    with read_only_database():
        refused = send(client, token_a, report("RO-001"))
        assert refused.status_code == 503
        assert refused["Retry-After"] == "5"
        error = json.loads(refused.content)["error"]
        expected = "database_read_only" if connection.vendor == "postgresql" else "database_"
        assert error["code"].startswith(expected)
        assert "vuelva a intentarlo en unos segundos" in error["message"].lower()
        assert "Traceback" not in refused.content.decode()
    assert not ServiceReport.objects.filter(code="RO-001").exists()

    again = send(client, token_a, report("RO-001"))  # the client sends it again: accepted
    assert again.status_code in {200, 201}, again.content
    assert ServiceReport.objects.filter(code="RO-001").count() == 1


def test_a_staff_login_during_the_switch_gets_the_spanish_page_not_an_error(client, manager_a):
    with read_only_database():
        answer = client.post(
            "/admin/login/",
            {"username": manager_a.username, "password": PASSWORD},
            HTTP_ACCEPT="text/html",
        )
    body = answer.content.decode()
    assert answer.status_code == 503, body[:500]
    assert "Servicio no disponible por un momento" in body
    assert "vuelva a intentarlo en unos segundos" in body.lower()
    assert "Traceback" not in body and "InternalError" not in body
