"""The referral operations (`POST Task/{id}/$accept` …) as one write transaction each: the
Task's new version (checked against the version the client read), the writes that go with
the move (an Appointment, the ServiceRequest) and the Provenance of the transition.

Every one of those writes puts its outbox event in the same transaction, so the referring
EHR is told of each move: the Task's new version carries its new businessStatus.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError
from painfhir.interactions import writes
from painfhir.interactions._resources import check_version
from painfhir.store import StoredVersion, WriteSession
from painfhir.store._time import instant_text
from painfhir.validation.validator import write_refusal
from painfhir.workflow.referral import _steps as steps
from painfhir.workflow.referral._actor import Actor
from painfhir.workflow.referral._lookup import local_reference
from painfhir.workflow.referral._machine import (
    check_move,
    is_referral_task,
    moved_task,
    state_of,
)
from painfhir.workflow.referral._parameters import OperationInput
from painfhir.workflow.referral._provenance import transition_provenance
from painfhir.workflow.referral._states import MOVES, BusinessStatus

Json = dict[str, Any]

_STEPS: dict[str, tuple[Callable[[steps.MoveContext], steps.Step], frozenset[str]]] = {
    "accept": (steps.accept_referral, frozenset({"note"})),
    "decline": (steps.decline_referral, frozenset({"reason", "note"})),
    "schedule": (
        steps.schedule_consultation,
        frozenset({"start", "end", "practitioner", "appointment"}),
    ),
    "no-show": (steps.record_no_show, frozenset({"appointment", "note"})),
    "appointment-cancelled": (
        steps.record_appointment_cancelled,
        frozenset({"appointment", "reason"}),
    ),
    "interim-note": (steps.add_interim_note, frozenset({"note"})),
    "cancel-request": (steps.request_cancellation, frozenset({"reason"})),
    "confirm-cancel": (steps.confirm_cancellation, frozenset({"note"})),
    "refuse-cancel": (steps.refuse_cancellation, frozenset({"note"})),
    "complete": (steps.complete_referral, frozenset({"output", "note"})),
}
REFERRAL_OPERATIONS = tuple(_STEPS)
# Set while an operation writes: its Task version is checked and has its Provenance already,
# so the reaction to plain Task writes leaves it alone.
MOVE_UNDER_WAY: ContextVar[bool] = ContextVar("move_under_way", default=False)


@dataclass(frozen=True, slots=True)
class ReferralCall:
    """One referral operation as the client asked for it."""

    operation: str  # without the $
    task_id: str
    body: Any  # the Parameters resource, or None
    actor: Actor
    if_match: str | None = None
    consultation_minutes: int = 60
    lenient: bool = False


def _referral_task(session: WriteSession, call: ReferralCall) -> tuple[StoredVersion, Json]:
    current = session.current("Task", call.task_id)
    if current is None or current.content is None:
        status = 404 if current is None else 410
        raise FhirError.of(status, "not-found", f"Task/{call.task_id} is not here")
    check_version(current, call.if_match)
    task: Json = parse_json(current.content)
    if not is_referral_task(task):
        raise FhirError.of(
            422,
            "business-rule",
            f"Task/{call.task_id} is not a referral Task (code fulfill, focus a ServiceRequest)",
        )
    return current, task


def _checker(lenient: bool) -> Callable[[Json], Json]:
    def checked(resource: Json) -> Json:
        refusal = write_refusal(resource, lenient=lenient)
        if refusal is not None:
            raise refusal
        return resource

    return checked


def run_referral_operation(session: WriteSession, call: ReferralCall) -> StoredVersion:
    """Make the move `call` asks for, or refuse it (403, 409, 400, 422) having written nothing."""
    current, task = _referral_task(session, call)
    state = state_of(task)
    if state is None:
        raise FhirError.of(
            422,
            "business-rule",
            f"Task/{call.task_id} has no BSeR business status",
            "Task.businessStatus",
        )
    move = MOVES[call.operation]
    check_move(move, state, call.actor)
    plan, accepted = _STEPS[call.operation]
    focus = local_reference(task.get("focus"))
    assert focus is not None  # a referral Task's focus is a ServiceRequest
    context = steps.MoveContext(
        session=session,
        task_id=call.task_id,
        task=task,
        version=current.version,
        referral_id=focus[1],
        inputs=OperationInput.of(call.operation, call.body, accepted),
        consultation_minutes=call.consultation_minutes,
        checked=_checker(call.lenient),
    )
    step = plan(context)
    target: BusinessStatus = step.back_to or move.target
    at = instant_text(session.now)
    moved = context.checked(
        {**moved_task(task, target, at, call.actor, step.change), "id": call.task_id}
    )
    token = MOVE_UNDER_WAY.set(True)
    try:
        written = writes.update(session, call.task_id, moved, current.etag).version
    finally:
        MOVE_UNDER_WAY.reset(token)
    others = [follow_up(session) for follow_up in step.follow_ups]
    provenance = transition_provenance(
        f"${call.operation}", target, call.actor, task, current, [written, *others], step.reason, at
    )
    writes.create(session, provenance)
    return written
