"""Static files in production: hashed names (cacheable for a year) and precompressed copies."""

import io

import pytest
from django.core.management import call_command
from django.templatetags.static import static


@pytest.fixture
def production_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    }
    call_command("collectstatic", "--noinput", stdout=io.StringIO())
    return settings.STATIC_ROOT


def test_collectstatic_hashes_and_compresses_the_portal_assets(production_storage):
    for name in ("citesmart/portal.css", "citesmart/live.js"):
        url = static(name)
        stem = name.rsplit(".", 1)[0]
        assert url.startswith(f"/static/{stem}.") and url != f"/static/{name}", url
        hashed = production_storage / url.removeprefix("/static/")
        assert hashed.exists() and hashed.with_name(hashed.name + ".gz").exists()
