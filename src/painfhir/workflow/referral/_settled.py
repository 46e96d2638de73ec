"""A settled referral stays settled: once its referral Task is final (7.0 completed, 6.0
cancelled, 4.0 declined), an update of the referral ServiceRequest keeps its final status.

The HL7 v2 and FHIR-dialect mappings put the whole ServiceRequest, status `active`, with
every message — a resent or late REF^I12 too — while the Task, created only when none
exists, keeps the clinic's outcome. Without this the resend would put the referral back to
`active` beside a completed Task, undoing `$complete` or `$confirm-cancel` unseen. The rest
of what the sender sent (notes, reasons, supportingInfo) is stored; only the status is kept,
and an information issue says so. Refusing the write would lose that — and, for a message,
everything else it carried — so the status alone is held back.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.referral._machine import state_of
from painfhir.workflow.referral._reactions import tracking_tasks

Json = dict[str, Any]
# The ServiceRequest statuses that end a referral ($complete, $confirm-cancel, a correction),
# and those that would reopen it.
_SETTLED = frozenset({"completed", "revoked", "entered-in-error"})
_REOPENING = frozenset({"draft", "active", "on-hold"})


def _settling_task(session: WriteSession, request_id: str) -> tuple[str, str] | None:
    """(Task id, its final state's code and display) of a final referral Task of the request."""
    for task in tracking_tasks(session, request_id):
        state = state_of(task)
        if state is not None and state.final:
            return task["id"], f"{state.value} ({state.display})"
    return None


def keep_settled_status(
    session: WriteSession, current: StoredVersion, resource: Json
) -> tuple[Json, list[Issue]]:
    """The update with the stored final status, if it would reopen a settled referral."""
    assert current.content is not None  # only live versions are amended
    settled = parse_json(current.content).get("status")
    sent = resource.get("status")
    if settled not in _SETTLED or sent not in _REOPENING:
        return resource, []
    settling = _settling_task(session, current.res_id)
    if settling is None:
        return resource, []
    task_id, state = settling
    kept = Issue(
        "information",
        "business-rule",
        f"ServiceRequest/{current.res_id} stays {settled!r}, not {sent!r}: its referral "
        f"Task/{task_id} is final at {state}; the update's other changes are stored",
        "ServiceRequest.status",
    )
    return {**resource, "status": settled}, [kept]
