"""Plain writes of a referral Task — a create, update or patch instead of an operation; an
HL7 v2 REF^I14 asks for 5.2 this way — held to what the operations are held to:

- Task.status goes with businessStatus (422), on every write;
- a change of businessStatus is a move the state allows (409), made by its side (403): the
  actor is the one the request claims, as for an operation, and is the Provenance's agent;
- the moves whose operation needs more than the new state — a reason (4.0), a consult note
  (5.1.4, 7.0), the referral ServiceRequest revoked or completed (6.0, 7.0) — are made by
  their operation only (422, naming it), so that there is one place that checks and records
  what they need.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import FhirError, Issue
from painfhir.interactions import writes
from painfhir.store import StoredVersion, WriteSession
from painfhir.store._time import instant_text
from painfhir.workflow.referral._actor import acting_actor
from painfhir.workflow.referral._machine import (
    check_move,
    is_referral_task,
    state_of,
    transition_refusal,
)
from painfhir.workflow.referral._operations import MOVE_UNDER_WAY
from painfhir.workflow.referral._provenance import transition_provenance
from painfhir.workflow.referral._states import MOVES, BusinessStatus, Move, may_follow
from painfhir.workflow.referral._task_history import before_cancellation_request, task_version

Json = dict[str, Any]
_BY_OPERATION_ONLY = frozenset({"decline", "interim-note", "confirm-cancel", "complete"})


def _status_refusal(task: Json, state: BusinessStatus) -> FhirError | None:
    if task.get("status") == state.task_status:
        return None
    return FhirError.of(
        422,
        "business-rule",
        f"Task.status {task.get('status')!r} does not go with businessStatus {state.value} "
        f"({state.display}): a referral Task in {state.value} is {state.task_status!r}",
        "Task.status",
    )


def _plain_move(
    session: WriteSession, task_id: str, was: BusinessStatus, now: BusinessStatus, version: int
) -> Move:
    """The move a plain write from `was` to `now` makes, or the 409 refusing it."""
    if may_follow(was, now):
        return next(m for m in MOVES.values() if m.target is now and not m.back)
    if was is BusinessStatus.CANCELLATION_REQUESTED:
        before = before_cancellation_request(session, task_id, version - 1)
        if before is not None and state_of(before) is now:
            return MOVES["refuse-cancel"]
    raise transition_refusal(was, now)


def _operation_only(move: Move, task_id: str) -> FhirError:
    return FhirError.of(
        422,
        "business-rule",
        f"Business status {move.target.value} ({move.target.display}) is reached with "
        f"POST Task/{task_id}/${move.operation}, which checks and records what the move needs; "
        "a plain write cannot make it",
        "Task.businessStatus",
    )


def on_task_written(session: WriteSession, version: StoredVersion, resource: Json) -> list[Issue]:
    """Refuse a plain write that puts a referral Task where no operation could (or where
    only an operation may), and record the Provenance of a move that may be made."""
    if MOVE_UNDER_WAY.get() or not is_referral_task(resource):
        return []
    first = version.version == 1
    before = None if first else task_version(session, version.res_id, version.version - 1)
    was = state_of(before) if before is not None else None
    now = state_of(resource, was)
    refused = _status_refusal(resource, now) if now is not None else None
    if refused is not None:
        raise refused
    if was is None or now is None or now is was:
        return []
    move = _plain_move(session, version.res_id, was, now, version.version)
    actor = acting_actor()
    check_move(move, was, actor)
    if move.operation in _BY_OPERATION_ONLY:
        raise _operation_only(move, version.res_id)
    previous = session.version("Task", version.res_id, version.version - 1)
    assert previous is not None  # read just above
    activity = f"{version.method} {version.reference}"
    reason = resource.get("statusReason")
    at = instant_text(session.now)
    provenance = transition_provenance(
        activity, now, actor, resource, previous, [version], reason, at
    )
    writes.create(session, provenance)
    return []
