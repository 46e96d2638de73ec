"""The intake check, pure: a referral package in, the findings out; and how they sit on the
Task."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.workflow.referral import (
    ReferralPackage,
    findings_on,
    intake_findings,
    with_findings,
)
from tests.workflow.referral.referral_package import coverage, referral_request

Json = dict[str, Any]
SNOMED = "http://snomed.info/sct"
PATIENT = "Patient/p1"
DOCTOR = {"resourceType": "Practitioner", "id": "d1", "telecom": [{"value": "303-555-0101"}]}


def _condition(code: str, **dates: str) -> Json:
    return {
        "resourceType": "Condition",
        "code": {"coding": [{"system": SNOMED, "code": code}]},
        **dates,
    }


NEUROPATHIC = _condition("247398009", onsetDateTime="2025-01-10")
LOW_BACK = _condition("278860009")
MRI = {"resourceType": "DiagnosticReport", "category": [{"coding": [{"code": "RAD"}]}]}
MRI_BY_CPT = {
    "resourceType": "DiagnosticReport",
    "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "72148"}]},
}
ROLE = {
    "resourceType": "PractitionerRole",
    "id": "r1",
    "practitioner": {"reference": "Practitioner/d1"},
}
NERVE_STUDY = {"resourceType": "DiagnosticReport", "code": {"text": "Nerve conduction study"}}
PHYSIO = {"resourceType": "Procedure", "status": "completed"}
MEDICINES = {"resourceType": "MedicationStatement", "status": "active"}
ACTIVE_COVERAGE = {**coverage(PATIENT), "id": "c1"}


def _package(note: str | None = None, **parts: Any) -> ReferralPackage:
    request = referral_request(
        "r1", PATIENT, "Practitioner/d1", note=[{"text": note}] if note else []
    )
    defaults: dict[str, Any] = {
        "conditions": [NEUROPATHIC],
        "coverages": [ACTIVE_COVERAGE],
        "requester": DOCTOR,
        "records": [NERVE_STUDY, PHYSIO, MEDICINES],
    }
    parts = {**defaults, **parts}
    if parts["conditions"]:  # the referral is for them
        request["reasonReference"] = [{"reference": "Condition/c1"}]
    request.update(parts.pop("request", {}))
    return ReferralPackage(request, **parts)


def _codes(package: ReferralPackage) -> list[str]:
    return [finding.code for finding in intake_findings(package)]


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        pytest.param(_package(), [], id="a complete package has no findings"),
        pytest.param(
            _package(conditions=[]), ["missing-reason", "chronicity-not-shown"],
            id="no reason: neither a coded reason nor a Condition",
        ),
        pytest.param(
            _package(conditions=[_condition("247398009", onsetDateTime="2026-10-01")]),
            ["chronicity-not-shown"], id="onset one month before the referral is not chronic",
        ),
        pytest.param(
            _package(conditions=[_condition("247398009", recordedDate="2026-07-15")]),
            [], id="a Condition recorded more than 3 months before shows chronicity",
        ),
        pytest.param(
            _package(conditions=[_condition("247398009")], note="Burning feet for 8 months."),
            [], id="a duration of 3 months or more in the referral's text shows chronicity",
        ),
        pytest.param(
            _package(conditions=[_condition("247398009")], note="Burning feet for 2 months."),
            ["chronicity-not-shown"], id="a duration under 3 months does not",
        ),
        pytest.param(
            _package(conditions=[_condition("247398009")], note="Painful feet since 2021."),
            [], id="since an earlier year shows chronicity",
        ),
        pytest.param(
            _package(
                conditions=[_condition("247398009")],
                note="45-year-old man with low back pain for 2 weeks",
            ),
            ["chronicity-not-shown"], id="an age and a short duration do not",
        ),
        pytest.param(
            _package(conditions=[_condition("247398009")], note="No chronic features."),
            ["chronicity-not-shown"], id="a negated chronic does not",
        ),
        pytest.param(
            _package(conditions=[_condition("247398009")], note="2 year follow-up planned."),
            ["chronicity-not-shown"], id="a follow-up plan does not",
        ),
        pytest.param(
            _package(conditions=[LOW_BACK], records=[MRI, PHYSIO, MEDICINES]),
            [], id="a chronic pain code shows chronicity by itself",
        ),
        pytest.param(
            _package(conditions=[LOW_BACK], records=[PHYSIO, MEDICINES]),
            ["missing-prior-imaging"], id="spinal pain without prior imaging",
        ),
        pytest.param(
            _package(conditions=[LOW_BACK], records=[MRI_BY_CPT, PHYSIO, MEDICINES]),
            [], id="a report coded with a CPT radiology procedure is prior imaging",
        ),
        pytest.param(
            _package(records=[MRI, PHYSIO, MEDICINES]),
            ["missing-prior-tests"], id="neuropathic pain without test results",
        ),
        pytest.param(
            _package(records=[NERVE_STUDY]),
            ["missing-prior-treatment", "missing-medication-list"],
            id="no treatment tried and no medicines given",
        ),
        pytest.param(_package(coverages=[]), ["missing-insurance"], id="no coverage at all"),
        pytest.param(
            _package(coverages=[], patient_coverages=[ACTIVE_COVERAGE]),
            [], id="a coverage on file for the patient counts",
        ),
        pytest.param(
            _package(coverages=[{**ACTIVE_COVERAGE, "period": {"end": "2026-06-30"}}]),
            ["coverage-not-active"], id="a coverage that ended before the referral",
        ),
        pytest.param(
            _package(coverages=[{**ACTIVE_COVERAGE, "status": "cancelled"}]),
            ["coverage-not-active"], id="a cancelled coverage",
        ),
        pytest.param(
            _package(coverages=[], note="Self-pay patient, 8 months of pain."),
            [], id="self-pay said in the referral",
        ),
        pytest.param(
            _package(coverages=[], requester=None, request={"requester": {"reference": PATIENT}}),
            [], id="direct access: the patient refers themselves",
        ),
        pytest.param(
            _package(requester={"resourceType": "Practitioner", "id": "d1"}),
            ["referrer-unreachable"], id="a referring practitioner with no telecom",
        ),
        pytest.param(
            _package(requester=ROLE, requester_parties=[DOCTOR]),
            [], id="a practitioner role reached through its practitioner's telecom",
        ),
        pytest.param(
            _package(requester=ROLE, requester_parties=[{"resourceType": "Practitioner"}]),
            ["referrer-unreachable"], id="a practitioner role no one of which has a telecom",
        ),
        pytest.param(
            _package(requester=None, request={"requester": None}),
            ["referrer-unreachable"], id="no referring party",
        ),
    ],
)  # fmt: skip
def test_intake_check(package: ReferralPackage, expected: list[str]) -> None:
    assert _codes(package) == expected


def test_findings_sit_on_the_task_as_inputs_and_tags_and_nothing_else_changes() -> None:
    task: Json = {
        "resourceType": "Task",
        "meta": {"profile": ["p"], "tag": [{"system": "other", "code": "keep"}]},
        "input": [{"type": {"text": "other input"}, "valueString": "keep"}],
    }
    found = intake_findings(_package(coverages=[], records=[MRI]))
    with_them = with_findings(task, found)
    assert [e["valueCodeableConcept"]["coding"][0]["code"] for e in findings_on(with_them)] == [
        f.code for f in found
    ]
    assert with_them["input"][0] == task["input"][0]
    assert with_them["meta"]["tag"][0] == {"system": "other", "code": "keep"}
    assert {t["code"] for t in with_them["meta"]["tag"][1:]} == {f.code for f in found}
    assert with_findings(with_them, []) == task
