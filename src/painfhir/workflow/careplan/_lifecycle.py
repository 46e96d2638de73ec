"""A care plan's lifecycle carried to its requests. Clinicians move the CarePlan with plain
updates (PUT or PATCH; every revision is a version): when its status changes, its requests
follow in the same transaction — activated with the plan, withdrawn with it.

| CarePlan becomes | a request that is | becomes |
|---|---|---|
| active | draft | active (on-hold stays on hold: it waits for another request) |
| completed | active ServiceRequest | revoked, with a note: it was not performed |
| completed | active MedicationRequest | as is: the medicine outlives the plan |
| completed, revoked | draft or on-hold | revoked (ServiceRequest) / cancelled (MedicationRequest) |
| revoked | active | revoked / stopped |

Completing the plan never completes a request: only whoever performs it knows it was done,
and a request marked completed counts as therapy tried (opioid safety). An unperformed
procedure or therapy order is withdrawn so it leaves the worklists with the plan; a medicine
still active is left to its prescriber, since the patient may go on taking it after
discharge. Every request the plan withdraws gets a note saying why.

A plan lists its own patient's requests only: a write of a plan with an activity naming a
request stored here about another subject is refused (422, naming the activity).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError, Issue
from painfhir.interactions import writes
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.referral._lookup import local_reference

Json = dict[str, Any]

_WITHDRAWN = {"ServiceRequest": "revoked", "MedicationRequest": "cancelled"}
_STOPPED = {"ServiceRequest": "revoked", "MedicationRequest": "stopped"}


def request_status(plan_status: str, res_type: str, status: str) -> str | None:
    """The status a request of the plan takes when the plan becomes `plan_status` (None: as is)."""
    if plan_status == "active":
        return "active" if status == "draft" else None
    if plan_status in ("completed", "revoked") and status in ("draft", "on-hold"):
        return _WITHDRAWN[res_type]
    if status != "active":
        return None
    if plan_status == "revoked":
        return _STOPPED[res_type]
    if plan_status == "completed" and res_type == "ServiceRequest":
        return "revoked"
    return None


def _withdrawal_note(plan_id: str, plan_status: str, status: str) -> Json:
    if plan_status == "completed":
        text = f"Not performed: CarePlan/{plan_id} was completed while this request was {status}"
    else:
        text = f"Withdrawn: CarePlan/{plan_id} was revoked while this request was {status}"
    return {"text": text}


def previous_status(session: WriteSession, version: StoredVersion) -> str | None:
    """The status of the version before `version` (None: it is the first, or was deleted)."""
    before = session.version(version.res_type, version.res_id, version.version - 1)
    if before is None or before.content is None:
        return None
    status: str | None = parse_json(before.content).get("status")
    return status


def _foreign(care_plan: Json, index: int, reference: str, request: Json) -> FhirError:
    subject = (request.get("subject") or {}).get("reference") or "no subject"
    plan_subject = (care_plan.get("subject") or {}).get("reference")
    return FhirError.of(
        422,
        "business-rule",
        f"CarePlan.activity[{index}] names {reference}, which is about {subject}, not the "
        f"plan's subject {plan_subject}: a plan lists its own patient's requests only",
        f"CarePlan.activity[{index}].reference",
    )


def _requests(
    session: WriteSession, care_plan: Json, read: Callable[[str, str], StoredVersion | None]
) -> list[tuple[tuple[str, str], Json]]:
    """The ServiceRequests and MedicationRequests stored here that the plan's activities
    name, with their (type, id), each read with `read`.

    Each must be about the plan's subject (422 otherwise, naming the activity): the plan's
    status is carried to its requests, and a completed request releases the plan's others
    (`_sequence`), so a plan listing another patient's request would revoke that patient's
    order or stop their medicine. The plan is refused, rather than the request passed over
    when the status changes, so that no such plan is stored for anything that follows its
    activities to find."""
    plan_subject = local_reference(care_plan.get("subject"))
    found = []
    for index, activity in enumerate(care_plan.get("activity") or []):
        target = local_reference(activity.get("reference"))
        if target is None or target[0] not in _WITHDRAWN:
            continue
        stored = read(*target)
        if stored is None or stored.content is None:
            continue
        request: Json = parse_json(stored.content)
        if plan_subject is None or local_reference(request.get("subject")) != plan_subject:
            raise _foreign(care_plan, index, "/".join(target), request)
        found.append((target, request))
    return found


def on_care_plan_written(
    session: WriteSession, version: StoredVersion, care_plan: Json
) -> list[Issue]:
    status = care_plan.get("status")
    if not isinstance(status, str) or status == previous_status(session, version):
        # Checked only: read without the lock that requests about to be moved need.
        _requests(session, care_plan, session.look_up)
        return []
    moved = []
    for target, request in _requests(session, care_plan, session.current):
        new_status = request_status(status, target[0], str(request.get("status")))
        if new_status is None:
            if status == "completed" and request.get("status") == "active":
                moved.append(f"{target[0]}/{target[1]} left active for its prescriber")
            continue
        moved_request = {**request, "status": new_status}
        if status != "active":
            note = _withdrawal_note(version.res_id, status, str(request.get("status")))
            moved_request["note"] = [*request.get("note", []), note]
        writes.update(session, target[1], moved_request)
        moved.append(f"{target[0]}/{target[1]} {new_status}")
    if not moved:
        return []
    return [Issue("information", "informational", f"CarePlan {status}: {', '.join(moved)}")]
