"""Metadata generated from catalog.py and a release's manifest: datapackage.json, DCAT-AP
JSON-LD, the licence and the changelog. Nothing here is written by hand per release."""

from typing import Any

from citesmart.analytics import disclosure
from citesmart.opendata.catalog import (
    CHANGES,
    FORMATS,
    GROUPS,
    LICENSE,
    PACKAGE,
    RESOURCES,
    SCHEMA_VERSION,
    Resource,
)
from citesmart.ops.demo import NOTICE


def description(manifest: dict[str, Any]) -> str:
    """The package's description; a release of demonstration data says so first."""
    text = str(PACKAGE["description"])
    return f"{NOTICE} {text}" if manifest.get("demo") else text


def table_schema(resource: Resource) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [f.table_schema() for f in resource.fields],
        "missingValues": [""],
    }
    if resource.primary_key:
        schema["primaryKey"] = list(resource.primary_key)
    return schema


def datapackage(manifest: dict[str, Any]) -> dict[str, Any]:
    """A Frictionless Data Package: one CSV resource per table, with its Table Schema."""
    resources = []
    for resource in RESOURCES:
        described = manifest["resources"][resource.name]["formats"]["csv"]
        resources.append(
            {
                "name": resource.name,
                "path": described["file"],
                "title": resource.title,
                "description": resource.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "bytes": described["bytes"],
                "hash": f"sha256:{described['sha256']}",
                "schema": table_schema(resource),
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE["name"],
        "title": PACKAGE["title"],
        "description": description(manifest),
        "version": f"{SCHEMA_VERSION}+{manifest['release']}",
        "created": manifest["published_at"],
        "keywords": PACKAGE["keywords"],
        "licenses": [{"name": LICENSE["name"], "title": LICENSE["title"], "path": LICENSE["path"]}],
        "contributors": [
            {"title": PACKAGE["publisher"], "path": PACKAGE["publisher_url"], "role": "publisher"}
        ],
        "resources": resources,
    }


def dcat(manifest: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A DCAT-AP catalogue in JSON-LD (harvestable by CKAN's ckanext-dcat): one dataset per
    resource, one distribution per format, download URLs under `base_url` (ends with /)."""
    publisher = {
        "@id": PACKAGE["publisher_url"],
        "@type": "foaf:Organization",
        "foaf:name": PACKAGE["publisher"],
    }
    datasets = [_dataset(resource, manifest, base_url, publisher) for resource in RESOURCES]
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "spdx": "http://spdx.org/rdf/terms#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": base_url,
        "@type": "dcat:Catalog",
        "dct:title": PACKAGE["title"],
        "dct:description": description(manifest),
        "dct:publisher": publisher,
        "dct:language": {"@id": PACKAGE["language"]},
        "dct:license": {"@id": LICENSE["uri"]},
        "dct:modified": _datetime(manifest["published_at"]),
        "foaf:homepage": {"@id": base_url},
        "dcat:dataset": datasets,
    }


def _dataset(resource: Resource, manifest: dict[str, Any], base_url: str, publisher: dict) -> dict:
    formats = manifest["resources"][resource.name]["formats"]
    distributions = [
        _distribution(resource, ext, info, manifest, base_url) for ext, info in formats.items()
    ]
    return {
        "@id": f"{base_url}#{resource.name}",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{PACKAGE['name']}/{resource.name}",
        "dct:title": resource.title,
        "dct:description": resource.description,
        "dcat:keyword": [*PACKAGE["keywords"], GROUPS[resource.group]],
        "dcat:theme": {"@id": PACKAGE["theme"]},
        "dct:language": {"@id": PACKAGE["language"]},
        "dct:accrualPeriodicity": {"@id": PACKAGE["periodicity"]},
        "dct:spatial": PACKAGE["spatial"],
        "dct:publisher": publisher,
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": PACKAGE["publisher"],
            "vcard:hasEmail": {"@id": f"mailto:{PACKAGE['contact_email']}"},
        },
        "dct:issued": _datetime(manifest["published_at"]),
        "dct:modified": _datetime(manifest["published_at"]),
        "dcat:landingPage": {"@id": f"{base_url}diccionario/#{resource.name}"},
        "dcat:distribution": distributions,
    }


def _distribution(
    resource: Resource, ext: str, info: dict, manifest: dict[str, Any], base_url: str
) -> dict:
    return {
        "@id": f"{base_url}{info['file']}",
        "@type": "dcat:Distribution",
        "dct:title": f"{resource.title} ({FORMATS[ext][0]})",
        "dct:format": ext.upper(),
        "dcat:mediaType": FORMATS[ext][1],
        "dcat:accessURL": {"@id": f"{base_url}{info['file']}"},
        "dcat:downloadURL": {"@id": f"{base_url}{info['file']}"},
        "dcat:byteSize": {"@value": str(info["bytes"]), "@type": "xsd:decimal"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": info["sha256"],
        },
        "dct:license": {"@id": LICENSE["uri"]},
        "dct:issued": _datetime(manifest["published_at"]),
    }


def _datetime(value: str) -> dict[str, str]:
    return {"@value": value, "@type": "xsd:dateTime"}


def license_text(manifest: dict[str, Any]) -> str:
    return (
        f"{PACKAGE['title']}\n"
        f"Publicación {manifest['release']} ({manifest['published_at']})\n\n"
        + (f"{NOTICE}\n\n" if manifest.get("demo") else "")
        + f"Licencia: {LICENSE['title']} ({LICENSE['name']})\n{LICENSE['path']}\n\n"
        "Puede copiar, redistribuir, transformar y usar estos datos para cualquier fin, "
        "incluso comercial, siempre que cite la fuente:\n"
        f"  «Fuente: {PACKAGE['publisher']}, {PACKAGE['title']}».\n\n"
        "Los datos no contienen datos personales de personas naturales (Ley 29733): reglas "
        "de reserva estadística aplicadas:\n"
        + "".join(f"  - {rule}\n" for rule in disclosure.rules(manifest["threshold"]))
    )


def changelog_entry(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "release": manifest["release"],
        "published_at": manifest["published_at"],
        "fresh_as_of": manifest["fresh_as_of"],
        "schema_version": SCHEMA_VERSION,
        "rows": {name: info["rows"] for name, info in manifest["resources"].items()},
    }


def changelog_markdown(history: list[dict[str, Any]]) -> str:
    lines = [f"# Cambios — {PACKAGE['title']}", "", "## Estructura de los datos", ""]
    lines += [f"- **{version}**: {text}" for version, text in reversed(CHANGES)]
    lines += ["", "## Publicaciones", ""]
    for entry in reversed(history):
        rows = ", ".join(f"{name}: {count}" for name, count in entry["rows"].items())
        lines.append(
            f"- **{entry['release']}** (publicada {entry['published_at']}, datos al "
            f"{entry['fresh_as_of']}, estructura {entry['schema_version']}): {rows}"
        )
    return "\n".join(lines) + "\n"
