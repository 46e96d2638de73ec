"""Who in the patient's MDT carries out an activity: the CareTeam participant whose NUCC role
is the one the ActivityDefinition names, or failing that one of the same discipline (any pain
medicine physician for a procedure; a registered nurse for a pain management nurse)."""

from __future__ import annotations

from typing import Any

from painfhir.workflow.careplan._codes import NUCC

Json = dict[str, Any]

_DISCIPLINES = (
    # pain medicine physicians: anesthesiology, PM&R, pain medicine, interventional
    frozenset({"207LP2900X", "2081P2900X", "208VP0000X", "208VP0014X"}),
    frozenset({"163W00000X", "163WP0000X"}),  # registered nurses
)
PAIN_PHYSICIAN = "208VP0000X"


def nucc_codes(concept: Any) -> list[str]:
    """The NUCC codes of a CodeableConcept."""
    if not isinstance(concept, dict):
        return []
    return [
        coding["code"]
        for coding in concept.get("coding") or []
        if coding.get("system") == NUCC and isinstance(coding.get("code"), str)
    ]


def _discipline(role: str) -> frozenset[str]:
    return next((codes for codes in _DISCIPLINES if role in codes), frozenset({role}))


def _participant_roles(participant: Json) -> set[str]:
    return {code for concept in participant.get("role") or [] for code in nucc_codes(concept)}


def _members(care_team: Json, roles: frozenset[str], today: str) -> list[Json]:
    """Members holding one of `roles` whose participation has not ended."""
    return [
        participant["member"]
        for participant in care_team.get("participant") or []
        if isinstance(participant.get("member"), dict)
        and _participant_roles(participant) & roles
        and str((participant.get("period") or {}).get("end", "9999"))[:10] >= today
    ]


def team_member(care_team: Json, role: str, today: str) -> Json | None:
    """The member Reference to perform an activity of `role`, or None when no one has it."""
    exact = _members(care_team, frozenset({role}), today)
    found = exact or _members(care_team, _discipline(role), today)
    if not found:
        return None
    member = found[0]
    return {key: member[key] for key in ("reference", "display") if key in member}
