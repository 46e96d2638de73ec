"""The clinic's side after the consultation, over HTTP: the MDT from PractitionerRoles, the
care plan from a shipped pathway (`PlanDefinition/{id}/$apply`) and an opioid prescription
with its warnings."""

from __future__ import annotations

import re
from typing import Any

from tests.workflow.referral.conftest import Party, parameter

Json = dict[str, Any]
NUCC = "http://nucc.org/provider-taxonomy"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLINIC = "Organization/painfhir-clinic"
OPIOID_FINDINGS = "http://painfhir.org/fhir/CodeSystem/opioid-safety-finding"
MDT_ROLES = {
    "pain physician": "207LP2900X",
    "physical therapist": "225100000X",
    "occupational therapist": "225X00000X",
    "psychologist": "103T00000X",
    "nurse": "163WP0000X",
    "care coordinator": "171M00000X",
}


def practitioner_role(clinic: Party, nucc: str) -> str:
    role = {
        "resourceType": "PractitionerRole",
        "active": True,
        "organization": {"reference": CLINIC},
        "code": [{"coding": [{"system": NUCC, "code": nucc}]}],
    }
    created = clinic.send("POST", "/PractitionerRole", role)
    assert created.status_code == 201, created.text
    return f"PractitionerRole/{created.json()['id']}"


def member(reference: str) -> Json:
    return parameter("member", valueReference={"reference": reference})


def assembled_team(clinic: Party, patient_id: str, condition: str) -> Json:
    """The MDT, one PractitionerRole per role; the coordinator given last, listed first."""
    roles = {name: practitioner_role(clinic, code) for name, code in MDT_ROLES.items()}
    response = clinic.send(
        "POST",
        f"/Patient/{patient_id}/$assemble-care-team",
        {
            "resourceType": "Parameters",
            "parameter": [
                *(member(reference) for reference in roles.values()),
                parameter("reason", valueReference={"reference": condition}),
            ],
        },
    )
    assert response.status_code == 201, response.text
    team: Json = response.json()
    coordinator = team["participant"][0]
    assert coordinator["member"]["reference"] == roles["care coordinator"]
    assert coordinator["role"][0]["coding"][0]["code"] == "171M00000X"
    by_role = {
        p["role"][0]["coding"][0]["code"]: p["member"]["reference"] for p in team["participant"]
    }
    assert by_role == {MDT_ROLES[name]: reference for name, reference in roles.items()}
    assert team["managingOrganization"] == [{"reference": CLINIC}]
    assert team["reasonReference"] == [{"reference": condition}]
    return team


def care_plan(clinic: Party, patient_id: str, team_id: str, referral: str, pathway: str) -> str:
    """The draft CarePlan `$apply` makes from the shipped pathway."""
    applied = clinic.send(
        "POST",
        f"/PlanDefinition/{pathway}/$apply",
        {
            "resourceType": "Parameters",
            "parameter": [
                parameter("subject", valueReference={"reference": f"Patient/{patient_id}"}),
                parameter("careTeam", valueReference={"reference": f"CareTeam/{team_id}"}),
                parameter("referral", valueReference={"reference": referral}),
            ],
        },
    )
    assert applied.status_code == 201, applied.text
    plan: Json = applied.json()
    assert plan["resourceType"] == "CarePlan" and plan["status"] == "draft"
    assert plan["careTeam"] == [{"reference": f"CareTeam/{team_id}"}]
    assert plan["instantiatesCanonical"][0].endswith(f"/PlanDefinition/{pathway}")
    assert plan["subject"] == {"reference": f"Patient/{patient_id}"}
    return f"CarePlan/{plan['id']}"


def oxycodone(patient_id: str, tablets: int, times_a_day: int) -> Json:
    """Oxycodone 10 mg tablets (RxNorm 1049683) for 30 days."""
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1049683"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": times_a_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": tablets, "unit": "tablet"}}],
            }
        ],
        "dispenseRequest": {
            "expectedSupplyDuration": {
                "value": 30, "unit": "d", "system": "http://unitsofmeasure.org", "code": "d"
            }
        },
    }  # fmt: skip


def prescribed_with_warnings(clinic: Party, patient_id: str) -> Json:
    """An opioid at 60 MME/d, with no naloxone and no PDMP review on file: the answer links
    the DetectedIssue that holds those warnings — and no other, since the care plan's
    non-opioid therapies are planned (docs/opioid-safety.md)."""
    created = clinic.send("POST", "/MedicationRequest", oxycodone(patient_id, 1, 4))
    assert created.status_code == 201, created.text
    linked = re.findall(r"/(DetectedIssue/[^/>]+)/_history/\d+>", created.headers.get("link", ""))
    assert len(linked) == 1, created.headers
    issue = clinic.get(f"/{linked[0]}")
    assert issue["implicated"][0]["reference"] == f"MedicationRequest/{created.json()['id']}"
    assert "60 MME/d" in issue["detail"]
    warnings = {
        coding["code"]
        for evidence in issue["evidence"]
        for concept in evidence["code"]
        for coding in concept["coding"]
        if coding["system"] == OPIOID_FINDINGS
    }
    assert warnings == {"mme-50", "no-naloxone", "no-pdmp-review"}
    mme = clinic.get(f"/Patient/{patient_id}/$mme")
    total = next(p for p in mme["parameter"] if p["name"] == "total")
    assert total["valueQuantity"]["value"] == 60
    return issue
