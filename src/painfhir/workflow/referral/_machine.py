"""The referral Task state machine, pure: a Task in, the moved Task out.

`check_move` refuses a move by the wrong side (403) or one that may not follow the Task's
state (409, naming the moves that may); `moved_task` makes the Task say where it now is:
Task.status and businessStatus together, lastModified, executionPeriod, and what the move
brings (a reason, a note, outputs).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.workflow.referral._actor import Actor
from painfhir.workflow.referral._states import (
    BUSINESS_STATUS_SYSTEM,
    BusinessStatus,
    Move,
    business_status,
    possible_moves,
)

Json = dict[str, Any]
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"
TASK_PARAMETER_SYSTEM = "http://painfhir.org/fhir/CodeSystem/referral-task-parameter"


def is_referral_task(task: Json) -> bool:
    """A `fulfill` Task whose focus is a ServiceRequest: the progress of a referral."""
    codings = (task.get("code") or {}).get("coding") or []
    fulfils = any(
        c.get("system") == TASK_CODE_SYSTEM and c.get("code") == "fulfill" for c in codings
    )
    focus = (task.get("focus") or {}).get("reference")
    return fulfils and isinstance(focus, str) and focus.startswith("ServiceRequest/")


def state_of(task: Json, current: BusinessStatus | None = None) -> BusinessStatus | None:
    """The Task's business status (BSeR STU1 codes translated), or None if it has none we know.

    `current` is the state the Task was in before, which STU1's catch-all 5.x keeps."""
    for coding in (task.get("businessStatus") or {}).get("coding") or []:
        if coding.get("system") == BUSINESS_STATUS_SYSTEM and isinstance(coding.get("code"), str):
            found = business_status(coding["code"], current)
            if found is not None:
                return found
    return None


def _conflict(current: BusinessStatus, what: str) -> FhirError:
    possible = possible_moves(current)
    options = "; ".join(m.described for m in possible) if possible else "none: the state is final"
    message = (
        f"{what} cannot follow business status {current.value} ({current.display}). "
        f"Possible moves from {current.value}: {options}"
    )
    return FhirError(409, [Issue("error", "business-rule", message, "Task.businessStatus")])


def refusal(move: Move, current: BusinessStatus, actor: Actor) -> FhirError | None:
    """Why `actor` may not make `move` from `current`, or None when it may."""
    if actor.side is not move.side:
        return FhirError.of(
            403,
            "forbidden",
            f"${move.operation} belongs to {move.side.described}; "
            f"{actor.side.described} cannot make it",
        )
    return None if move.allowed_from(current) else _conflict(current, f"${move.operation}")


def transition_refusal(current: BusinessStatus, wanted: BusinessStatus) -> FhirError:
    """A plain write moving the Task where it may not go."""
    return _conflict(current, f"Business status {wanted.value}")


def check_move(move: Move, current: BusinessStatus, actor: Actor) -> None:
    found = refusal(move, current, actor)
    if found is not None:
        raise found


def business_status_concept(state: BusinessStatus) -> Json:
    return {
        "coding": [
            {"system": BUSINESS_STATUS_SYSTEM, "code": state.value, "display": state.display}
        ]
    }


def task_parameter(code: str, display: str) -> Json:
    return {"coding": [{"system": TASK_PARAMETER_SYSTEM, "code": code, "display": display}]}


@dataclass(frozen=True, slots=True)
class TaskChange:
    """What a move brings to the Task besides its new state."""

    status_reason: Json | None = None  # a CodeableConcept
    clear_status_reason: bool = False
    note: str | None = None
    outputs: list[Json] = field(default_factory=list)  # Task.output entries, by type code


def _output_kind(output: Json) -> str | None:
    for coding in (output.get("type") or {}).get("coding") or []:
        if coding.get("system") == TASK_PARAMETER_SYSTEM:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def moved_task(
    task: Json, state: BusinessStatus, at: str, actor: Actor, change: TaskChange
) -> Json:
    """A copy of `task` in `state` at instant `at`, with what `change` brings.

    Outputs replace those of the same kind (the profile allows one consult note and one care
    plan: a final note supersedes an interim one)."""
    moved = copy.deepcopy(task)
    moved["status"] = state.task_status
    moved["businessStatus"] = business_status_concept(state)
    moved["lastModified"] = at
    period = dict(moved.get("executionPeriod") or {})
    period.setdefault("start", at)
    if state.final:
        period["end"] = at
    moved["executionPeriod"] = period
    if change.status_reason is not None:
        moved["statusReason"] = change.status_reason
    elif change.clear_status_reason:
        moved.pop("statusReason", None)
    if change.note is not None:
        annotation = {"authorReference": actor.reference(task), "time": at, "text": change.note}
        moved["note"] = [*(moved.get("note") or []), annotation]
    if change.outputs:
        replaced = {_output_kind(output) for output in change.outputs}
        kept = [o for o in moved.get("output") or [] if _output_kind(o) not in replaced]
        moved["output"] = [*kept, *change.outputs]
    return moved
