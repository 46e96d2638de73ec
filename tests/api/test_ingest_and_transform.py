"""`POST /$ingest` and `POST /$transform` against the real server, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.conftest import CORPORA

MAPPINGS = Path(__file__).parents[2] / "mappings"
BSER_MESSAGE = (MAPPINGS / "bser_message/cases/message-fibromyalgia/input.json").read_bytes()
EPIC_TRANSACTION = MAPPINGS / "epic_referral/cases/transaction-chronic-low-back-pain/input.json"
FHIR = {"Content-Type": "application/fhir+json"}
ER7 = {"Content-Type": "x-application/hl7-v2+er7"}


def _logged(client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    found: dict[str, Any] = client.get(
        f"/hl7v2/messages/{response.headers['X-Painfhir-Message-Id']}"
    ).json()
    return found


def test_a_message_is_stored_once_and_its_resend_answered_the_same(client: httpx.Client) -> None:
    first = client.post("/$ingest", content=BSER_MESSAGE, headers=FHIR)
    assert first.status_code == 200, first.text
    assert first.json()["type"] == "transaction-response"
    task = client.get("/Task", params={"identifier": "VC-REF-41177"}).json()
    assert task["entry"][0]["resource"]["businessStatus"]["coding"][0]["code"] == "2.0"
    resend = client.post("/$ingest", content=BSER_MESSAGE, headers=FHIR)
    assert (resend.status_code, resend.content) == (200, first.content)
    logged = _logged(client, resend)
    assert (logged["status"], logged["channel"]) == ("duplicate", "fhir")
    assert logged["sendingApplication"] == "https://ehr.valleyclinic.example/fhir/bser"


def test_an_input_no_module_takes_is_rejected_and_logged(client: httpx.Client) -> None:
    response = client.post("/$ingest", content=b'{"resourceType": "Patient"}', headers=FHIR)
    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "not-supported"
    assert _logged(client, response)["status"] == "rejected"


def test_an_unmappable_input_writes_nothing_and_stays_replayable(client: httpx.Client) -> None:
    bundle = orjson.loads(EPIC_TRANSACTION.read_bytes())
    bundle["entry"][-1]["resource"]["requester"] = {"reference": "Practitioner/not-sent"}
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = "E-UNMAPPABLE"
    response = client.post("/$ingest", content=orjson.dumps(bundle), headers=FHIR)
    assert response.status_code == 422
    assert "requester" in response.json()["issue"][0]["diagnostics"]
    assert not client.get("/Patient", params={"identifier": "E-UNMAPPABLE"}).json().get("entry")
    logged = _logged(client, response)
    assert (logged["status"], logged["module"]) == ("failed", "epic_referral")
    replayed = client.post(f"/hl7v2/messages/{logged['id']}/$replay").json()
    assert (replayed["status"], replayed["attempts"]) == ("failed", 2)


def test_a_module_may_be_named(client: httpx.Client) -> None:
    response = client.post(
        "/$ingest", params={"module": "hl7v2"}, content=EPIC_TRANSACTION.read_bytes(), headers=FHIR
    )
    assert response.status_code == 400
    assert "maps HL7 v2" in response.json()["issue"][0]["diagnostics"]


def test_transform_answers_the_bundle_and_stores_nothing(client: httpx.Client) -> None:
    response = client.post("/$transform", content=EPIC_TRANSACTION.read_bytes(), headers=FHIR)
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["type"] == "transaction"
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert client.get(patient["request"]["url"]).status_code == 404


def test_transform_with_trace_gives_bundle_outcome_and_trace(client: httpx.Client) -> None:
    raw = (CORPORA / "hl7v2" / "REF-I12-01.hl7").read_bytes()
    response = client.post("/$transform", params={"trace": "true"}, content=raw, headers=ER7)
    assert response.status_code == 200, response.text
    parameters = {p["name"]: p for p in response.json()["parameter"]}
    assert parameters["bundle"]["resource"]["resourceType"] == "Bundle"
    assert parameters["outcome"]["resource"]["resourceType"] == "OperationOutcome"
    assert parameters["module"]["valueString"] == "hl7v2"
    kinds = {part["name"] for part in parameters["trace"]["part"]}
    assert kinds == {"use", "unused"}


def test_transform_of_an_invalid_date_is_a_422_naming_the_field(client: httpx.Client) -> None:
    raw = (CORPORA / "hl7v2" / "REF-I12-01.hl7").read_bytes().replace(b"|19610615|", b"|1961061|")
    response = client.post("/$transform", content=raw, headers=ER7)
    assert response.status_code == 422
    assert "PID-7" in response.json()["issue"][0]["diagnostics"]
