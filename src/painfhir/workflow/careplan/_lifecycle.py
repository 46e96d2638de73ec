"""A care plan's lifecycle carried to its requests. Clinicians move the CarePlan with plain
updates (PUT or PATCH; every revision is a version): when its status changes, its requests
follow in the same transaction — activated with the plan, completed or withdrawn with it.

| CarePlan becomes | a request that is | becomes |
|---|---|---|
| active | draft | active |
| completed | active | completed |
| completed, revoked | draft or on-hold | revoked (ServiceRequest) / cancelled (MedicationRequest) |
| revoked | active | revoked / stopped |
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
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
    if status == "active":
        return {"completed": "completed", "revoked": _STOPPED[res_type]}.get(plan_status)
    return None


def _previous_status(session: WriteSession, version: StoredVersion) -> str | None:
    before = session.version("CarePlan", version.res_id, version.version - 1)
    if before is None or before.content is None:
        return None
    status: str | None = parse_json(before.content).get("status")
    return status


def on_care_plan_written(
    session: WriteSession, version: StoredVersion, care_plan: Json
) -> list[Issue]:
    status = care_plan.get("status")
    if not isinstance(status, str) or status == _previous_status(session, version):
        return []
    moved = []
    for activity in care_plan.get("activity") or []:
        target = local_reference(activity.get("reference"))
        if target is None or target[0] not in _WITHDRAWN:
            continue
        stored = session.current(*target)
        if stored is None or stored.content is None:
            continue
        request: Json = parse_json(stored.content)
        new_status = request_status(status, target[0], str(request.get("status")))
        if new_status is not None:
            writes.update(session, target[1], {**request, "status": new_status})
            moved.append(f"{target[0]}/{target[1]} {new_status}")
    if not moved:
        return []
    return [Issue("information", "informational", f"CarePlan {status}: {', '.join(moved)}")]
