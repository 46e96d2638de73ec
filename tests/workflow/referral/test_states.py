"""The referral Task state machine against the closed-loop table of the domain notes (§2),
written out here independently of the code: every move from every state, allowed or refused,
by the right side and by the wrong one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.validation.validator import has_errors, validate
from painfhir.workflow.referral import (
    MOVES,
    Actor,
    BusinessStatus,
    Side,
    TaskChange,
    business_status,
    check_move,
    moved_task,
    state_of,
)

PROFILES = Path(__file__).resolve().parents[3] / "profiles"
CLINIC = Actor(Side.CLINIC)
REFERRER = Actor(Side.REFERRER, "Practitioner/raman")

IN_FULFILMENT = ("5.1.1", "5.1.2", "5.1.3", "5.1.4")
# domain.md §2: 2.0→3.0|4.0; 3.0→5.1.1|4.0|5.2|7.0; 5.1.x→5.1.1|5.1.2|5.1.3|5.1.4|4.0|5.2|7.0;
# 5.2→6.0 or back; 4.0, 6.0, 7.0 final.
MAY_GO_TO = {
    "2.0": {"3.0", "4.0"},
    "3.0": {"5.1.1", "4.0", "5.2", "7.0"},
    **{s: {*IN_FULFILMENT, "4.0", "5.2", "7.0"} for s in IN_FULFILMENT},
    "5.2": {"6.0", "back"},
    "4.0": set(),
    "6.0": set(),
    "7.0": set(),
}
OPERATION_TARGET = {
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
REFERRER_OPERATIONS = {"cancel-request"}
TASK_STATUS = {
    "2.0": "received",
    "3.0": "accepted",
    "4.0": "rejected",
    **{s: "in-progress" for s in (*IN_FULFILMENT, "5.2")},
    "6.0": "cancelled",
    "7.0": "completed",
}


def _side(operation: str) -> Actor:
    return REFERRER if operation in REFERRER_OPERATIONS else CLINIC


def _cases(allowed: bool) -> list[Any]:
    return [
        pytest.param(
            state,
            operation,
            id=f"from {state} ${operation} " + (f"goes to {target}" if allowed else "is refused"),
        )
        for state, targets in MAY_GO_TO.items()
        for operation, target in OPERATION_TARGET.items()
        if (target in targets) == allowed
    ]


def test_the_moves_are_the_operations_of_the_issue() -> None:
    assert set(MOVES) == set(OPERATION_TARGET)


@pytest.mark.parametrize(("state", "operation"), _cases(allowed=True))
def test_allowed_move(state: str, operation: str) -> None:
    check_move(MOVES[operation], BusinessStatus(state), _side(operation))


@pytest.mark.parametrize(("state", "operation"), _cases(allowed=False))
def test_refused_move_is_409_naming_the_possible_moves(state: str, operation: str) -> None:
    with pytest.raises(FhirError) as refused:
        check_move(MOVES[operation], BusinessStatus(state), _side(operation))
    assert refused.value.status == 409
    message = refused.value.issues[0].diagnostics
    possible = [op for op, target in OPERATION_TARGET.items() if target in MAY_GO_TO[state]]
    for name in possible:
        assert f"${name} →" in message
    if not possible:
        assert "final" in message


@pytest.mark.parametrize(
    ("operation", "state"),
    [
        pytest.param(
            op, "5.2" if target in ("6.0", "back") else "5.1.1", id=f"${op} by the other side"
        )
        for op, target in OPERATION_TARGET.items()
    ],
)
def test_a_move_by_the_other_side_is_403(operation: str, state: str) -> None:
    other = CLINIC if operation in REFERRER_OPERATIONS else REFERRER
    with pytest.raises(FhirError) as refused:
        check_move(MOVES[operation], BusinessStatus(state), other)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "state", [pytest.param(s, id=f"{s} is Task.status {TASK_STATUS[s]}") for s in TASK_STATUS]
)
def test_task_status_follows_the_business_status(state: str) -> None:
    assert BusinessStatus(state).task_status == TASK_STATUS[state]
    assert BusinessStatus(state).final == (not MAY_GO_TO[state])


def _example_task() -> dict[str, Any]:
    task: dict[str, Any] = json.loads(
        (PROFILES / "examples" / "Task-lindqvist-referral-task.json").read_text()
    )
    for element in ("output", "statusReason", "executionPeriod"):
        task.pop(element, None)
    return task


_CONSULT_NOTE = {
    "type": {
        "coding": [
            {
                "system": "http://painfhir.org/fhir/CodeSystem/referral-task-parameter",
                "code": "consult-note",
            }
        ]
    },
    "valueReference": {"reference": "DocumentReference/consult"},
}


@pytest.mark.parametrize(
    "state",
    [pytest.param(s, id=f"a Task moved to {s} conforms to the profile") for s in BusinessStatus],
)
def test_moved_task_conforms_to_the_referral_task_profile(state: BusinessStatus) -> None:
    change = TaskChange(
        status_reason={"text": "not indicated"} if state is BusinessStatus.DECLINED else None,
        outputs=[_CONSULT_NOTE] if state is BusinessStatus.COMPLETED else [],
    )
    moved = moved_task(_example_task(), state, "2026-11-20T10:00:00Z", CLINIC, change)
    assert not has_errors(validate(moved)), validate(moved)
    assert state_of(moved) is state
    assert moved["lastModified"] == "2026-11-20T10:00:00Z"
    assert ("end" in moved["executionPeriod"]) == state.final


def test_a_note_is_signed_by_the_actor_and_outputs_replace_their_kind() -> None:
    interim = moved_task(
        _example_task(), BusinessStatus.INTERIM_NOTE, "2026-11-10T10:00:00Z", CLINIC,
        TaskChange(outputs=[_CONSULT_NOTE]),
    )  # fmt: skip
    final_note = {**_CONSULT_NOTE, "valueReference": {"reference": "DocumentReference/final"}}
    lee = Actor(Side.CLINIC, "Practitioner/lee")
    change = TaskChange(outputs=[final_note], note="Seen; plan agreed")
    done = moved_task(interim, BusinessStatus.COMPLETED, "2026-11-20T10:00:00Z", lee, change)
    assert done["output"] == [final_note]
    assert done["note"][-1] == {
        "authorReference": {"reference": "Practitioner/lee"},
        "time": "2026-11-20T10:00:00Z",
        "text": "Seen; plan agreed",
    }


@pytest.mark.parametrize(
    ("code", "current", "expected"),
    [
        pytest.param("5.4", None, "5.2", id="STU1 5.4 is the cancellation request 5.2"),
        pytest.param("5.x", None, "5.1.1", id="STU1 5.x is 5.1.1 from outside 5.1.x"),
        pytest.param("5.x", "3.0", "5.1.1", id="STU1 5.x is 5.1.1 after acceptance"),
        pytest.param("5.x", "5.1.3", "5.1.3", id="STU1 5.x keeps a 5.1.x state"),
        pytest.param("7.0", None, "7.0", id="STU2 codes are themselves"),
        pytest.param("9.9", None, None, id="an unknown code is no state"),
    ],
)
def test_stu1_business_statuses_are_accepted(
    code: str, current: str | None, expected: str | None
) -> None:
    found = business_status(code, BusinessStatus(current) if current else None)
    assert found == (BusinessStatus(expected) if expected else None)


def test_stu1_translation_agrees_with_the_concept_map() -> None:
    concept_map = json.loads(
        (PROFILES / "ConceptMap-bser-business-status-stu1-to-stu2.json").read_text()
    )
    for element in concept_map["group"][0]["element"]:
        assert business_status(element["code"]) == BusinessStatus(element["target"][0]["code"])
