"""A web worker loads what every page needs before its first request (citesmart.ops.warmup,
called from citesmart.wsgi), and computes no figure doing so."""

import pytest
from django.template import engines

from citesmart.analytics import conf, connection, queries, refresh, scan
from citesmart.network import registry
from citesmart.ops import warmup


def _no_figures(*args, **kwargs):
    raise AssertionError("the warm-up computed a figure")


@pytest.fixture
def cold_worker(network, read_model, monkeypatch):
    """A built read model, and a process that has opened nothing yet."""
    refresh.rebuild()
    connection.forget_readers()
    registry.forget()
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    monkeypatch.setattr(queries, "_compute", _no_figures)
    monkeypatch.setattr(scan, "run_sums", _no_figures)
    return loader


@pytest.mark.django_db
def test_a_worker_is_ready_before_its_first_request(cold_worker):
    warmup.warm()
    reader = connection.reader(conf.directory(), conf.duckdb_config())
    assert reader.generation and reader.meta["schema"]  # the generation is open
    assert registry._held is not None  # the network's registry is loaded
    compiled = set(cold_worker.get_template_cache)
    pages = {"portal/base.html", "portal/home.html", "portal/_results.html", "ops/503.html"}
    assert pages <= compiled


@pytest.mark.django_db
def test_a_worker_without_a_read_model_still_starts(cold_worker, read_model):
    for path in read_model.iterdir():  # no generation at all: the first request answers 503
        if path.is_file():
            path.unlink()
    connection.forget_readers()
    warmup.warm()  # no exception
    assert not connection.reader(conf.directory(), conf.duckdb_config()).generation
