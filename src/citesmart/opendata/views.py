"""Public pages and downloads of the open data at /datos/ (the release online)."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_GET

from citesmart.analytics import disclosure
from citesmart.opendata import catalog, metadata, publish

CACHE_CONTROL = "public, max-age=3600"


def _release() -> tuple[Path, dict[str, Any]]:
    found = publish.current()
    if found is None:
        raise Http404("Aún no hay datos abiertos publicados.")
    return found


def _datasets(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    listed = []
    for resource in catalog.RESOURCES:
        info = manifest["resources"][resource.name]
        files = [
            {"ext": ext, "title": catalog.FORMATS[ext][0], **described}
            for ext, described in info["formats"].items()
        ]
        listed.append({"resource": resource, "rows": info["rows"], "files": files})
    return listed


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    found = publish.current()
    context: dict[str, Any] = {"nav": "opendata", "release": None}
    if found is not None:
        _, manifest = found
        context |= {
            "release": manifest,
            "description": metadata.description(manifest),
            "published_at": datetime.fromisoformat(manifest["published_at"]),
            "fresh_as_of": datetime.fromisoformat(manifest["fresh_as_of"]),
            "groups": [
                (title, [d for d in _datasets(manifest) if d["resource"].group == group])
                for group, title in catalog.GROUPS.items()
            ],
            "history": list(reversed(manifest.get("history", [])))[:10],
            "changes": list(reversed(catalog.CHANGES)),
        }
    context |= {"license": catalog.LICENSE, "package": catalog.PACKAGE}
    return render(request, "opendata/index.html", context)


@require_GET
def dictionary(request: HttpRequest) -> HttpResponse:
    found = publish.current()
    threshold = found[1]["threshold"] if found else disclosure.threshold()
    return render(
        request,
        "opendata/dictionary.html",
        {
            "nav": "opendata",
            "resources": catalog.RESOURCES,
            "rules": disclosure.rules(threshold),
            "license": catalog.LICENSE,
            "package": catalog.PACKAGE,
        },
    )


def _not_modified(request: HttpRequest, etag: str, modified: datetime) -> bool:
    if request.headers.get("If-None-Match"):
        return etag in [t.strip() for t in request.headers["If-None-Match"].split(",")]
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(modified.timestamp()) <= since


def _cached(response: HttpResponse, etag: str, modified: datetime) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified.timestamp())
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_GET
def download(request: HttpRequest, filename: str) -> HttpResponse:
    """A file of the release online, by its published name."""
    folder, manifest = _release()
    modified = datetime.fromisoformat(manifest["published_at"])
    files = {
        info["file"]: (info["sha256"], catalog.FORMATS[ext][1])
        for resource in manifest["resources"].values()
        for ext, info in resource["formats"].items()
    }
    extra = {
        "datapackage.json": "application/json",
        "LICENCIA.txt": "text/plain; charset=utf-8",
        "CAMBIOS.md": "text/markdown; charset=utf-8",
        "cambios.json": "application/json",
    }
    if filename in files:
        digest, media_type = files[filename]
    elif filename in extra:
        digest, media_type = f"{manifest['release']}-{filename}", extra[filename]
    else:
        raise Http404("No existe ese archivo en la publicación vigente.")
    etag = f'"{digest[:32]}"'
    if _not_modified(request, etag, modified):
        return _cached(HttpResponse(status=304), etag, modified)
    if media_type == "text/csv":
        media_type = "text/csv; charset=utf-8"
    attachment = filename in files and not filename.endswith(".json")
    response = FileResponse(
        (folder / filename).open("rb"),
        content_type=media_type,
        as_attachment=attachment,
        filename=filename,
    )
    return _cached(response, etag, modified)


@require_GET
def dcat_catalogue(request: HttpRequest) -> HttpResponse:
    """The DCAT-AP catalogue (JSON-LD) with absolute download URLs of this site."""
    _, manifest = _release()
    modified = datetime.fromisoformat(manifest["published_at"])
    etag = f'"{manifest["release"]}-dcat"'
    if _not_modified(request, etag, modified):
        return _cached(HttpResponse(status=304), etag, modified)
    base = request.build_absolute_uri(reverse("opendata:index"))
    body = json.dumps(metadata.dcat(manifest, base), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/ld+json; charset=utf-8")
    return _cached(response, etag, modified)
