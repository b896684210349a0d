"""Each thread keeps its DuckDB cursor between queries (analytics.connection.Reader.cursor):
the same one for consecutive queries, a cursor of its own when nested, never one of an old
generation, and none left open on an old generation once a new one is attached."""

import threading

import duckdb
import pytest

from citesmart.analytics import conf, connection, refresh


@pytest.fixture
def reader(network, read_model):
    refresh.rebuild()
    return connection.reader(conf.directory(), conf.duckdb_config())


@pytest.mark.django_db
def test_a_thread_reuses_its_cursor_and_a_nested_query_gets_its_own(reader):
    with reader.cursor() as first:
        first.execute("SELECT count(*) FROM facts").fetchone()
        with reader.cursor() as nested:
            assert nested is not first
            assert nested.execute("SELECT 1").fetchone() == (1,)
        # the outer query's cursor still works after the nested one closed
        assert first.execute("SELECT 2").fetchone() == (2,)
    with reader.cursor() as again:
        assert again is first
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_cursor_of(reader)))
    worker.start()
    worker.join()
    assert seen[0] is not first  # another thread, another cursor


@pytest.mark.django_db
def test_a_new_generation_closes_the_idle_cursors_of_the_old_one(reader):
    with reader.cursor() as old:
        old_generation = reader.generation
    refresh.rebuild()
    with reader.cursor() as new:
        assert reader.generation != old_generation
        assert new is not old
        assert new.execute("SELECT count(*) FROM meta").fetchone()[0] > 0
    with pytest.raises(duckdb.ConnectionException):
        old.execute("SELECT 1")  # closed: the old file is not held open by it


@pytest.mark.django_db
def test_a_failed_query_does_not_leave_its_cursor_for_the_next(reader):
    with pytest.raises(duckdb.Error), reader.cursor() as broken:
        broken.execute("SELECT * FROM no_such_table")
    with reader.cursor() as fresh:
        assert fresh is not broken
        assert fresh.execute("SELECT 3").fetchone() == (3,)


def _cursor_of(reader):
    with reader.cursor() as cursor:
        return cursor
