"""Plain writes of a referral Task — a create, update or patch instead of an operation; an
HL7 v2 REF^I14 asks for 5.2 this way — held to what the operations are held to:

- a referral Task stays one, with a BSeR business status: a write may not take away its
  code, its focus or its businessStatus, nor give it a code TaskBusinessStatusCS does not
  have (422) — a Task in no state we know would escape every check of the next write;
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
from painfhir.workflow.referral._arrival import REFERRAL_TASK_PROFILE
from painfhir.workflow.referral._machine import (
    check_move,
    is_referral_task,
    state_of,
    transition_refusal,
)
from painfhir.workflow.referral._operations import MOVE_UNDER_WAY
from painfhir.workflow.referral._provenance import transition_provenance
from painfhir.workflow.referral._states import (
    BUSINESS_STATUS_SYSTEM,
    MOVES,
    BusinessStatus,
    Move,
    may_follow,
)
from painfhir.workflow.referral._task_history import (
    before_cancellation_request,
    last_state,
    task_version,
)

Json = dict[str, Any]
_BY_OPERATION_ONLY = frozenset({"decline", "interim-note", "confirm-cancel", "complete"})


def _referral_version(task: Json | None) -> bool:
    """A version of a referral Task: the referral's shape (code `fulfill`, focus a
    ServiceRequest) with a BSeR business status or the referral Task profile. A `fulfill`
    Task of another order (a care plan's therapy request) has neither and is left alone;
    a referral Task without the profile is recognised by its business status."""
    if task is None or not is_referral_task(task):
        return False
    if REFERRAL_TASK_PROFILE in ((task.get("meta") or {}).get("profile") or []):
        return True
    codings = (task.get("businessStatus") or {}).get("coding") or []
    return any(coding.get("system") == BUSINESS_STATUS_SYSTEM for coding in codings)


def _no_longer_referral(task_id: str) -> FhirError:
    return FhirError.of(
        422,
        "business-rule",
        f"Task/{task_id} is a referral Task: a plain write must keep its code (fulfill) and "
        "its focus (a ServiceRequest)",
        "Task.code",
    )


def _unknown_state(task: Json) -> FhirError:
    codes = [c.get("code") for c in (task.get("businessStatus") or {}).get("coding") or []]
    given = ", ".join(repr(code) for code in codes) if codes else "none"
    return FhirError.of(
        422,
        "business-rule",
        f"A referral Task's businessStatus must be a code of {BUSINESS_STATUS_SYSTEM} "
        f"(2.0 … 7.0; STU1's 5.4 and 5.x are understood): {given} is not",
        "Task.businessStatus",
    )


def _state_before(session: WriteSession, version: StoredVersion, before: Json) -> BusinessStatus:
    """The state the Task was in: its previous version's or, when that has none we know (a
    version stored before plain writes had to keep one, or a Task only now becoming a
    referral's), the latest earlier one's — else 2.0, where every referral starts."""
    return (
        state_of(before)
        or last_state(session, version.res_id, version.version - 1)
        or BusinessStatus.RECEIVED
    )


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
    if MOVE_UNDER_WAY.get():
        return []
    first = version.version == 1
    before = None if first else task_version(session, version.res_id, version.version - 1)
    was_referral = _referral_version(before)
    if not (was_referral or _referral_version(resource)):
        return []
    if was_referral and not is_referral_task(resource):
        raise _no_longer_referral(version.res_id)
    was = None if before is None else _state_before(session, version, before)
    now = state_of(resource, was)
    if now is None:
        raise _unknown_state(resource)
    refused = _status_refusal(resource, now)
    if refused is not None:
        raise refused
    if was is None or now is was:
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
