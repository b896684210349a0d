import pytest
from analytics_world import World, build_world


@pytest.fixture
def world(db, read_model) -> World:
    return build_world()
