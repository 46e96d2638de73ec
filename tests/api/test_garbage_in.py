"""Every entry point added beside the FHIR REST core answers garbage with a clear 4xx
OperationOutcome (HL7 v2 senders: an AR acknowledgement) and stores nothing of it."""

from __future__ import annotations

import httpx
import pytest

from tests.api.fhir_client import json_of

FHIR = "application/fhir+json"
ER7 = "x-application/hl7-v2+er7"
NOT_JSON = b'{"resourceType": "Bundle", "type": '


def _resource_count(client: httpx.Client) -> int:
    total: int = client.get("/", params={"_summary": "count"}).json().get("total", 0)
    return total


@pytest.mark.parametrize(
    ("method", "url", "content_type", "body", "status"),
    [
        pytest.param("POST", "/$ingest", FHIR, NOT_JSON, 400, id="ingest-broken-json"),
        pytest.param("POST", "/$ingest", "text/plain", b"hello", 415, id="ingest-wrong-type"),
        pytest.param("POST", "/$ingest", FHIR, b"", 400, id="ingest-empty"),
        pytest.param("POST", "/$transform", FHIR, NOT_JSON, 400, id="transform-broken-json"),
        pytest.param("POST", "/$transform", ER7, b"hello", 400, id="transform-not-er7"),
        pytest.param("POST", "/$transform", "text/plain", b"x", 415, id="transform-wrong-type"),
        pytest.param("POST", "/hl7v2", "text/plain", b"MSH|", 415, id="hl7v2-wrong-type"),
        pytest.param("GET", "/hl7v2/messages?status=lost", None, b"", 400, id="log-bad-status"),
        pytest.param("GET", "/hl7v2/messages/987654321", None, b"", 404, id="log-no-such"),
        pytest.param("GET", "/notify/deliveries?status=lost", None, b"", 400, id="notify-status"),
        pytest.param("GET", "/notify/deliveries/987654321", None, b"", 404, id="notify-no-such"),
        pytest.param(
            "POST", "/notify/deliveries/987654321/$retry", None, b"", 404, id="notify-retry-no-such"
        ),
        pytest.param("POST", "/Task/no-such-task/$accept", FHIR, b"{}", 404, id="task-op-no-task"),
        pytest.param(
            "POST",
            "/PlanDefinition/chronic-pain/$apply",
            FHIR,
            NOT_JSON,
            400,
            id="apply-broken-json",
        ),
        pytest.param(
            "POST",
            "/Patient/no-such/$assemble-care-team",
            FHIR,
            NOT_JSON,
            400,
            id="care-team-broken-json",
        ),
        pytest.param("GET", "/Patient/no-such/$mme", None, b"", 404, id="mme-no-patient"),
    ],
)
def test_garbage_gets_a_4xx_outcome_and_stores_nothing(
    client: httpx.Client,
    method: str,
    url: str,
    content_type: str | None,
    body: bytes,
    status: int,
) -> None:
    before = _resource_count(client)
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.request(method, url, content=body, headers=headers)
    assert response.status_code == status, response.text
    outcome = json_of(response)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] in ("error", "fatal")
    assert outcome["issue"][0]["diagnostics"]
    assert _resource_count(client) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"hello", id="no-header"),
        pytest.param(b"MSH|^~\\&|A|B|C|D|20260101||REF^I12|1|P", id="no-version"),
        pytest.param(b"\xff\xfe\x00garbage", id="binary"),
    ],
)
def test_a_v2_message_that_cannot_be_read_is_rejected_and_kept(
    client: httpx.Client, body: bytes
) -> None:
    before = _resource_count(client)
    response = client.post("/hl7v2", content=body, headers={"Content-Type": ER7})
    assert response.status_code == 200  # the answer is the acknowledgement
    msa = next(line for line in response.text.split("\r") if line.startswith("MSA"))
    assert msa.split("|")[1] == "AR"
    assert _resource_count(client) == before
    # Kept raw, byte for byte, as the newest rejected message of the log.
    newest = client.get("/hl7v2/messages", params={"status": "rejected"}).json()["messages"][0]
    assert client.get(f"/hl7v2/messages/{newest['id']}/raw").content == body
