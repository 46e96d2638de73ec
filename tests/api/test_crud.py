"""Create, read, vread, update, delete over HTTP, with the headers FHIR clients rely on."""

from __future__ import annotations

import httpx
import pytest

from tests.api.fhir_client import FHIR_JSON, json_of, patient, send, unique


def _create(client: httpx.Client, resource: dict[str, object]) -> httpx.Response:
    response = send(client, "POST", "/Patient", resource)
    assert response.status_code == 201, response.text
    return response


def test_create_assigns_id_version_and_location(client: httpx.Client) -> None:
    response = _create(client, {**patient(), "id": "client-chosen"})
    created = json_of(response)
    assert created["id"] != "client-chosen"  # POST ignores a client id
    assert created["meta"]["versionId"] == "1"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Location"].endswith(f"/Patient/{created['id']}/_history/1")
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["Content-Type"].startswith(FHIR_JSON)


def test_read_serves_what_was_stored(client: httpx.Client) -> None:
    created = json_of(_create(client, patient()))
    response = client.get(f"/Patient/{created['id']}")
    assert response.status_code == 200
    assert json_of(response) == created
    assert response.headers["ETag"] == 'W/"1"'


def test_update_makes_a_new_version_and_vread_keeps_the_old(client: httpx.Client) -> None:
    created = json_of(_create(client, patient("Old")))
    changed = {**created, "name": [{"family": "New"}]}
    response = send(client, "PUT", f"/Patient/{created['id']}", changed)
    assert response.status_code == 200
    assert json_of(response)["meta"]["versionId"] == "2"
    assert response.headers["ETag"] == 'W/"2"'
    old = client.get(f"/Patient/{created['id']}/_history/1")
    assert json_of(old)["name"] == [{"family": "Old", "given": ["Ana"]}]
    assert json_of(client.get(f"/Patient/{created['id']}"))["name"] == [{"family": "New"}]


def test_update_as_create_with_a_client_id(client: httpx.Client) -> None:
    res_id = f"pain-{unique()}"
    response = send(client, "PUT", f"/Patient/{res_id}", {**patient(), "id": res_id})
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/Patient/{res_id}/_history/1")
    assert json_of(client.get(f"/Patient/{res_id}"))["id"] == res_id


def test_delete_is_logical_and_history_keeps_it(client: httpx.Client) -> None:
    created = json_of(_create(client, patient()))
    url = f"/Patient/{created['id']}"
    assert client.delete(url).status_code == 204
    gone = client.get(url)
    assert gone.status_code == 410
    assert json_of(gone)["resourceType"] == "OperationOutcome"
    assert client.delete(url).status_code == 204  # deleting again changes nothing
    history = json_of(client.get(f"{url}/_history"))
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]
    assert client.get(f"{url}/_history/1").status_code == 200
    assert client.get(f"{url}/_history/2").status_code == 410


def test_recreate_after_delete_continues_the_version_sequence(client: httpx.Client) -> None:
    created = json_of(_create(client, patient()))
    url = f"/Patient/{created['id']}"
    client.delete(url)
    response = send(client, "PUT", url, created)
    assert response.status_code == 201
    assert json_of(response)["meta"]["versionId"] == "3"


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        pytest.param('W/"1"', True, id="if-match-current-version"),
        pytest.param('"1"', True, id="if-match-strong-form"),
        pytest.param('W/"7"', False, id="if-match-stale-version"),
    ],
)
def test_if_match_guards_updates(client: httpx.Client, header: str, matches: bool) -> None:
    created = json_of(_create(client, patient()))
    changed = {**created, "active": False}
    response = send(client, "PUT", f"/Patient/{created['id']}", changed, **{"If-Match": header})
    assert response.status_code == (200 if matches else 412)
    version = json_of(client.get(f"/Patient/{created['id']}"))["meta"]["versionId"]
    assert version == ("2" if matches else "1")


def test_an_update_that_changes_nothing_keeps_the_version(client: httpx.Client) -> None:
    created = json_of(_create(client, patient()))
    url = f"/Patient/{created['id']}"
    again = send(client, "PUT", url, {**created, "meta": {"versionId": "9"}})
    assert again.status_code == 200
    assert again.headers["ETag"] == 'W/"1"'
    assert json_of(again) == created  # lastUpdated too: nothing was written
    assert len(json_of(client.get(f"{url}/_history")).get("entry", [])) == 1
    changed = send(client, "PUT", url, {**created, "active": False})
    assert changed.headers["ETag"] == 'W/"2"'


def test_if_match_guards_deletes(client: httpx.Client) -> None:
    created = json_of(_create(client, patient()))
    url = f"/Patient/{created['id']}"
    assert client.delete(url, headers={"If-Match": 'W/"9"'}).status_code == 412
    assert client.get(url).status_code == 200


def test_conditional_read_answers_304(client: httpx.Client) -> None:
    response = _create(client, patient())
    url = f"/Patient/{json_of(response)['id']}"
    assert client.get(url, headers={"If-None-Match": 'W/"1"'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": 'W/"0"'}).status_code == 200
    modified = response.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200


@pytest.mark.parametrize(
    ("prefer", "expected_type"),
    [
        pytest.param("return=representation", "Patient", id="representation"),
        pytest.param("return=OperationOutcome", "OperationOutcome", id="operation-outcome"),
        pytest.param(None, "Patient", id="default-is-representation"),
    ],
)
def test_prefer_return_shapes_the_answer(
    client: httpx.Client, prefer: str | None, expected_type: str
) -> None:
    headers = {"Prefer": prefer} if prefer else {}
    response = send(client, "POST", "/Patient", patient(), **headers)
    assert response.status_code == 201
    assert json_of(response)["resourceType"] == expected_type


def test_prefer_return_minimal_has_no_body(client: httpx.Client) -> None:
    response = send(client, "POST", "/Patient", patient(), Prefer="return=minimal")
    assert response.status_code == 201
    assert response.content == b""
    assert "/Patient/" in response.headers["Location"]


def test_pretty_and_format(client: httpx.Client) -> None:
    created = json_of(_create(client, patient()))
    url = f"/Patient/{created['id']}"
    pretty = client.get(url, params={"_pretty": "true", "_format": "json"})
    assert pretty.status_code == 200
    assert b'\n  "resourceType"' in pretty.content
    assert json_of(pretty) == created
    plain = client.get(url, headers={"Accept": "application/json"})
    assert plain.headers["Content-Type"].startswith("application/json")
