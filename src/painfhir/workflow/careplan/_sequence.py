"""Requests that must wait for another: a pathway action with a `relatedAction` `after-end`
(radiofrequency ablation after the medial branch block) is written `on-hold`, its
prerequisite in `supportingInfo` (`supportingInformation` for a MedicationRequest) and a
note naming it, so activating the plan leaves it on hold. When every prerequisite of the
plan it names is completed, `on_request_completed` releases it (on-hold → active) in the
same transaction. The other relationships (before, concurrent, after-start) order nothing
here: they do not make one request wait for another to be done.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.interactions import writes
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.careplan._lifecycle import previous_status
from painfhir.workflow.referral._lookup import local_reference

Json = dict[str, Any]

# where a request names what it waits for
_PREREQUISITES = {"ServiceRequest": "supportingInfo", "MedicationRequest": "supportingInformation"}


def _reference(request: Json, title: str) -> Json:
    return {"reference": f"{request['resourceType']}/{request['id']}", "display": title}


def _waits_for(action: Json) -> list[str]:
    return [
        str(related.get("actionId"))
        for related in action.get("relatedAction") or []
        if related.get("relationship") == "after-end"
    ]


def _hold(request: Json, prerequisite: Json | None, title: str) -> None:
    request["status"] = "on-hold"
    if prerequisite is None:
        text = (
            f"On hold: the pathway does this after '{title}', not in this plan; "
            "a clinician releases it"
        )
    else:
        field = _PREREQUISITES[request["resourceType"]]
        request[field] = [*request.get(field, []), _reference(prerequisite, title)]
        text = (
            f"On hold until '{title}' ({prerequisite['resourceType']}/{prerequisite['id']}) "
            "is completed: the pathway does this after it"
        )
    request["note"] = [*request.get("note", []), {"text": text}]


def hold_dependents(done: list[tuple[Json, Json]], titles: dict[str, str]) -> None:
    """Put on hold each request whose action comes after the end of another. `done` pairs
    each applied action with its request; `titles` names every action of the pathway by id."""
    by_action = {str(action.get("id")): request for action, request in done}
    for action, request in done:
        for action_id in _waits_for(action):
            _hold(request, by_action.get(action_id), titles.get(action_id, action_id))


def _plan_requests(session: WriteSession, care_plan: Json) -> dict[str, Json]:
    """The plan's requests, current versions, by relative reference."""
    requests = {}
    for activity in care_plan.get("activity") or []:
        target = local_reference(activity.get("reference"))
        if target is None or target[0] not in _PREREQUISITES:
            continue
        stored = session.current(*target)
        if stored is not None and stored.content is not None:
            requests[f"{target[0]}/{target[1]}"] = parse_json(stored.content)
    return requests


def _prerequisites(request: Json, of_plan: dict[str, Json]) -> list[str]:
    """What `request` waits for among the plan's requests (other supporting information is
    no prerequisite)."""
    named = request.get(_PREREQUISITES[str(request.get("resourceType"))]) or []
    return [str(r.get("reference")) for r in named if r.get("reference") in of_plan]


def _release_in(session: WriteSession, care_plan: Json, done: str) -> list[str]:
    requests = _plan_requests(session, care_plan)
    released = []
    for reference, request in requests.items():
        prerequisites = _prerequisites(request, requests)
        if request.get("status") != "on-hold" or done not in prerequisites:
            continue
        if all(requests[r].get("status") == "completed" for r in prerequisites):
            note = {"text": f"Released: {', '.join(prerequisites)} completed"}
            notes = [*request.get("note", []), note]
            writes.update(
                session, reference.partition("/")[2], {**request, "status": "active", "note": notes}
            )
            released.append(reference)
    return released


def on_request_completed(
    session: WriteSession, version: StoredVersion, request: Json
) -> list[Issue]:
    """Release the requests of an active plan that waited for this one to be completed."""
    if request.get("status") != "completed" or previous_status(session, version) == "completed":
        return []
    done = f"{version.res_type}/{version.res_id}"
    released = []
    for based_on in request.get("basedOn") or []:
        target = local_reference(based_on)
        if target is None or target[0] != "CarePlan":
            continue
        stored = session.current(*target)
        if stored is None or stored.content is None:
            continue
        care_plan: Json = parse_json(stored.content)
        if care_plan.get("status") == "active":  # a plan on hold or ended starts nothing
            released += _release_in(session, care_plan, done)
    if not released:
        return []
    return [
        Issue("information", "informational", f"{done} completed: {', '.join(released)} active")
    ]
