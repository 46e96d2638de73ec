"""JSON Patch (RFC 6902) on a resource: the result must still be valid R4."""

from __future__ import annotations

import httpx
import pytest

from tests.api.fhir_client import json_of, patient, send

JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def _created(client: httpx.Client) -> str:
    return str(json_of(send(client, "POST", "/Patient", patient()))["id"])


def test_patch_changes_only_what_it_names(client: httpx.Client) -> None:
    res_id = _created(client)
    ops = (
        b'[{"op": "add", "path": "/active", "value": true},'
        b' {"op": "replace", "path": "/name/0/family", "value": "Okafor"}]'
    )
    response = client.patch(f"/Patient/{res_id}", content=ops, headers=JSON_PATCH)
    assert response.status_code == 200, response.text
    patched = json_of(response)
    assert patched["active"] is True
    assert patched["name"] == [{"family": "Okafor", "given": ["Ana"]}]
    assert patched["birthDate"] == "1971-04-02"
    assert patched["meta"]["versionId"] == "2"


@pytest.mark.parametrize(
    ("ops", "status"),
    [
        pytest.param(
            b'[{"op": "replace", "path": "/birthDate", "value": "soon"}]',
            422,
            id="result-not-valid-r4",
        ),
        pytest.param(b'[{"op": "remove", "path": "/nothing"}]', 422, id="path-missing"),
        pytest.param(
            b'[{"op": "test", "path": "/gender", "value": "male"}]', 422, id="test-op-fails"
        ),
        pytest.param(b'[{"op": "replace", "path": "/id", "value": "x"}]', 422, id="changes-id"),
        pytest.param(b'{"op": "add"}', 422, id="not-a-list"),
        pytest.param(b'[{"op": "add", "path": "/active"', 400, id="not-json"),
    ],
)
def test_bad_patches_change_nothing(client: httpx.Client, ops: bytes, status: int) -> None:
    res_id = _created(client)
    response = client.patch(f"/Patient/{res_id}", content=ops, headers=JSON_PATCH)
    assert response.status_code == status, response.text
    assert json_of(response)["resourceType"] == "OperationOutcome"
    assert json_of(client.get(f"/Patient/{res_id}"))["meta"]["versionId"] == "1"


def test_patch_needs_the_json_patch_media_type(client: httpx.Client) -> None:
    res_id = _created(client)
    ops = b'[{"op": "add", "path": "/active", "value": true}]'
    response = client.patch(
        f"/Patient/{res_id}", content=ops, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 415
