"""What a history entry says of the request that made its version, and `_count=0`."""

from __future__ import annotations

import httpx
import pytest

from tests.api.fhir_client import json_of, patient, send, unique


def test_an_update_as_create_is_a_put_to_the_resource_that_created_it(
    client: httpx.Client,
) -> None:
    pid = f"putnew-{unique()}"
    url = f"/Patient/{pid}"
    assert send(client, "PUT", url, {**patient(), "id": pid}).status_code == 201
    assert send(client, "PUT", url, {**patient("Other"), "id": pid}).status_code == 200
    assert client.delete(url).status_code == 204
    history = json_of(client.get(f"{url}/_history"))
    answers = [(e["request"], e["response"]["status"]) for e in history["entry"]]
    assert answers == [
        ({"method": "DELETE", "url": f"Patient/{pid}"}, "204 No Content"),
        ({"method": "PUT", "url": f"Patient/{pid}"}, "200 OK"),
        ({"method": "PUT", "url": f"Patient/{pid}"}, "201 Created"),
    ]
    created = json_of(send(client, "POST", "/Patient", patient()))
    (entry,) = json_of(client.get(f"/Patient/{created['id']}/_history"))["entry"]
    assert (entry["request"], entry["response"]["status"]) == (
        {"method": "POST", "url": "Patient"},
        "201 Created",
    )


@pytest.mark.parametrize("level", ["instance", "type", "system"])
def test_count_zero_answers_no_entries(client: httpx.Client, level: str) -> None:
    created = json_of(send(client, "POST", "/Patient", patient()))
    url = {"instance": f"/Patient/{created['id']}", "type": "/Patient", "system": ""}[level]
    response = client.get(f"{url}/_history", params={"_count": "0"})
    assert response.status_code == 200, response.text
    bundle = json_of(response)
    assert bundle["type"] == "history" and bundle.get("entry", []) == []
    assert [link["relation"] for link in bundle["link"]] == ["self"]
