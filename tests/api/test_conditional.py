"""Conditional create, update, patch and delete — and the race a conditional create must win."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.fhir_client import FHIR_JSON, json_of, patient, send, unique
from tests.conftest import RunningServer

SYSTEM = "urn:oid:2.16.840.1.113883.3.999.1"


def _patient_with(mrn: str) -> dict[str, object]:
    return {**patient(), "identifier": [{"system": SYSTEM, "value": mrn}]}


def _matches(client: httpx.Client, mrn: str) -> list[dict[str, object]]:
    bundle = json_of(client.get("/Patient", params={"identifier": f"{SYSTEM}|{mrn}"}))
    return [entry["resource"] for entry in bundle.get("entry", [])]


def test_conditional_create_returns_the_existing_match(client: httpx.Client) -> None:
    mrn = unique()
    header = {"If-None-Exist": f"identifier={SYSTEM}|{mrn}"}
    first = send(client, "POST", "/Patient", _patient_with(mrn), **header)
    second = send(client, "POST", "/Patient", _patient_with(mrn), **header)
    assert (first.status_code, second.status_code) == (201, 200)
    assert json_of(first)["id"] == json_of(second)["id"]
    assert len(_matches(client, mrn)) == 1


def test_sixteen_parallel_conditional_creates_leave_one_resource(server: RunningServer) -> None:
    mrn = unique()
    header = {"If-None-Exist": f"identifier={SYSTEM}|{mrn}"}

    def create(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=30) as own:
            return send(own, "POST", "/Patient", _patient_with(mrn), **header)

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(create, range(16)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 15 + [201]
    assert len({json_of(r)["id"] for r in responses}) == 1
    with httpx.Client(base_url=server.url) as check:
        assert len(_matches(check, mrn)) == 1


def test_conditional_create_with_two_matches_is_412(client: httpx.Client) -> None:
    mrn = unique()
    send(client, "POST", "/Patient", _patient_with(mrn))
    send(client, "POST", "/Patient", _patient_with(mrn))
    header = {"If-None-Exist": f"identifier={SYSTEM}|{mrn}"}
    assert send(client, "POST", "/Patient", _patient_with(mrn), **header).status_code == 412


def test_conditional_create_refuses_parameters_it_cannot_evaluate(client: httpx.Client) -> None:
    """A condition the server would ignore could create a duplicate: it is an error instead."""
    header = {"If-None-Exist": "favourite-colour=blue"}
    response = send(client, "POST", "/Patient", patient(), **header)
    assert response.status_code == 400
    assert "favourite-colour" in response.text


def test_conditional_update_creates_then_updates(client: httpx.Client) -> None:
    mrn = unique()
    url = f"/Patient?identifier={SYSTEM}|{mrn}"
    created = send(client, "PUT", url, _patient_with(mrn))
    assert created.status_code == 201
    updated = send(client, "PUT", url, {**_patient_with(mrn), "gender": "male"})
    assert updated.status_code == 200
    assert json_of(updated)["id"] == json_of(created)["id"]
    assert json_of(updated)["meta"]["versionId"] == "2"
    assert [p["gender"] for p in _matches(client, mrn)] == ["male"]


def test_conditional_update_with_a_conflicting_id_is_400(client: httpx.Client) -> None:
    mrn = unique()
    url = f"/Patient?identifier={SYSTEM}|{mrn}"
    send(client, "PUT", url, _patient_with(mrn))
    assert send(client, "PUT", url, {**_patient_with(mrn), "id": "other"}).status_code == 400


def test_conditional_delete(client: httpx.Client) -> None:
    mrn = unique()
    created = json_of(send(client, "POST", "/Patient", _patient_with(mrn)))
    assert client.delete(f"/Patient?identifier={SYSTEM}|{mrn}").status_code == 204
    assert client.get(f"/Patient/{created['id']}").status_code == 410
    assert client.delete(f"/Patient?identifier={SYSTEM}|{mrn}").status_code == 204
    send(client, "POST", "/Patient", _patient_with(mrn))
    send(client, "POST", "/Patient", _patient_with(mrn))
    assert client.delete(f"/Patient?identifier={SYSTEM}|{mrn}").status_code == 412
    assert len(_matches(client, mrn)) == 2


def test_conditional_patch(client: httpx.Client) -> None:
    mrn = unique()
    send(client, "POST", "/Patient", _patient_with(mrn))
    patch = b'[{"op": "replace", "path": "/gender", "value": "other"}]'
    response = client.patch(
        f"/Patient?identifier={SYSTEM}|{mrn}",
        content=patch,
        headers={"Content-Type": "application/json-patch+json", "Accept": FHIR_JSON},
    )
    assert response.status_code == 200
    assert [p["gender"] for p in _matches(client, mrn)] == ["other"]
