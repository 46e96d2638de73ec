"""Two clients of the real server: the referring EHR and the clinic, each saying which side it
acts for in the X-Painfhir-Actor header (as a token will, later)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from painfhir.fhir.codec import dump_json, parse_json
from tests.conftest import RunningServer
from tests.workflow.referral.referral_package import CLINIC

FHIR_JSON = "application/fhir+json"
Json = dict[str, Any]


class Party:
    """One side's client: FHIR requests and referral operations."""

    def __init__(self, url: str, actor: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60, headers={"X-Painfhir-Actor": actor})

    def send(self, method: str, url: str, resource: Any = None, **headers: str) -> httpx.Response:
        content = None if resource is None else dump_json(resource)
        return self.http.request(
            method, url, content=content, headers={"Content-Type": FHIR_JSON, **headers}
        )

    def get(self, url: str) -> Json:
        response = self.http.get(url)
        assert response.status_code == 200, response.text
        found: Json = parse_json(response.content)
        return found

    def operation(
        self, task_id: str, name: str, *parameters: Json, **headers: str
    ) -> httpx.Response:
        body = {"resourceType": "Parameters", "parameter": list(parameters)} if parameters else None
        return self.send("POST", f"/Task/{task_id}/${name}", body, **headers)

    def moved(self, task_id: str, name: str, *parameters: Json) -> Json:
        """The Task after a move that must succeed."""
        response = self.operation(task_id, name, *parameters)
        assert response.status_code == 200, response.text
        task: Json = parse_json(response.content)
        return task


def parameter(name: str, **value: Any) -> Json:
    """`parameter("reason", valueString="…")`."""
    return {"name": name, **value}


def business_status(task: Json) -> str:
    code: str = task["businessStatus"]["coding"][0]["code"]
    return code


def outcome_text(response: httpx.Response) -> str:
    outcome = parse_json(response.content)
    assert outcome["resourceType"] == "OperationOutcome", response.text
    return " ".join(issue.get("diagnostics", "") for issue in outcome["issue"])


@pytest.fixture
def ehr(server: RunningServer) -> Iterator[Party]:
    party = Party(server.url, "referrer")
    yield party
    party.http.close()


@pytest.fixture
def clinic(server: RunningServer) -> Iterator[Party]:
    """The clinic, acting as Dr Lee: its Organization and Dr Lee are on file (`$schedule`
    books stored practitioners only)."""
    party = Party(server.url, "clinic Practitioner/dr-lee")
    for resource in (
        {"resourceType": "Organization", "id": CLINIC.split("/")[1], "name": "Pain clinic"},
        {"resourceType": "Practitioner", "id": "dr-lee", "name": [{"family": "Lee"}]},
    ):
        url = f"/{resource['resourceType']}/{resource['id']}"
        response = party.send("PUT", url, resource)
        assert response.status_code in (200, 201), response.text
    yield party
    party.http.close()
