import pytest
from analytics_world import World, build_world

from citesmart.geo.loading import load_geography
from citesmart.network.models import Center
from citesmart.network.reference import load_network


@pytest.fixture(autouse=True)
def _reference_data_after_a_flush(request, django_db_blocker):
    """A transactional test flushes every table when it ends, reference data included, and
    pytest-django runs those tests last: the next one finds the network missing."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        with django_db_blocker.unblock():
            if not Center.objects.exists():
                load_geography()
                load_network()


@pytest.fixture
def world(db, read_model) -> World:
    return build_world()
