"""A referral's whole closed loop over HTTP, with two clients: the EHR sends a FHIR
transaction, the clinic triages, schedules, records a no-show, reschedules, shares an interim
note and completes with a consult note and a care plan; each move is kept (Task history, a
Provenance) and the ServiceRequest ends completed."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningServer
from tests.workflow.referral.conftest import Party, business_status, parameter
from tests.workflow.referral.referral_package import coverage, referral_bundle

Json = dict[str, Any]
FINDINGS = "http://painfhir.org/fhir/CodeSystem/pain-intake-finding"


def send_referral(ehr: Party, bundle: Json) -> tuple[str, str, Json]:
    """(ServiceRequest id, Patient id, the referral Task) once the EHR's Bundle is in."""
    response = ehr.send("POST", "/", bundle)
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    request_id = entries[-1]["response"]["location"].split("/")[1]
    patient_id = entries[0]["response"]["location"].split("/")[1]
    tasks = ehr.get(f"/Task?focus=ServiceRequest/{request_id}")["entry"]
    assert len(tasks) == 1
    return request_id, patient_id, tasks[0]["resource"]


def findings(task: Json) -> list[str]:
    return [
        entry["valueCodeableConcept"]["coding"][0]["code"]
        for entry in task.get("input", [])
        if entry["valueCodeableConcept"]["coding"][0]["system"] == FINDINGS
    ]


def document(clinic: Party, patient_id: str, title: str) -> str:
    note = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "content": [{"attachment": {"contentType": "text/plain", "title": title}}],
    }
    response = clinic.send("POST", "/DocumentReference", note)
    assert response.status_code == 201, response.text
    return f"DocumentReference/{response.json()['id']}"


def care_plan(clinic: Party, patient_id: str) -> str:
    plan = {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    response = clinic.send("POST", "/CarePlan", plan)
    assert response.status_code == 201, response.text
    return f"CarePlan/{response.json()['id']}"


def test_arrival_starts_the_referral_task_with_its_intake_findings(ehr: Party) -> None:
    request_id, patient_id, task = send_referral(ehr, referral_bundle())
    assert task["status"] == "received" and business_status(task) == "2.0"
    assert task["focus"] == {"reference": f"ServiceRequest/{request_id}"}
    assert task["for"] == {"reference": f"Patient/{patient_id}"}
    assert task["owner"] == {"reference": "Organization/painfhir-clinic"}
    assert task["requester"]["reference"].startswith("Practitioner/")
    assert findings(task) == ["missing-insurance"]
    tagged = ehr.get(f"/Task?_tag={FINDINGS}|missing-insurance&focus=ServiceRequest/{request_id}")
    assert tagged["entry"][0]["resource"]["id"] == task["id"]


def test_a_coverage_arriving_later_clears_the_finding_without_moving_the_task(ehr: Party) -> None:
    request_id, patient_id, task = send_referral(ehr, referral_bundle())
    response = ehr.send("POST", "/Coverage", coverage(f"Patient/{patient_id}"))
    assert response.status_code == 201, response.text
    rechecked = ehr.get(f"/Task/{task['id']}")
    assert findings(rechecked) == []
    assert business_status(rechecked) == "2.0"
    assert rechecked["meta"]["versionId"] == "2"
    assert not ehr.get(f"/Task?_tag={FINDINGS}|&focus=ServiceRequest/{request_id}").get("entry")


def test_a_referral_from_arrival_to_completion(ehr: Party, clinic: Party) -> None:
    request_id, patient_id, task = send_referral(ehr, referral_bundle(with_coverage=True))
    task_id = task["id"]
    assert findings(task) == []

    accepted = clinic.moved(task_id, "accept", parameter("note", valueString="Fits our service"))
    assert (accepted["status"], business_status(accepted)) == ("accepted", "3.0")
    assert accepted["note"][-1]["authorReference"] == {"reference": "Practitioner/dr-lee"}

    start = parameter("start", valueDateTime="2026-11-16T09:00:00-07:00")
    doctor = parameter("practitioner", valueReference={"reference": "Practitioner/dr-lee"})
    scheduled = clinic.moved(task_id, "schedule", start, doctor)
    assert (scheduled["status"], business_status(scheduled)) == ("in-progress", "5.1.1")
    booked = clinic.get(f"/Appointment?based-on=ServiceRequest/{request_id}")["entry"]
    assert len(booked) == 1
    appointment = booked[0]["resource"]
    assert appointment["status"] == "booked"
    assert appointment["end"] == "2026-11-16T10:00:00-07:00"
    actors = [p["actor"]["reference"] for p in appointment["participant"]]
    assert actors == [f"Patient/{patient_id}", "Practitioner/dr-lee"]

    assert business_status(clinic.moved(task_id, "no-show")) == "5.1.2"
    assert clinic.get(f"/Appointment/{appointment['id']}")["status"] == "noshow"

    later = parameter("start", valueDateTime="2026-11-23T09:00:00-07:00")
    assert business_status(clinic.moved(task_id, "schedule", later)) == "5.1.1"
    booked_now = clinic.get(f"/Appointment?based-on=ServiceRequest/{request_id}&status=booked")
    assert booked_now["entry"][0]["resource"]["start"] == "2026-11-23T09:00:00-07:00"

    interim = document(clinic, patient_id, "Interim note")
    noted = clinic.moved(
        task_id, "interim-note", parameter("note", valueReference={"reference": interim})
    )
    assert business_status(noted) == "5.1.4"
    assert noted["output"][0]["valueReference"] == {"reference": interim}

    consult, plan = document(clinic, patient_id, "Consult note"), care_plan(clinic, patient_id)
    done = clinic.moved(
        task_id,
        "complete",
        parameter("output", valueReference={"reference": consult}),
        parameter("output", valueReference={"reference": plan}),
    )
    assert (done["status"], business_status(done)) == ("completed", "7.0")
    outputs = {
        o["type"]["coding"][0]["code"]: o["valueReference"]["reference"] for o in done["output"]
    }
    assert outputs == {"consult-note": consult, "care-plan": plan}
    assert ehr.get(f"/ServiceRequest/{request_id}")["status"] == "completed"

    history = ehr.get(f"/Task/{task_id}/_history")["entry"]
    statuses = [business_status(entry["resource"]) for entry in reversed(history)]
    assert statuses == ["2.0", "3.0", "5.1.1", "5.1.2", "5.1.1", "5.1.4", "7.0"]
    _assert_provenance_per_transition(ehr, task_id, statuses)


def _assert_provenance_per_transition(ehr: Party, task_id: str, statuses: list[str]) -> None:
    """One Provenance per move, its first target the version the move made."""
    bundle = ehr.get(f"/Provenance?target=Task/{task_id}&_count=50")
    by_target = {e["resource"]["target"][0]["reference"]: e["resource"] for e in bundle["entry"]}
    assert len(by_target) == len(bundle["entry"]) == len(statuses) - 1
    for version, status in enumerate(statuses[1:], start=2):
        provenance = by_target[f"Task/{task_id}/_history/{version}"]
        assert provenance["entity"] == [
            {"role": "revision", "what": {"reference": f"Task/{task_id}/_history/{version - 1}"}}
        ]
        assert provenance["activity"]["coding"][0]["code"] == status
        assert provenance["agent"][0]["who"] == {"reference": "Practitioner/dr-lee"}
        assert provenance["agent"][0]["onBehalfOf"] == {"reference": "Organization/painfhir-clinic"}


def test_the_capability_statement_lists_the_referral_operations(ehr: Party) -> None:
    (task,) = [r for r in ehr.get("/metadata")["rest"][0]["resource"] if r["type"] == "Task"]
    names = {operation["name"] for operation in task["operation"]}
    assert {"accept", "decline", "schedule", "cancel-request", "complete"} <= names


def test_each_move_puts_its_task_version_in_the_outbox(
    server: RunningServer, ehr: Party, clinic: Party
) -> None:
    _, _, task = send_referral(ehr, referral_bundle(with_coverage=True))
    before = server.database.count("outbox")
    clinic.moved(task["id"], "accept")
    # the Task's new version (what the referring EHR is told) and the move's Provenance
    assert server.database.count("outbox") == before + 2
