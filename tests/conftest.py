"""Shared fixtures: the real reference data and a small world of users (healthchecks' Alice/Bob)."""

import shutil
import tempfile

import pytest
from django.db import connection as django_connection

from citesmart.accounts.actions import create_staff_user
from citesmart.accounts.roles import Role
from citesmart.analytics import connection, queries, refresh
from citesmart.geo.loading import load_geography
from citesmart.network.models import Center
from citesmart.network.reference import load_network
from citesmart.ops import demo
from citesmart.portal import pagecache
from citesmart.records import closing

PASSWORD = "una-clave-de-prueba-larga"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the real ubigeo and CITE network, as production does."""
    with django_db_blocker.unblock():
        load_geography()
        load_network()


@pytest.fixture(scope="session")
def _live_sessions_ended(django_db_setup, django_db_blocker):
    """Sessions opened by the live server's request threads may outlive them: end them when
    the run ends, so the test database can be dropped. Not earlier: a session this process
    still holds (Playwright runs the test's ORM calls in its own contexts) would be cut off
    in the middle of a later module's test (seen on PostgreSQL)."""
    yield
    with django_db_blocker.unblock():
        if django_connection.vendor == "postgresql":
            with django_connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    """Nothing a test run caches reaches var/: the shared analytics cache goes to a temp dir."""
    from django.conf import settings

    config.shared_cache_dir = tempfile.mkdtemp(prefix="citesmart-cache-")
    settings.CACHES = _with_shared_cache(settings.CACHES, config.shared_cache_dir)


def pytest_unconfigure(config):
    location = getattr(config, "shared_cache_dir", None)
    for path in [location, f"{location}-default"] if location else []:
        shutil.rmtree(path, ignore_errors=True)


def _with_shared_cache(caches: dict, location) -> dict:
    return caches | {
        "analytics": caches["analytics"] | {"LOCATION": str(location)},
        # Rate limits (the default cache) beside it, not in it: tests list that directory.
        "default": caches["default"] | {"LOCATION": f"{location}-default"},
    }


@pytest.fixture(autouse=True)
def _empty_cache(settings, tmp_path):
    """Rate limits and cached answers live in the caches: every test starts without them.

    The shared analytics cache (answers and pages of all processes) gets its own directory.
    """
    from django.core.cache import cache

    cache.clear()
    closing.forget_official_through()  # a process cache of 30 s: each test asks afresh
    demo.forget(assume=False)  # likewise; no test database starts with demo data
    pagecache.forget()  # the pages this process keeps in front of the shared cache
    settings.CACHES = _with_shared_cache(settings.CACHES, tmp_path / "shared-cache")


@pytest.fixture
def network(db) -> None:
    """The real network, as production has it. A transactional test that ran before (they
    run after all others) flushed every table, the reference data with them: load them again."""
    if not Center.objects.exists():
        load_geography()
        load_network()


@pytest.fixture
def center_a(network) -> Center:
    return Center.objects.get(code="citeagroindustrial-moquegua")  # has the Tacna technical unit


@pytest.fixture
def center_b(network) -> Center:
    return Center.objects.get(code="citecuero-y-calzado-trujillo")


def make_user(username: str, role: Role, center: Center | None = None):
    return create_staff_user(username=username, password=PASSWORD, role=role, center=center)


@pytest.fixture
def national_admin(db):
    return make_user("itp_admin", Role.NATIONAL_ADMIN)


@pytest.fixture
def analyst(db):
    return make_user("itp_analista", Role.ANALYST)


@pytest.fixture
def manager_a(center_a):
    return make_user("gestor_a", Role.CENTER_MANAGER, center_a)


@pytest.fixture
def operator_a(center_a):
    return make_user("operador_a", Role.CENTER_OPERATOR, center_a)


@pytest.fixture
def manager_b(center_b):
    return make_user("gestor_b", Role.CENTER_MANAGER, center_b)


@pytest.fixture
def operator_b(center_b):
    return make_user("operador_b", Role.CENTER_OPERATOR, center_b)


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user: client_for(manager_a).get(...)."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def read_model(settings, tmp_path):
    """A private read model directory; every query checks the records (no 1 s throttle)."""
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    settings.ANALYTICS_CHECK_INTERVAL = 0
    connection.forget_readers()
    queries.clear_cache()
    refresh.reset_throttle()
    yield settings.ANALYTICS_DIR
    # A background check still reading the records would race the test database's teardown
    # ("database table is locked" on SQLite).
    refresh.wait_for_background_check()
    connection.forget_readers()
    queries.clear_cache()
