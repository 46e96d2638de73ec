"""What the referral operations refuse, over HTTP: a move the state does not allow (409,
naming the possible moves), a move of the other side (403), missing or wrong inputs (400),
a completion without a consult note (422), a stale If-Match (412) — and that a refusal
writes nothing. And the referring side's cancellation, confirmed or refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflow.referral.conftest import Party, business_status, outcome_text, parameter
from tests.workflow.referral.referral_package import referral_bundle
from tests.workflow.referral.test_journey_http import send_referral

Json = dict[str, Any]
BSER = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"
TASK_STATUS = {
    "2.0": "received",
    "3.0": "accepted",
    "4.0": "rejected",
    "6.0": "cancelled",
    "7.0": "completed",
}
TARGET = {
    "accept": "3.0",
    "decline": "4.0",
    "schedule": "5.1.1",
    "no-show": "5.1.2",
    "appointment-cancelled": "5.1.3",
    "interim-note": "5.1.4",
    "cancel-request": "5.2",
    "confirm-cancel": "6.0",
    "refuse-cancel": "back",
    "complete": "7.0",
}
IN_FULFILMENT = {"5.1.1", "5.1.2", "5.1.3", "5.1.4"}
START = parameter("start", valueDateTime="2026-11-16T09:00:00Z")
MAY_GO_TO = {
    "2.0": {"3.0", "4.0"},
    "3.0": {"5.1.1", "4.0", "5.2", "7.0"},
    **{s: {*IN_FULFILMENT, "4.0", "5.2", "7.0"} for s in IN_FULFILMENT},
    "5.2": {"6.0", "back"},
    "4.0": set(),
    "6.0": set(),
    "7.0": set(),
}


def task_in(party: Party, state: str) -> str:
    """A referral Task put straight into `state` (the store takes any Task it is given)."""
    task = {
        "resourceType": "Task",
        "status": TASK_STATUS.get(state, "in-progress"),
        "businessStatus": {"coding": [{"system": BSER, "code": state}]},
        "intent": "order",
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]
        },
        "focus": {"reference": "ServiceRequest/elsewhere"},
        "for": {"reference": "Patient/elsewhere"},
        "requester": {"reference": "Practitioner/raman"},
        "owner": {"reference": "Organization/painfhir-clinic"},
    }
    response = party.send("POST", "/Task", task)
    assert response.status_code == 201, response.text
    task_id: str = response.json()["id"]
    return task_id


@pytest.mark.parametrize("state", [pytest.param(s, id=f"from {s}") for s in MAY_GO_TO])
def test_every_refused_move_is_409_with_the_possible_moves(
    state: str, ehr: Party, clinic: Party
) -> None:
    task_id = task_in(clinic, state)
    possible = [op for op, target in TARGET.items() if target in MAY_GO_TO[state]]
    for operation, target in TARGET.items():
        if target in MAY_GO_TO[state]:
            continue
        party = ehr if operation == "cancel-request" else clinic
        response = party.operation(task_id, operation)
        assert response.status_code == 409, (operation, response.text)
        text = outcome_text(response)
        assert all(f"${name} →" in text for name in possible), text
    assert clinic.get(f"/Task/{task_id}")["meta"]["versionId"] == "1"


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(
            operation,
            id=f"the {'clinic' if operation == 'cancel-request' else 'referring side'} "
            f"cannot {operation}",
        )
        for operation in TARGET
    ],
)
def test_a_move_of_the_other_side_is_403(operation: str, ehr: Party, clinic: Party) -> None:
    """The side is checked first, whatever the state and the parameters."""
    task_id = task_in(clinic, "3.0")
    response = (clinic if operation == "cancel-request" else ehr).operation(task_id, operation)
    assert response.status_code == 403, response.text
    assert "belongs to" in outcome_text(response)
    assert clinic.get(f"/Task/{task_id}")["meta"]["versionId"] == "1"


def test_decline_needs_a_reason(clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    response = clinic.operation(task_id, "decline")
    assert response.status_code == 400, response.text
    assert "reason" in outcome_text(response)
    coded = {
        "coding": [
            {
                "system": "http://painfhir.org/fhir/CodeSystem/referral-decline-reason",
                "code": "not-indicated",
            }
        ]
    }
    declined = clinic.moved(task_id, "decline", parameter("reason", valueCodeableConcept=coded))
    assert (declined["status"], business_status(declined)) == ("rejected", "4.0")
    assert declined["statusReason"] == coded


def test_completion_without_a_consult_note_is_422(ehr: Party, clinic: Party) -> None:
    _, patient_id, task = send_referral(ehr, referral_bundle(with_coverage=True))
    clinic.moved(task["id"], "accept")
    plan = {"resourceType": "CarePlan", "status": "draft", "intent": "plan",
            "subject": {"reference": f"Patient/{patient_id}"}}  # fmt: skip
    plan_id = clinic.send("POST", "/CarePlan", plan).json()["id"]
    output = parameter("output", valueReference={"reference": f"CarePlan/{plan_id}"})
    response = clinic.operation(task["id"], "complete", output)
    assert response.status_code == 422, response.text
    assert "consult note" in outcome_text(response)
    assert business_status(clinic.get(f"/Task/{task['id']}")) == "3.0"


@pytest.mark.parametrize(
    ("operation", "parameters", "status"),
    [
        pytest.param(
            "decline", [parameter("bogus", valueString="x")], 400, id="an unknown parameter",
        ),
        pytest.param("schedule", [], 400, id="schedule with neither start nor appointment"),
        pytest.param(
            "schedule", [parameter("start", valueDateTime="2026-11-16")], 400,
            id="a start without a time",
        ),
        pytest.param(
            "schedule", [parameter("appointment", valueReference={"reference": "Appointment/0"})],
            422, id="an appointment that is not here",
        ),
        pytest.param(
            "schedule", [parameter("start", valueDateTime="9999-12-31T23:30:00Z")], 400,
            id="a start whose consultation would end past year 9999",
        ),
        pytest.param(
            "schedule", [START, parameter("practitioner", valueReference={"reference": "Bogus"})],
            400, id="a practitioner that is no Practitioner reference",
        ),
        pytest.param(
            "schedule",
            [START, parameter("practitioner", valueReference={"reference": "Patient/elsewhere"})],
            400, id="a practitioner that is a Patient",
        ),
        pytest.param(
            "schedule",
            [START, parameter("practitioner", valueReference={"reference": "Practitioner/0"})],
            422, id="a practitioner that is not here",
        ),
        pytest.param(
            "complete", [parameter("output", valueReference={"reference": "Patient/x"})], 400,
            id="an output that is neither a note nor a care plan",
        ),
    ],
)  # fmt: skip
def test_bad_inputs_are_refused_and_nothing_is_written(
    operation: str, parameters: list[Json], status: int, clinic: Party
) -> None:
    task_id = task_in(clinic, "3.0")
    response = clinic.operation(task_id, operation, *parameters)
    assert response.status_code == status, response.text
    assert outcome_text(response)
    assert clinic.get(f"/Task/{task_id}")["meta"]["versionId"] == "1"


def test_a_stale_if_match_is_412(clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    clinic.moved(task_id, "accept")
    response = clinic.operation(
        task_id, "decline", parameter("reason", valueString="x"), **{"If-Match": 'W/"1"'}
    )
    assert response.status_code == 412, response.text


def test_operations_act_on_referral_tasks_only(clinic: Party) -> None:
    other = {"resourceType": "Task", "status": "requested", "intent": "order"}
    task_id = clinic.send("POST", "/Task", other).json()["id"]
    assert clinic.operation(task_id, "accept").status_code == 422
    assert clinic.operation("missing", "accept").status_code == 404


def test_cancellation_requested_then_confirmed(ehr: Party, clinic: Party) -> None:
    request_id, _, task = send_referral(ehr, referral_bundle(with_coverage=True))
    clinic.moved(task["id"], "accept")
    requested = ehr.moved(
        task["id"], "cancel-request", parameter("reason", valueString="Patient moved away")
    )
    assert (requested["status"], business_status(requested)) == ("in-progress", "5.2")
    assert requested["statusReason"] == {"text": "Patient moved away"}
    cancelled = clinic.moved(task["id"], "confirm-cancel")
    assert (cancelled["status"], business_status(cancelled)) == ("cancelled", "6.0")
    assert ehr.get(f"/ServiceRequest/{request_id}")["status"] == "revoked"
    provenances = ehr.get(f"/Provenance?target=Task/{task['id']}")["entry"]
    (by_ehr,) = [
        e["resource"]
        for e in provenances
        if e["resource"]["target"][0]["reference"] == f"Task/{task['id']}/_history/3"
    ]
    assert by_ehr["agent"][0]["who"] == task["requester"]
    assert by_ehr["reason"] == [{"text": "Patient moved away"}]


def test_cancellation_refused_returns_to_the_state_before(ehr: Party, clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    clinic.moved(task_id, "accept")
    clinic.moved(task_id, "schedule", parameter("start", valueDateTime="2026-12-01T09:00:00Z"))
    ehr.moved(task_id, "cancel-request", parameter("reason", valueString="Seen elsewhere"))
    refused = clinic.moved(
        task_id, "refuse-cancel", parameter("note", valueString="Already booked")
    )
    assert (refused["status"], business_status(refused)) == ("in-progress", "5.1.1")
    assert "statusReason" not in refused
