"""`Patient/{id}/$assemble-care-team`: the patient's MDT from the clinic's PractitionerRoles,
in one transaction. Each member's role is the MDT role its PractitionerRole holds; the
managing care coordinator is listed first; the team is managed by the clinic. A patient has
one active pain MDT: assembling again revises it (a new version) rather than adding a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError
from painfhir.interactions import writes
from painfhir.search.query import parse_query
from painfhir.store import WriteSession
from painfhir.validation.validator import write_refusal
from painfhir.workflow.careteam._checks import PAIN_CARE_TEAM
from painfhir.workflow.careteam._roles import CARE_COORDINATOR, role_concept, team_role_of
from painfhir.workflow.referral import OperationInput

Json = dict[str, Any]
PARAMETERS = frozenset({"member", "coordinator", "reason", "name"})
CONDITION_FOCUSED = {
    "coding": [
        {
            "system": "http://loinc.org",
            "code": "LA27978-8",
            "display": "Condition-focused care team",
        }
    ]
}


@dataclass(frozen=True, slots=True)
class AssembleCall:
    patient_id: str
    body: Any
    clinic: str  # "Organization/{id}": the managing organization


@dataclass(frozen=True, slots=True)
class _Member:
    reference: Json
    role: str


def _member(session: WriteSession, reference: Json) -> _Member:
    target = reference.get("reference", "")
    if not target.startswith("PractitionerRole/"):
        raise FhirError.of(400, "invalid", f"A member is a PractitionerRole, not {target!r}")
    stored = session.current("PractitionerRole", target.removeprefix("PractitionerRole/"))
    if stored is None or stored.content is None:
        raise FhirError.of(422, "not-found", f"{target} is not here")
    role = team_role_of(parse_json(stored.content))
    if role is None:
        raise FhirError.of(
            422, "business-rule", f"{target} holds no MDT role (NUCC, docs/workflow.md)"
        )
    return _Member(reference, role)


def _members_coordinator_first(members: list[_Member], chosen: Json | None) -> list[_Member]:
    coordinators = [m for m in members if m.role == CARE_COORDINATOR]
    if chosen is not None:
        coordinators = [
            m for m in members if m.reference.get("reference") == chosen.get("reference")
        ]
        if not coordinators or coordinators[0].role != CARE_COORDINATOR:
            raise FhirError.of(
                422,
                "business-rule",
                "The coordinator must be a member who is a care coordinator (171M00000X)",
            )
    if not coordinators:
        raise FhirError.of(
            422, "business-rule", "The MDT needs a care coordinator (171M00000X) among its members"
        )
    if len({m.reference.get("reference") for m in coordinators}) > 1:
        raise FhirError.of(
            400,
            "required",
            "Several members are care coordinators: say which manages the team with 'coordinator'",
        )
    lead = coordinators[0]
    return [lead, *(m for m in members if m is not lead)]


def _current_team(session: WriteSession, patient: str) -> Json | None:
    query = parse_query(
        "CareTeam",
        [("subject", patient), ("status", "active"), ("_profile", PAIN_CARE_TEAM)],
        strict=True,
    )
    found = session.search(query)
    teams = [parse_json(version.content) for version in found.matches if version.content]
    return teams[0] if teams else None


def _team(call: AssembleCall, members: list[_Member], inputs: OperationInput, today: str) -> Json:
    patient = f"Patient/{call.patient_id}"
    team: Json = {
        "resourceType": "CareTeam",
        "meta": {"profile": [PAIN_CARE_TEAM]},
        "status": "active",
        "category": [CONDITION_FOCUSED],
        "name": inputs.text("name") or "Chronic pain MDT",
        "subject": {"reference": patient},
        "period": {"start": today},
        "participant": [
            {"role": [role_concept(m.role)], "member": m.reference, "period": {"start": today}}
            for m in members
        ],
    }
    reasons = inputs.references("reason")
    if reasons:
        team["reasonReference"] = reasons
    team["managingOrganization"] = [{"reference": call.clinic}]
    return team


def _kept_history(team: Json, current: Json | None) -> Json:
    """A revision keeps the team's id and start, and each continuing member's start."""
    if current is None:
        return team
    started = {
        (p.get("member") or {}).get("reference"): p.get("period")
        for p in current.get("participant") or []
    }
    for participant in team["participant"]:
        participant["period"] = (
            started.get(participant["member"].get("reference")) or participant["period"]
        )
    return {**team, "id": current["id"], "period": current.get("period") or team["period"]}


def assemble_care_team(session: WriteSession, call: AssembleCall) -> writes.Written:
    patient = session.current("Patient", call.patient_id)
    if patient is None or patient.content is None:
        status = 404 if patient is None else 410
        raise FhirError.of(status, "not-found", f"Patient/{call.patient_id} is not here")
    inputs = OperationInput.of("assemble-care-team", call.body, PARAMETERS)
    references = inputs.references("member")
    if not references:
        raise FhirError.of(400, "required", "$assemble-care-team needs at least one 'member'")
    members = _members_coordinator_first(
        [_member(session, reference) for reference in references], inputs.reference("coordinator")
    )
    current = _current_team(session, f"Patient/{call.patient_id}")
    team = _kept_history(_team(call, members, inputs, session.now.date().isoformat()), current)
    refusal = write_refusal(team)
    if refusal is not None:
        raise FhirError(422, refusal.issues)
    if current is None:
        return writes.create(session, team)
    return writes.update(session, current["id"], team)
