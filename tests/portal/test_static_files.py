"""Static files in production: hashed names (cacheable for a year) and precompressed copies."""

import gzip
import io
import os

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client


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


# --- demo mode (DEBUG, `make demo`): the same compressed files, without hashed names ---------


def _get(client, url: str, encoding: str = ""):
    response = client.get(url, HTTP_ACCEPT_ENCODING=encoding) if encoding else client.get(url)
    assert response.status_code == 200, url
    return response, b"".join(response.streaming_content)


@pytest.fixture
def demo_mode(settings, tmp_path):
    """The settings `make demo` runs with (tests load them with DEBUG=1, as the demo does;
    pytest-django then turns DEBUG off, turned on again here) and a fresh STATIC_ROOT."""
    settings.DEBUG = True
    settings.STATIC_ROOT = tmp_path / "static"
    assert "Compressed" in settings.STORAGES["staticfiles"]["BACKEND"]
    return settings


def test_demo_mode_serves_the_portal_css_and_js_compressed(demo_mode):
    call_command("collectstatic", "--noinput", stdout=io.StringIO())
    client = Client()  # a fresh handler: whitenoise reads DEBUG and STATIC_ROOT when built
    for name in ("citesmart/portal.css", "citesmart/live.js", "ninja/swagger-ui-bundle.js"):
        url = static(name)
        assert url == f"/static/{name}"  # no manifest: the names stay as written
        plain, body = _get(client, url)
        assert (
            "Content-Encoding" not in plain and body == (demo_mode.STATIC_ROOT / name).read_bytes()
        )
        zipped, compressed = _get(client, url, "gzip, deflate, br")
        assert zipped["Content-Encoding"] in ("gzip", "br"), name
        assert "Accept-Encoding" in zipped["Vary"]
        assert len(compressed) < len(body) * 0.6, (name, len(compressed), len(body))
        if zipped["Content-Encoding"] == "gzip":
            assert gzip.decompress(compressed) == body
        only_gzip, _ = _get(client, url, "gzip")
        assert only_gzip["Content-Encoding"] == "gzip"


def test_demo_mode_serves_a_file_edited_after_collectstatic_as_edited(demo_mode, tmp_path):
    """The compressed copy is served while it is current; an edited file as it now is, and a
    file never collected from the app's folder."""
    source = tmp_path / "source"
    (source / "demo").mkdir(parents=True)
    style = source / "demo" / "estilo.css"
    style.write_text("main { color: #123456; }\n" * 200)
    demo_mode.STATICFILES_DIRS = [source]
    call_command("collectstatic", "--noinput", stdout=io.StringIO())
    client = Client()
    response, _ = _get(client, "/static/demo/estilo.css", "gzip")
    assert response["Content-Encoding"] == "gzip"
    later = (demo_mode.STATIC_ROOT / "demo" / "estilo.css").stat().st_mtime + 5
    style.write_text("main { color: #654321; }\n")
    os.utime(style, (later, later))
    response, body = _get(client, "/static/demo/estilo.css", "gzip")
    assert "Content-Encoding" not in response and body == b"main { color: #654321; }\n"
    (source / "demo" / "nuevo.js").write_text("// nuevo\n")
    response, body = _get(client, "/static/demo/nuevo.js", "gzip")
    assert body == b"// nuevo\n"
