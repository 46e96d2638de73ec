"""The consultation's and the MDT's own rules over HTTP: the shipped questionnaires are
there once, responses that cannot be scored are kept unscored, a withdrawn response withdraws
its scores, and a CareTeam is held to its members' roles — refused whole, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningServer
from tests.e2e import care, consultation
from tests.workflow.referral.conftest import Party, outcome_text, parameter

pytestmark = pytest.mark.e2e
Json = dict[str, Any]
OUTCOME = {"Prefer": "return=OperationOutcome"}


def _patient(party: Party, gender: str = "female") -> str:
    created = party.send("POST", "/Patient", {"resourceType": "Patient", "gender": gender})
    assert created.status_code == 201, created.text
    return f"Patient/{created.json()['id']}"


def test_the_questionnaires_are_installed_once_with_fixed_ids(clinic: Party) -> None:
    for questionnaire_id in ("peg", "phq-9", "gad-7", "opioid-risk-tool", "pain-impact"):
        questionnaire = clinic.get(f"/Questionnaire/{questionnaire_id}")
        assert questionnaire["meta"]["versionId"] == "1"
    peg = clinic.get("/Questionnaire?url=http://painfhir.org/fhir/Questionnaire/peg")
    assert len(peg["entry"]) == 1


def test_an_incomplete_response_is_kept_and_not_scored(clinic: Party) -> None:
    patient = _patient(clinic)
    partial = consultation.response("peg", patient, [consultation.integer("75893-8", 5)])
    answered = clinic.send("POST", "/QuestionnaireResponse", partial, **OUTCOME)
    assert answered.status_code == 201
    assert "Not scored: peg item 91145-3" in outcome_text(answered)
    location = answered.headers["location"].split("/")
    assert consultation.derived(clinic, location[-3]) == {}


def test_a_withdrawn_response_withdraws_its_score(clinic: Party) -> None:
    patient = _patient(clinic, "male")
    said = consultation.opioid_risk_tool(patient, "family-alcohol", "age-16-45")
    stored = consultation.stored(clinic, said)
    (score,) = consultation.derived(clinic, stored["id"]).values()
    assert (score["valueInteger"], score["status"]) == (4, "final")  # male weight for alcohol
    withdrawn = {**stored, "status": "entered-in-error"}
    assert (
        clinic.send("PUT", f"/QuestionnaireResponse/{stored['id']}", withdrawn).status_code == 200
    )
    (again,) = consultation.derived(clinic, stored["id"]).values()
    assert again["status"] == "entered-in-error"


def test_assembling_again_revises_the_team(clinic: Party) -> None:
    patient_id = _patient(clinic).removeprefix("Patient/")
    condition = consultation.stored(
        clinic,
        consultation.chronic_pain_condition(f"Patient/{patient_id}", "82423001", "Chronic pain"),
    )
    team = care.assembled_team(clinic, patient_id, f"Condition/{condition['id']}")
    psychologist = care.practitioner_role(clinic, "103T00000X")
    members = [p["member"]["reference"] for p in team["participant"]]
    revised = _assemble(clinic, patient_id, *members, psychologist)
    assert revised.status_code == 200, revised.text
    assert revised.json()["id"] == team["id"]
    assert revised.json()["meta"]["versionId"] == "2"
    assert len(revised.json()["participant"]) == 7


def _assemble(clinic: Party, patient_id: str, *members: str, **more: str) -> Any:
    parameters = [care.member(reference) for reference in members]
    parameters += [parameter(name, valueReference={"reference": ref}) for name, ref in more.items()]
    body = {"resourceType": "Parameters", "parameter": parameters}
    return clinic.send("POST", f"/Patient/{patient_id}/$assemble-care-team", body)


@pytest.mark.parametrize(
    ("roles", "status", "problem"),
    [
        pytest.param(
            ("207LP2900X", "225100000X"), 422, "needs a care coordinator", id="no coordinator"
        ),
        pytest.param(
            ("225100000X", "171M00000X"), 422, "mdt-1", id="no pain physician (the profile)"
        ),
        pytest.param(
            ("207LP2900X", "171M00000X", "171M00000X"),
            400,
            "say which manages the team",
            id="two coordinators, none chosen",
        ),
        pytest.param(("207LP2900X", "171M00000X", "261QP3300X"), 422, "no MDT role", id="pharmacy"),
    ],
)
def test_a_team_that_cannot_be_assembled(
    server_counts: Any, clinic: Party, roles: tuple[str, ...], status: int, problem: str
) -> None:
    patient_id = _patient(clinic).removeprefix("Patient/")
    members = [care.practitioner_role(clinic, code) for code in roles]
    before = server_counts()
    refused = _assemble(clinic, patient_id, *members)
    assert refused.status_code == status, refused.text
    assert problem in outcome_text(refused)
    assert server_counts() == before  # nothing written


def test_a_care_team_whose_member_does_not_hold_the_role_is_refused(clinic: Party) -> None:
    patient = _patient(clinic)
    therapist = care.practitioner_role(clinic, "225100000X")
    team = {
        "resourceType": "CareTeam",
        "meta": {"profile": ["http://painfhir.org/fhir/StructureDefinition/pain-care-team"]},
        "status": "proposed",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LA27978-8"}]}],
        "subject": {"reference": patient},
        "participant": [
            {
                "role": [{"coding": [{"system": care.NUCC, "code": "103T00000X"}]}],
                "member": {"reference": therapist},
            }
        ],
    }
    refused = clinic.send("POST", "/CareTeam", team)
    assert refused.status_code == 422, refused.text
    assert f"{therapist} holds 225100000X, not 103T00000X" in outcome_text(refused)
    assert not clinic.get(f"/CareTeam?subject={patient}").get("entry")


@pytest.fixture
def server_counts(loop_server: RunningServer) -> Any:
    """How many resource versions the server holds, to show a refusal wrote nothing."""
    return lambda: loop_server.database.count("resource_version")
