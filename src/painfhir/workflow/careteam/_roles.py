"""The MDT's roles (NUCC provider taxonomy, the pain-care-team-roles value set) and the rules
about them, pure: which code a PractitionerRole holds, and who is the managing coordinator."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
NUCC = "http://nucc.org/provider-taxonomy"
CARE_COORDINATOR = "171M00000X"
PAIN_PHYSICIANS = frozenset({"207LP2900X", "2081P2900X", "208VP0000X", "208VP0014X"})
TEAM_ROLES = {
    "207LP2900X": "Pain Medicine (Anesthesiology) Physician",
    "2081P2900X": "Pain Medicine (Physical Medicine & Rehabilitation) Physician",
    "208VP0000X": "Pain Medicine Physician",
    "208VP0014X": "Interventional Pain Medicine Physician",
    "225100000X": "Physical Therapist",
    "225X00000X": "Occupational Therapist",
    "103T00000X": "Psychologist",
    "163W00000X": "Registered Nurse",
    "163WP0000X": "Pain Management Registered Nurse",
    CARE_COORDINATOR: "Case Manager/Care Coordinator",
}


def nucc_codes(concepts: list[Json]) -> list[str]:
    return [
        coding["code"]
        for concept in concepts
        for coding in concept.get("coding") or []
        if coding.get("system") == NUCC and isinstance(coding.get("code"), str)
    ]


def team_role_of(practitioner_role: Json) -> str | None:
    """The first MDT role among a PractitionerRole's codes."""
    return next(
        (c for c in nucc_codes(practitioner_role.get("code") or []) if c in TEAM_ROLES), None
    )


def role_concept(code: str) -> Json:
    return {"coding": [{"system": NUCC, "code": code, "display": TEAM_ROLES[code]}]}


def participant_role(participant: Json) -> str | None:
    return next(iter(nucc_codes(participant.get("role") or [])), None)


def managing_coordinator(care_team: Json) -> Json | None:
    """The participant who manages the team: its first care coordinator (171M00000X) —
    `$assemble-care-team` lists the chosen coordinator first."""
    return next(
        (p for p in care_team.get("participant") or [] if participant_role(p) == CARE_COORDINATOR),
        None,
    )
