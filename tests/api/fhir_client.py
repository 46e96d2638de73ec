"""Small conveniences for talking FHIR JSON to the server under test."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from painfhir.fhir.codec import dump_json, parse_json

FHIR_JSON = "application/fhir+json"


def body(resource: Any) -> dict[str, Any]:
    """Keyword arguments for httpx: the resource as FHIR JSON."""
    return {"content": dump_json(resource), "headers": {"Content-Type": FHIR_JSON}}


def send(
    client: httpx.Client, method: str, url: str, resource: Any, **headers: str
) -> httpx.Response:
    return client.request(
        method, url, content=dump_json(resource), headers={"Content-Type": FHIR_JSON, **headers}
    )


def json_of(response: httpx.Response) -> Any:
    return parse_json(response.content)


def unique() -> str:
    return uuid.uuid4().hex


def patient(family: str = "Rivera", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.999.1", "value": unique()}],
        "name": [{"family": family, "given": ["Ana"]}],
        "gender": "female",
        "birthDate": "1971-04-02",
        **extra,
    }


def issue_expressions(response: httpx.Response) -> list[str]:
    outcome = json_of(response)
    assert outcome["resourceType"] == "OperationOutcome"
    return [expr for issue in outcome["issue"] for expr in issue.get("expression", [])]
