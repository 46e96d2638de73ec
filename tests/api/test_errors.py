"""Bad requests get an OperationOutcome with the right status, and nothing is stored."""

from __future__ import annotations

import httpx
import pytest

from tests.api.fhir_client import FHIR_JSON, issue_expressions, json_of, patient, send, unique


def _count_patients_named(client: httpx.Client, family: str) -> int:
    # Until name search exists, scan what identifier search can find: the test's own marker.
    found = json_of(client.get("/Patient", params={"identifier": f"urn:test|{family}"}))
    return len(found.get("entry", []))


@pytest.mark.parametrize(
    ("method", "url", "content", "headers", "status"),
    [
        pytest.param(
            "POST",
            "/Patient",
            b"{not json",
            {"Content-Type": FHIR_JSON},
            400,
            id="malformed-json-400",
        ),
        pytest.param(
            "POST",
            "/Patient",
            b'{"a": NaN}',
            {"Content-Type": FHIR_JSON},
            400,
            id="nan-is-not-json-400",
        ),
        pytest.param(
            "POST", "/Patient", b"", {"Content-Type": FHIR_JSON}, 400, id="empty-body-400"
        ),
        pytest.param(
            "POST", "/Patient", b"[]", {"Content-Type": FHIR_JSON}, 400, id="array-body-400"
        ),
        pytest.param(
            "POST", "/NotAType", b"{}", {"Content-Type": FHIR_JSON}, 404, id="unknown-type-404"
        ),
        pytest.param("GET", "/NotAType/1", None, {}, 404, id="unknown-type-read-404"),
        pytest.param("GET", "/Patient/does-not-exist", None, {}, 404, id="unknown-id-404"),
        pytest.param(
            "POST",
            "/Patient/123",
            b"{}",
            {"Content-Type": FHIR_JSON},
            405,
            id="post-to-instance-405",
        ),
        pytest.param(
            "POST",
            "/Patient",
            b"<Patient/>",
            {"Content-Type": "application/fhir+xml"},
            415,
            id="xml-body-415",
        ),
        pytest.param(
            "POST", "/Patient", b"{}", {"Content-Type": "text/plain"}, 415, id="text-body-415"
        ),
        pytest.param(
            "POST",
            "/Patient",
            b"{}",
            {"Content-Type": "application/fhir+json; fhirVersion=5.0"},
            415,
            id="r5-body-415",
        ),
        pytest.param(
            "GET", "/metadata", None, {"Accept": "application/fhir+xml"}, 406, id="xml-accept-406"
        ),
        pytest.param("GET", "/metadata?_format=xml", None, {}, 406, id="xml-format-406"),
        pytest.param("GET", "/Patient/1/_history/abc", None, {}, 404, id="bad-version-404"),
        pytest.param("GET", "/Patient?_count=lots", None, {}, 400, id="bad-count-400"),
        pytest.param("GET", "/Patient?_lastUpdated=yesterday", None, {}, 400, id="bad-date-400"),
        pytest.param(
            "GET",
            "/Patient?shoe-size=44",
            None,
            {"Prefer": "handling=strict"},
            400,
            id="strict-unknown-parameter-400",
        ),
    ],
)
def test_bad_requests_get_an_operation_outcome(
    client: httpx.Client,
    method: str,
    url: str,
    content: bytes | None,
    headers: dict[str, str],
    status: int,
) -> None:
    response = client.request(method, url, content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(FHIR_JSON)
    outcome = json_of(response)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    assert outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        pytest.param({"birthDate": "02/04/1971"}, "Patient.birthDate", id="bad-date-format"),
        pytest.param({"gender": 3}, "Patient.gender", id="number-for-code"),
        pytest.param({"hairColour": "red"}, "Patient.hairColour", id="unknown-element"),
        pytest.param({"name": {"family": "x"}}, "Patient.name", id="object-for-array"),
        pytest.param({"active": "yes"}, "Patient.active", id="string-for-boolean"),
        pytest.param({"gender": "mail"}, "Patient.gender", id="code-outside-required-value-set"),
    ],
)
def test_a_structurally_invalid_resource_is_400_with_its_path(
    client: httpx.Client, change: dict[str, object], expression: str
) -> None:
    marker = unique()
    resource = {**patient(), "identifier": [{"system": "urn:test", "value": marker}], **change}
    response = send(client, "POST", "/Patient", resource)
    assert response.status_code == 400
    assert expression in issue_expressions(response)
    assert _count_patients_named(client, marker) == 0


def test_resource_type_must_match_the_url(client: httpx.Client) -> None:
    response = send(client, "POST", "/Observation", patient())
    assert response.status_code == 400


def test_update_id_must_match_the_url(client: httpx.Client) -> None:
    response = send(client, "PUT", "/Patient/one", {**patient(), "id": "two"})
    assert response.status_code == 400
    assert client.get("/Patient/one").status_code in (404, 410)
    missing_id = send(client, "PUT", "/Patient/one", patient())
    assert missing_id.status_code == 400


def test_body_over_the_limit_is_413(server_with_small_limit: str) -> None:
    big = {**patient(), "text": {"status": "generated", "div": "<div>" + "x" * 5000 + "</div>"}}
    response = send(httpx.Client(base_url=server_with_small_limit), "POST", "/Patient", big)
    assert response.status_code == 413
    assert json_of(response)["resourceType"] == "OperationOutcome"
