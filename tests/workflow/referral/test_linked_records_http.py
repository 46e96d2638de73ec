"""What the moves link to the referral must be the referral's: the consult note, the care plan
and the appointment of its patient, an appointment still to take place (422 otherwise). A
rebooking cancels the earlier booking; a consultation ends after it starts; the referring
side says why it asks to cancel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflow.referral.conftest import Party, business_status, outcome_text, parameter
from tests.workflow.referral.referral_package import referral_bundle
from tests.workflow.referral.test_journey_http import send_referral
from tests.workflow.referral.test_refusals_http import task_in

Json = dict[str, Any]


def _stored(party: Party, resource: Json) -> str:
    response = party.send("POST", f"/{resource['resourceType']}", resource)
    assert response.status_code == 201, response.text
    return f"{resource['resourceType']}/{response.json()['id']}"


def _note(patient: str) -> Json:
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
        "subject": {"reference": patient},
        "content": [{"attachment": {"contentType": "text/plain", "title": "Consult note"}}],
    }


def _plan(patient: str) -> Json:
    return {"resourceType": "CarePlan", "status": "active", "intent": "plan",
            "subject": {"reference": patient}}  # fmt: skip


def _appointment(patient: str, status: str = "booked") -> Json:
    return {
        "resourceType": "Appointment",
        "status": status,
        "start": "2026-12-01T09:00:00Z",
        "end": "2026-12-01T10:00:00Z",
        "participant": [{"actor": {"reference": patient}, "status": "accepted"}],
    }


def _reference(name: str, reference: str) -> Json:
    return parameter(name, valueReference={"reference": reference})


@pytest.fixture
def referral(ehr: Party, clinic: Party) -> tuple[str, str, str]:
    """(ServiceRequest id, the patient, the Task id) of an accepted referral."""
    request_id, patient_id, task = send_referral(ehr, referral_bundle(with_coverage=True))
    clinic.moved(task["id"], "accept")
    return request_id, f"Patient/{patient_id}", task["id"]


@pytest.fixture
def stranger(clinic: Party) -> str:
    return _stored(clinic, {"resourceType": "Patient", "name": [{"family": "Other"}]})


def test_an_interim_note_of_another_patient_is_422(
    referral: tuple[str, str, str], stranger: str, clinic: Party
) -> None:
    _, _, task_id = referral
    clinic.moved(task_id, "schedule", parameter("start", valueDateTime="2026-12-01T09:00:00Z"))
    note = _stored(clinic, _note(stranger))
    response = clinic.operation(task_id, "interim-note", _reference("note", note))
    assert response.status_code == 422, response.text
    assert "not about the referral's patient" in outcome_text(response)
    assert business_status(clinic.get(f"/Task/{task_id}")) == "5.1.1"


@pytest.mark.parametrize("foreign", ["note", "plan"])
def test_a_completion_with_another_patients_note_or_plan_is_422(
    foreign: str, referral: tuple[str, str, str], stranger: str, clinic: Party
) -> None:
    request_id, patient, task_id = referral
    note = _stored(clinic, _note(stranger if foreign == "note" else patient))
    plan = _stored(clinic, _plan(stranger if foreign == "plan" else patient))
    response = clinic.operation(
        task_id, "complete", _reference("output", note), _reference("output", plan)
    )
    assert response.status_code == 422, response.text
    assert "not about the referral's patient" in outcome_text(response)
    assert clinic.get(f"/ServiceRequest/{request_id}")["status"] == "active"


@pytest.mark.parametrize(
    ("whose", "status", "says"),
    [
        pytest.param("stranger", "booked", "not about the referral's patient", id="another's"),
        pytest.param("patient", "cancelled", "'cancelled'", id="a cancelled one"),
    ],
)
def test_scheduling_for_an_appointment_that_is_not_the_referrals_is_422(
    whose: str, status: str, says: str, referral: tuple[str, str, str], stranger: str,
    clinic: Party,
) -> None:  # fmt: skip
    _, patient, task_id = referral
    appointment = _stored(
        clinic, _appointment(stranger if whose == "stranger" else patient, status)
    )
    response = clinic.operation(task_id, "schedule", _reference("appointment", appointment))
    assert response.status_code == 422, response.text
    assert says in outcome_text(response)
    assert business_status(clinic.get(f"/Task/{task_id}")) == "3.0"


def test_rescheduling_cancels_the_earlier_booking(
    referral: tuple[str, str, str], clinic: Party
) -> None:
    request_id, patient, task_id = referral
    clinic.moved(task_id, "schedule", parameter("start", valueDateTime="2026-12-01T09:00:00Z"))
    (first,) = clinic.get(f"/Appointment?based-on=ServiceRequest/{request_id}")["entry"]
    later = _stored(clinic, _appointment(patient))
    clinic.moved(task_id, "schedule", _reference("appointment", later))
    cancelled = clinic.get(f"/Appointment/{first['resource']['id']}")
    assert cancelled["status"] == "cancelled"
    assert "Rescheduled" in cancelled["cancelationReason"]["text"]
    clinic.moved(task_id, "no-show")
    marked = clinic.get(f"/Appointment?based-on=ServiceRequest/{request_id}")["entry"]
    statuses = {f"Appointment/{e['resource']['id']}": e["resource"]["status"] for e in marked}
    assert statuses == {f"Appointment/{first['resource']['id']}": "cancelled", later: "noshow"}


@pytest.mark.parametrize("end", ["2026-12-01T09:00:00Z", "2026-12-01T08:00:00Z"])
def test_a_consultation_ending_before_it_starts_is_400(end: str, clinic: Party) -> None:
    task_id = task_in(clinic, "3.0")
    start = parameter("start", valueDateTime="2026-12-01T09:00:00Z")
    response = clinic.operation(task_id, "schedule", start, parameter("end", valueDateTime=end))
    assert response.status_code == 400, response.text
    assert "must be after start" in outcome_text(response)


def test_a_cancellation_request_needs_a_reason(ehr: Party, clinic: Party) -> None:
    task_id = task_in(clinic, "3.0")
    response = ehr.operation(task_id, "cancel-request")
    assert response.status_code == 400, response.text
    assert "reason" in outcome_text(response)
    assert clinic.get(f"/Task/{task_id}")["meta"]["versionId"] == "1"
