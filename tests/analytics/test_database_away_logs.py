"""A database that goes away in the middle of a refresh (a restart, a failover) is logged as
an expected outage, not as a bug with a traceback, also when the error comes from psycopg
itself (the records' COPY runs on the raw connection, unwrapped by Django)."""

import logging
import time

import psycopg
import pytest
from django import db

from citesmart.analytics import push, refresh

AWAY = [
    psycopg.OperationalError("consuming input failed: server closed the connection"),
    db.OperationalError("connection to server lost"),
]


def _fails_with(error):
    def job(*args, **kwargs):
        raise error

    return job


@pytest.mark.parametrize("error", AWAY, ids=type)
def test_a_background_check_that_loses_the_database_warns(error, caplog):
    with caplog.at_level(logging.WARNING, logger="citesmart.analytics.refresh"):
        refresh._in_thread(_fails_with(error))
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "no disponible" in caplog.records[0].getMessage()
    assert not caplog.records[0].exc_info


@pytest.mark.parametrize("error", AWAY, ids=type)
def test_a_refresh_by_notice_that_loses_the_database_warns(error, caplog, monkeypatch):
    monkeypatch.setattr(refresh, "refresh", _fails_with(error))
    refresher = push.Refresher(warm=False).start()
    with caplog.at_level(logging.WARNING, logger="citesmart.analytics.push"):
        refresher.poke()
        deadline = time.monotonic() + 10
        while refresher.refreshes < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        refresher.stop()
    found = [r for r in caplog.records if r.name == "citesmart.analytics.push"]
    assert [r.levelno for r in found] == [logging.WARNING]
    assert not found[0].exc_info


def test_a_bug_still_has_its_traceback(caplog):
    with caplog.at_level(logging.WARNING, logger="citesmart.analytics.refresh"):
        refresh._in_thread(_fails_with(KeyError("bug")))
    assert caplog.records[0].levelno == logging.ERROR and caplog.records[0].exc_info
