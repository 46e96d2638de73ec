"""Referrals that arrive or move without the operations: an HL7 v2 REF^I12 (whose mapping
sends the Task itself), and plain PATCH / PUT of the referral Task (an HL7 v2 REF^I14 asks
for cancellation that way), held to the same transitions."""

from __future__ import annotations

from pathlib import Path

import httpx

from painfhir.fhir.codec import dump_json, parse_json
from tests.conftest import RunningServer
from tests.workflow.referral.conftest import Party, business_status, outcome_text
from tests.workflow.referral.test_journey_http import findings
from tests.workflow.referral.test_refusals_http import task_in

BSER = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"
JSON_PATCH = "application/json-patch+json"


def _to_status(code: str, status: str = "in-progress") -> bytes:
    business = {"coding": [{"system": BSER, "code": code}]}
    return dump_json(
        [
            {"op": "replace", "path": "/status", "value": status},
            {"op": "replace", "path": "/businessStatus", "value": business},
        ]
    )


def _patch(party: Party, task_id: str, code: str, status: str = "in-progress") -> httpx.Response:
    return party.http.patch(
        f"/Task/{task_id}", content=_to_status(code, status), headers={"Content-Type": JSON_PATCH}
    )


def test_a_v2_referral_keeps_the_mapping_task_and_gets_the_intake_check(
    server: RunningServer, corpora: Path, clinic: Party
) -> None:
    message = (corpora / "hl7v2" / "REF-I12-01.hl7").read_bytes()
    ack = httpx.post(
        f"{server.url}/hl7v2", content=message, headers={"Content-Type": "x-application/hl7-v2+er7"}
    )
    assert b"|AA|" in ack.content, ack.content
    requests = clinic.get("/ServiceRequest?identifier=226839&_count=5")["entry"]
    (request,) = [e["resource"] for e in requests]
    (entry,) = clinic.get(f"/Task?focus=ServiceRequest/{request['id']}")["entry"]
    task = entry["resource"]
    assert business_status(task) == "2.0"
    assert "missing-medication-list" in findings(task)  # the message lists no medicines
    # the mapping's Task and the intake findings added to it are one version, one event
    assert task["meta"]["versionId"] == "1"
    history = clinic.get(f"/Task/{task['id']}/_history")
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["1"]
    accepted = clinic.moved(task["id"], "accept")
    assert business_status(accepted) == "3.0"


def test_a_plain_patch_to_cancellation_requested_is_a_move_with_its_provenance(
    ehr: Party, clinic: Party
) -> None:
    task_id = task_in(clinic, "3.0")
    response = _patch(ehr, task_id, "5.2")
    assert response.status_code == 200, response.text
    provenances = ehr.get(f"/Provenance?target=Task/{task_id}")["entry"]
    (provenance,) = [e["resource"] for e in provenances]
    assert provenance["activity"]["text"] == f"PATCH Task/{task_id}"
    assert provenance["agent"][0]["who"] == {"reference": "Practitioner/raman"}


def test_a_plain_patch_the_transitions_do_not_allow_is_409(ehr: Party, clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    response = _patch(ehr, task_id, "5.2")
    assert response.status_code == 409, response.text
    assert "$accept →" in outcome_text(response)
    assert ehr.get(f"/Task/{task_id}")["meta"]["versionId"] == "1"


def test_a_stu1_cancellation_request_and_the_way_back(ehr: Party, clinic: Party) -> None:
    task_id = task_in(clinic, "5.1.3")
    assert _patch(ehr, task_id, "5.4").status_code == 200  # STU1's code for 5.2
    back = _patch(clinic, task_id, "5.1.3")
    assert back.status_code == 200, back.text
    assert business_status(parse_json(back.content)) == "5.1.3"
