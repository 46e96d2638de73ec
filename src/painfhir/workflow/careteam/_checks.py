"""The write reaction of CareTeam: a team that claims the pain-care-team profile is held to
what its members are. Each participant whose member is a PractitionerRole must name one stored
here that holds the participant's role; otherwise the write is refused (422) — the profile
alone cannot see the member's own codes. An active team without a care coordinator, or not
managed by an organization, is accepted with a warning."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError, Issue
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.careteam._roles import (
    managing_coordinator,
    nucc_codes,
    participant_role,
)

Json = dict[str, Any]
PAIN_CARE_TEAM = "http://painfhir.org/fhir/StructureDefinition/pain-care-team"


def _member_problem(session: WriteSession, index: int, participant: Json) -> Issue | None:
    reference = (participant.get("member") or {}).get("reference")
    if not isinstance(reference, str) or not reference.startswith("PractitionerRole/"):
        return None
    where = f"CareTeam.participant[{index}].member"
    stored = session.current("PractitionerRole", reference.removeprefix("PractitionerRole/"))
    if stored is None or stored.content is None:
        return Issue("error", "not-found", f"{reference} is not here", where)
    role = participant_role(participant)
    held = nucc_codes(parse_json(stored.content).get("code") or [])
    if role not in held:
        holds = ", ".join(held) or "no NUCC code"
        return Issue("error", "business-rule", f"{reference} holds {holds}, not {role}", where)
    return None


def _team_warnings(care_team: Json) -> list[Issue]:
    if care_team.get("status") != "active":
        return []
    warnings = []
    if managing_coordinator(care_team) is None:
        warnings.append(
            Issue("warning", "business-rule", "The MDT has no care coordinator (171M00000X)")
        )
    if not care_team.get("managingOrganization"):
        warnings.append(Issue("warning", "business-rule", "The MDT has no managingOrganization"))
    return warnings


def check_care_team(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    """The write reaction of CareTeam (see painfhir.interactions.reactions)."""
    if PAIN_CARE_TEAM not in (resource.get("meta") or {}).get("profile", []):
        return []
    participants = resource.get("participant") or []
    problems = [_member_problem(session, i, p) for i, p in enumerate(participants)]
    errors = [problem for problem in problems if problem is not None]
    if errors:
        raise FhirError(422, errors)
    return _team_warnings(resource)
