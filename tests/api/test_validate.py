"""`$validate` over HTTP: the body itself or a Parameters wrapper, type and instance level,
the modes, and an OperationOutcome that says exactly what is wrong and where."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.fhir_client import json_of, patient, send


def _issues(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    outcome = json_of(response)
    assert outcome["resourceType"] == "OperationOutcome"
    issues: list[dict[str, Any]] = outcome["issue"]
    return issues


def _errors(response: httpx.Response) -> list[tuple[str, str]]:
    return [(i["code"], i["expression"][0]) for i in _issues(response) if i["severity"] == "error"]


NARRATIVE = {
    "status": "generated",
    "div": '<div xmlns="http://www.w3.org/1999/xhtml">Ana Rivera</div>',
}


def test_a_valid_resource_has_no_issues(client: httpx.Client) -> None:
    issues = _issues(send(client, "POST", "/Patient/$validate", patient(text=NARRATIVE)))
    assert [(i["severity"], i["diagnostics"]) for i in issues] == [
        ("information", "No issues found")
    ]


def test_each_problem_is_an_issue_at_its_path(client: httpx.Client) -> None:
    broken = patient(gender="mail", birthDate="1971-13-01")
    response = send(client, "POST", "/Patient/$validate", broken)
    assert sorted(_errors(response)) == [
        ("code-invalid", "Patient.gender"),
        ("value", "Patient.birthDate"),
    ]


def test_validating_writes_nothing(client: httpx.Client) -> None:
    marked = patient(family="Validated-Only")
    send(client, "POST", "/Patient/$validate", marked)
    found = json_of(client.get("/Patient", params={"family": "Validated-Only"}))
    assert "entry" not in found


def test_parameters_wrapper_with_mode(client: httpx.Client) -> None:
    wrapper = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": patient(gender="mail")},
            {"name": "mode", "valueCode": "create"},
        ],
    }
    assert _errors(send(client, "POST", "/Patient/$validate", wrapper)) == [
        ("code-invalid", "Patient.gender")
    ]


def test_instance_level_validates_the_stored_resource_and_the_modes(
    client: httpx.Client,
) -> None:
    created = json_of(send(client, "POST", "/Patient", patient()))
    url = f"/Patient/{created['id']}/$validate"
    assert _errors(client.post(url)) == []
    assert _errors(client.get(url)) == []  # it changes nothing, so GET may invoke it too
    assert _issues(client.post(url, params={"mode": "delete"}))[0]["severity"] == "information"
    renamed = {**created, "id": "someone-else"}
    response = send(client, "POST", url, renamed, **{"X-Unused": "1"})
    assert _errors(response) == []  # no mode: the id is not compared
    response = send(client, "POST", f"{url}?mode=update", renamed)
    assert _errors(response) == [("invalid", "Patient.id")]


def test_bad_requests(client: httpx.Client) -> None:
    assert send(client, "POST", "/Patient/$validate", {"resourceType": "Basic"}).status_code == 400
    assert send(client, "POST", "/Patient/$validate?mode=maybe", patient()).status_code == 400
    assert send(client, "POST", "/Patient/$validate?mode=update", patient()).status_code == 400
    assert client.post("/Patient/$validate").status_code == 400  # nothing to validate
    assert client.post("/Patient/no-such-patient/$validate").status_code == 404
    unknown = send(client, "POST", "/Patient/$everything-else", patient())
    assert unknown.status_code == 404
    assert "$everything-else" in unknown.text
