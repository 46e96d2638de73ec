"""A settled referral stays settled: after `$complete` or `$confirm-cancel`, the referral
ServiceRequest sent again as active — a FHIR PUT, a resent HL7 v2 REF^I12 — keeps its final
status beside its final Task, while the rest of what was sent is stored and the answer (an
OperationOutcome, the ACK) says what was kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from painfhir.mapping.hl7v2 import parse_message
from tests.conftest import RunningServer
from tests.e2e.test_closed_loop import PLACER, REF_I12, with_control_id
from tests.workflow.referral.conftest import Party, business_status, outcome_text, parameter
from tests.workflow.referral.referral_package import referral_bundle
from tests.workflow.referral.test_journey_http import care_plan, document, send_referral

pytestmark = pytest.mark.e2e
Json = dict[str, Any]


def _completed(clinic: Party, task_id: str, patient_id: str) -> None:
    assert business_status(clinic.moved(task_id, "accept")) == "3.0"
    outputs = [document(clinic, patient_id, "Consult note"), care_plan(clinic, patient_id)]
    refs = [parameter("output", valueReference={"reference": ref}) for ref in outputs]
    assert business_status(clinic.moved(task_id, "complete", *refs)) == "7.0"


def _put_active(ehr: Party, request_id: str, note: str) -> httpx.Response:
    request = ehr.get(f"/ServiceRequest/{request_id}")
    resent = {**request, "status": "active", "note": [{"text": note}]}
    url = f"/ServiceRequest/{request_id}"
    return ehr.send("PUT", url, resent, Prefer="return=OperationOutcome")


def test_a_completed_referral_put_again_as_active_keeps_completed(
    ehr: Party, clinic: Party
) -> None:
    request_id, patient_id, task = send_referral(ehr, referral_bundle(with_coverage=True))
    _completed(clinic, task["id"], patient_id)
    stored = ehr.get(f"/ServiceRequest/{request_id}")["meta"]["versionId"]

    response = _put_active(ehr, request_id, "Patient asks for an earlier date")
    assert response.status_code == 200, response.text
    said = outcome_text(response)
    assert "stays 'completed', not 'active'" in said and f"Task/{task['id']}" in said
    assert "7.0" in said
    request = ehr.get(f"/ServiceRequest/{request_id}")
    assert request["status"] == "completed"
    assert request["note"] == [{"text": "Patient asks for an earlier date"}]  # the rest is kept
    assert int(request["meta"]["versionId"]) == int(stored) + 1

    # The same PUT again changes nothing: no new version, the same word on what was kept.
    again = _put_active(ehr, request_id, "Patient asks for an earlier date")
    assert again.status_code == 200 and "stays 'completed'" in outcome_text(again)
    assert again.headers["ETag"] == f'W/"{request["meta"]["versionId"]}"'
    assert business_status(ehr.get(f"/Task/{task['id']}")) == "7.0"


def test_a_cancelled_referral_put_again_as_active_stays_revoked(ehr: Party, clinic: Party) -> None:
    request_id, _, task = send_referral(ehr, referral_bundle(with_coverage=True))
    assert business_status(clinic.moved(task["id"], "accept")) == "3.0"
    reason = parameter("reason", valueString="Patient moved away")
    assert business_status(ehr.moved(task["id"], "cancel-request", reason)) == "5.2"
    assert business_status(clinic.moved(task["id"], "confirm-cancel")) == "6.0"

    response = _put_active(ehr, request_id, "Sent again by the EHR's interface")
    assert response.status_code == 200, response.text
    assert "stays 'revoked', not 'active'" in outcome_text(response)
    assert ehr.get(f"/ServiceRequest/{request_id}")["status"] == "revoked"


def _over_http(server: RunningServer, message: bytes) -> list[list[str]]:
    """The ACK's MSA and ERR segments, as fields."""
    response = httpx.post(
        f"{server.url}/hl7v2", content=message, headers={"Content-Type": "x-application/hl7-v2+er7"}
    )
    assert response.status_code == 200, response.text
    segments = parse_message(response.content).segments
    return [[str(f) for f in s.fields] for s in segments if s.fields[0] in ("MSA", "ERR")]


def test_a_ref_i12_resent_after_completion_keeps_the_referral_completed(
    loop_server: RunningServer, clinic: Party
) -> None:
    message = REF_I12.read_bytes()
    (msa,) = _over_http(loop_server, message)
    assert msa[1] == "AA"
    (found,) = clinic.get(f"/ServiceRequest?identifier={PLACER}")["entry"]
    request = found["resource"]
    (entry,) = clinic.get(f"/Task?focus=ServiceRequest/{request['id']}")["entry"]
    task_id = entry["resource"]["id"]
    _completed(clinic, task_id, entry["resource"]["for"]["reference"].split("/")[1])

    msa, err = _over_http(loop_server, with_control_id(message, "RESENT-AFTER-COMPLETION"))
    assert msa[1] == "AA"
    assert err[4] == "I"  # ERR-4 severity: information
    assert "stays 'completed', not 'active'" in err[8] and f"Task/{task_id}" in err[8]
    assert clinic.get(f"/ServiceRequest/{request['id']}")["status"] == "completed"
    assert business_status(clinic.get(f"/Task/{task_id}")) == "7.0"
