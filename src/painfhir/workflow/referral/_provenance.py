"""The Provenance of one transition: who moved the referral, when, why, from which version of
the Task to which (https://hl7.org/fhir/R4/provenance.html)."""

from __future__ import annotations

from typing import Any

from painfhir.store import StoredVersion
from painfhir.workflow.referral._actor import Actor
from painfhir.workflow.referral._states import BUSINESS_STATUS_SYSTEM, BusinessStatus, Side

Json = dict[str, Any]
_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _version_reference(version: StoredVersion) -> Json:
    return {"reference": f"{version.reference}/_history/{version.version}"}


def _agent(actor: Actor, task: Json) -> Json:
    agent: Json = {
        "type": {"coding": [{"system": _PARTICIPANT_TYPE, "code": "author", "display": "Author"}]},
        "who": actor.reference(task),
    }
    party = task.get("owner" if actor.side is Side.CLINIC else "requester")
    if actor.who is not None and isinstance(party, dict) and party.get("reference") != actor.who:
        agent["onBehalfOf"] = party  # a clinician acting for the clinic, or for the referrer
    return agent


def transition_provenance(
    activity: str,
    state: BusinessStatus,
    actor: Actor,
    task: Json,
    previous: StoredVersion,
    written: list[StoredVersion],
    reason: Json | None,
    at: str,
) -> Json:
    """Provenance of a move (`activity`: `$accept`, or the plain write that made it) from
    the Task's version `previous` to `state`; its targets are the versions the move wrote,
    the Task's first."""
    provenance: Json = {
        "resourceType": "Provenance",
        "target": [_version_reference(version) for version in written],
        "recorded": at,
        "activity": {
            "coding": [
                {"system": BUSINESS_STATUS_SYSTEM, "code": state.value, "display": state.display}
            ],
            "text": activity,
        },
        "agent": [_agent(actor, task)],
        "entity": [{"role": "revision", "what": _version_reference(previous)}],
    }
    if reason is not None:
        provenance["reason"] = [reason]
    return provenance
