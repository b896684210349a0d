"""The /datos/ pages and downloads, through HTTP."""

import json
from datetime import UTC, datetime

from citesmart.opendata import catalog, publish

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def fetch(client, url, **headers):
    """GET, reading and closing a streamed file (its handle must not outlive the test)."""
    response = client.get(url, **headers)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
        response.close()
    else:
        response.body = response.content
    return response


def test_before_any_release_the_page_says_so(db, opendata_dir, client):
    response = client.get("/datos/")
    assert response.status_code == 200
    assert "Todavía no hay una publicación" in response.content.decode()
    assert fetch(client, "/datos/servicios.csv").status_code == 404


def test_index_lists_every_dataset_in_four_formats_with_licence(world, client):
    publish.publish(now=WHEN)
    page = client.get("/datos/").content.decode()
    for resource in catalog.RESOURCES:
        assert resource.title in page
        for extension in catalog.FORMATS:
            assert f'href="/datos/{resource.name}.{extension}"' in page
    assert "CC-BY-4.0" in page and "datapackage.json" in page and "catalog.jsonld" in page
    assert 'href="/datos/"' in client.get("/").content.decode()  # in the portal navigation


def test_downloads_carry_validators_and_answer_304(world, client):
    publish.publish(now=WHEN)
    response = fetch(client, "/datos/servicios.parquet")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    assert response["Last-Modified"] == "Fri, 02 Jan 2026 03:04:05 GMT"
    etag = response["ETag"]
    assert fetch(client, "/datos/servicios.parquet", HTTP_IF_NONE_MATCH=etag).status_code == 304
    since = response["Last-Modified"]
    assert fetch(client, "/datos/servicios.csv", HTTP_IF_MODIFIED_SINCE=since).status_code == 304
    csv = fetch(client, "/datos/servicios.csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "attachment" in csv["Content-Disposition"]
    assert fetch(client, "/datos/no-existe.csv").status_code == 404


def test_datapackage_and_dcat_catalogue_describe_the_same_files(world, client):
    publish.publish(now=WHEN)
    package = json.loads(fetch(client, "/datos/datapackage.json").body)
    dcat = json.loads(client.get("/datos/catalog.jsonld").content)
    assert dcat["@type"] == "dcat:Catalog"
    datasets = dcat["dcat:dataset"]
    assert [d["dct:identifier"].split("/")[1] for d in datasets] == [
        r["name"] for r in package["resources"]
    ]
    for dataset, resource in zip(datasets, package["resources"], strict=True):
        urls = [d["dcat:downloadURL"]["@id"] for d in dataset["dcat:distribution"]]
        assert f"http://testserver/datos/{resource['path']}" in urls
        assert len(urls) == 4
        for url in urls:
            assert fetch(client, url.removeprefix("http://testserver")).status_code == 200


def test_dictionary_shows_every_field_and_the_disclosure_rules(db, opendata_dir, client, settings):
    settings.ANALYTICS_DISCLOSURE_THRESHOLD = 6
    page = client.get("/datos/diccionario/").content.decode()
    for resource in catalog.RESOURCES:
        for field in resource.fields:
            assert f"<code>{field.name}</code>" in page
    assert "menos de 6 unidades productivas" in page
