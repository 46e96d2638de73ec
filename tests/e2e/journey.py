"""A referral's way through the clinic once it has arrived, the same whatever the ingress:
acceptance, scheduling, the initial consultation, the clinic's "our services fit" (the
consult note as an interim note), the MDT, the care plan, an opioid prescription with its
warnings, and completion with the consult note and the care plan."""

from __future__ import annotations

from typing import Any

from tests.e2e import care, consultation
from tests.workflow.referral.conftest import Party, business_status, parameter

Json = dict[str, Any]


def triaged_and_scheduled(clinic: Party, task_id: str) -> None:
    assert business_status(clinic.moved(task_id, "accept")) == "3.0"
    start = parameter("start", valueDateTime="2026-11-16T09:00:00-07:00")
    doctor = parameter("practitioner", valueReference={"reference": "Practitioner/dr-lee"})
    assert business_status(clinic.moved(task_id, "schedule", start, doctor)) == "5.1.1"


def assessed(clinic: Party, patient: str) -> None:
    """The assessments, answered on the shipped questionnaires and scored by the server."""
    peg = consultation.stored(clinic, consultation.peg(patient, 7, 6, 8))
    (panel,) = consultation.derived(clinic, peg["id"]).values()
    assert panel["meta"]["profile"] == ["http://painfhir.org/fhir/StructureDefinition/peg-panel"]
    mean = next(c for c in panel["component"] if c["code"]["coding"][0]["code"] == "91147-9")
    assert mean["valueQuantity"]["value"] == 7
    assert panel["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{peg['id']}"}]

    phq9 = consultation.stored(clinic, consultation.phq9(patient, (2, 2, 1, 2, 1, 1, 2, 1, 0)))
    assert _total(clinic, phq9["id"], "44261-6") == (12, "Moderate depression")
    gad7 = consultation.stored(clinic, consultation.gad7(patient, (1, 1, 1, 1, 0, 1, 0)))
    assert _total(clinic, gad7["id"], "70274-6") == (5, "Mild anxiety")
    ort = consultation.opioid_risk_tool(patient, "personal-alcohol", "psych-depression")
    scored = consultation.stored(clinic, ort)
    assert _total(clinic, scored["id"], "91392-1") == (4, "Moderate risk of opioid misuse")

    impact = consultation.stored(clinic, consultation.pain_impact(patient, 6))
    (pain_now,) = consultation.derived(clinic, impact["id"]).values()
    assert (pain_now["code"]["coding"][0]["code"], pain_now["valueInteger"]) == ("72514-3", 6)
    assert clinic.get(f"/QuestionnaireResponse?subject={patient}&_summary=count")["total"] == 5


def _total(clinic: Party, response_id: str, code: str) -> tuple[int, str]:
    observation = consultation.derived(clinic, response_id)[code]
    return observation["valueInteger"], observation["interpretation"][0]["text"]


def consulted(clinic: Party, task_id: str, patient: str) -> tuple[str, str]:
    """(the confirmed chronic pain Condition, the consult note) after the consultation; the
    note, shared as an interim note (5.1.4), says the clinic's services fit."""
    assessed(clinic, patient)
    condition = consultation.chronic_pain_condition(patient, "278860009", "Chronic low back pain")
    condition_id = consultation.stored(clinic, condition)["id"]
    fits = "Chronic low back pain with impact on work and mood: MDT care fits."
    note_id = consultation.stored(clinic, consultation.consult_note(patient, fits))["id"]
    note = parameter("note", valueReference={"reference": f"DocumentReference/{note_id}"})
    assert business_status(clinic.moved(task_id, "interim-note", note)) == "5.1.4"
    return f"Condition/{condition_id}", f"DocumentReference/{note_id}"


def through_the_clinic(ehr: Party, clinic: Party, task_id: str, pathway: str) -> None:
    task = clinic.get(f"/Task/{task_id}")
    patient = task["for"]["reference"]
    patient_id = patient.removeprefix("Patient/")
    triaged_and_scheduled(clinic, task_id)
    condition, note = consulted(clinic, task_id, patient)
    team = care.assembled_team(clinic, patient_id, condition)
    plan = care.care_plan(clinic, patient_id, team["id"], task["focus"]["reference"], pathway)
    care.prescribed_with_warnings(clinic, patient_id)

    outputs = [parameter("output", valueReference={"reference": ref}) for ref in (note, plan)]
    done = clinic.moved(task_id, "complete", *outputs)
    assert (done["status"], business_status(done)) == ("completed", "7.0")
    told = ehr.get(f"/Task/{task_id}")  # what the referring side reads back
    assert {o["valueReference"]["reference"] for o in told["output"]} == {note, plan}
    assert ehr.get(f"/{task['focus']['reference']}")["status"] == "completed"
    history = ehr.get(f"/Task/{task_id}/_history")["entry"]
    states = [business_status(entry["resource"]) for entry in reversed(history)]
    # The intake check adds versions in place when the consultation completes the package.
    moves = [state for i, state in enumerate(states) if i == 0 or states[i - 1] != state]
    assert moves == ["2.0", "3.0", "5.1.1", "5.1.4", "7.0"]
