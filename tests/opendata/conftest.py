import pytest
from opendata_world import build_world


@pytest.fixture
def opendata_dir(settings, tmp_path, read_model):
    settings.OPENDATA_DIR = tmp_path / "opendata"
    settings.OPENDATA_PSEUDONYM_KEY = "clave-de-prueba-de-seudonimos"
    return settings.OPENDATA_DIR


@pytest.fixture
def world(db, opendata_dir):
    return build_world()
