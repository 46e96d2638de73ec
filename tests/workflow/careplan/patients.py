"""A patient with chronic pain Conditions and an MDT, as stored, for the care plan tests."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

SNOMED = "http://snomed.info/sct"
NUCC = "http://nucc.org/provider-taxonomy"
ROLES = {
    "207LP2900X": "PractitionerRole/okonkwo-pain",
    "225100000X": "PractitionerRole/delgado-pt",
    "225X00000X": "PractitionerRole/mbeki-ot",
    "103T00000X": "PractitionerRole/halvorsen-psych",
    "171M00000X": "PractitionerRole/yazzie-coordinator",
}


def patient(patient_id: str) -> Json:
    return {"resourceType": "Patient", "id": patient_id, "name": [{"family": "Lindqvist"}]}


def condition(condition_id: str, patient_id: str, code: str, display: str) -> Json:
    return {
        "resourceType": "Condition",
        "id": condition_id,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "onsetDateTime": "2024-01",
    }


def care_team(team_id: str, patient_id: str, roles: dict[str, str] = ROLES) -> Json:
    return {
        "resourceType": "CareTeam",
        "id": team_id,
        "meta": {"profile": ["http://painfhir.org/fhir/StructureDefinition/pain-care-team"]},
        "status": "active",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LA27978-8"}]}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "participant": [
            {"role": [{"coding": [{"system": NUCC, "code": code}]}], "member": {"reference": ref}}
            for code, ref in roles.items()
        ],
    }


def practitioner_roles(roles: dict[str, str] = ROLES) -> list[Json]:
    """The MDT's PractitionerRoles, which a stored CareTeam's members must be."""
    return [
        {
            "resourceType": "PractitionerRole",
            "id": reference.partition("/")[2],
            "active": True,
            "code": [{"coding": [{"system": NUCC, "code": code}]}],
        }
        for code, reference in roles.items()
    ]
