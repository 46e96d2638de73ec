"""A reference to another server's resource is not to this server's resource of the same
type and id: only relative references, and absolute ones under this server's base URL
(PAINFHIR_BASE_URL), are local; any other is found by its full URL alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.fhir_client import json_of, send, unique
from tests.conftest import RunningServer, new_database

OTHER = "http://other.example/fhir"
BASE = "https://painfhir.test/fhir"


def _observation(subject: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "pain score"},
        "subject": {"reference": subject},
    }


def _create(client: httpx.Client, resource: dict[str, Any]) -> str:
    response = send(client, "POST", f"/{resource['resourceType']}", resource)
    assert response.status_code == 201, response.text
    res_id: str = json_of(response)["id"]
    return res_id


def _ids(client: httpx.Client, path: str, **params: str) -> set[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return {e["resource"]["id"] for e in json_of(response).get("entry", []) if "resource" in e}


def _patient_with_observations(client: httpx.Client, *subjects: str) -> tuple[str, list[str]]:
    """A local Patient, and an Observation per subject (`{pid}` stands for its id)."""
    pid = f"x-{unique()}"
    assert send(client, "PUT", f"/Patient/{pid}", {"resourceType": "Patient", "id": pid}).is_success
    return pid, [_create(client, _observation(s.format(pid=pid))) for s in subjects]


def test_another_servers_patient_is_not_this_servers(client: httpx.Client) -> None:
    pid, (local, remote) = _patient_with_observations(
        client, "Patient/{pid}", OTHER + "/Patient/{pid}"
    )
    assert _ids(client, "/Observation", subject=f"Patient/{pid}") == {local}
    assert _ids(client, "/Observation", subject=pid) == {local}
    assert _ids(client, "/Observation", subject=f"{OTHER}/Patient/{pid}") == {remote}
    assert _ids(client, "/Observation", **{"subject:Patient": pid}) == {local}
    assert _ids(client, "/Observation", **{"subject._id": pid}) == {local}
    assert _ids(client, f"/Patient/{pid}/Observation") == {local}
    assert _ids(client, f"/Patient/{pid}/*") == {pid, local}
    revinclude = _ids(client, "/Patient", _id=pid, _revinclude="Observation:subject")
    assert revinclude == {pid, local}
    include = _ids(client, "/Observation", _id=remote, _include="Observation:subject")
    assert include == {remote}


@pytest.fixture(scope="module")
def based_client(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server that knows its public base URL."""
    database = new_database(backend, tmp_path_factory.mktemp("based"))
    running = RunningServer(database, base_url=BASE)
    with httpx.Client(base_url=running.url, timeout=30) as http:
        yield http
    running.stop()
    database.drop()


def test_an_absolute_reference_under_the_base_url_is_local(based_client: httpx.Client) -> None:
    pid, (absolute, relative, remote) = _patient_with_observations(
        based_client, BASE + "/Patient/{pid}", "Patient/{pid}", OTHER + "/Patient/{pid}"
    )
    both = {absolute, relative}
    assert _ids(based_client, "/Observation", subject=f"Patient/{pid}") == both
    assert _ids(based_client, "/Observation", subject=f"{BASE}/Patient/{pid}") == both
    assert _ids(based_client, f"/Patient/{pid}/Observation") == both
    include = _ids(based_client, "/Observation", _id=absolute, _include="Observation:subject")
    assert include == {absolute, pid}
    assert _ids(based_client, "/Observation", subject=f"{OTHER}/Patient/{pid}") == {remote}
