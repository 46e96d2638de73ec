"""Known extensions checked against their definitions wherever they occur.

Official R4 extensions (r4_extensions.json) misused are base R4 problems (400 on a write);
painfhir's (compiled_ig.json) are painfhir's (422), whether or not the resource claims a
profile. Each mutation gets exactly the one right issue at the exact path; the official
examples, the Synthea patients and painfhir's examples, which use known extensions, get none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.validation.invariants import check_base
from painfhir.validation.profile._extensions import known_extensions
from painfhir.validation.validator import validate, write_refusal
from tests.conftest import CORPORA

EXAMPLES = sorted((CORPORA / "fhir-r4-examples").glob("*.json"))
SYNTHEA = sorted((CORPORA / "synthea").glob("*.json"))
PAINFHIR_EXAMPLES = Path(__file__).resolve().parents[2] / "profiles" / "examples"
# Structurally invalid as published (see tests/api/test_fidelity.py): not validated further.
DEFECTIVE = {"Questionnaire-qs1"}
HL7 = "http://hl7.org/fhir/StructureDefinition/"
MODALITY = "http://painfhir.org/fhir/StructureDefinition/pain-modality"
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}


def _patient(**members: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p", "text": NARRATIVE, **members}


def _only(issues: list[Issue]) -> tuple[str, str, str | None, str]:
    assert len(issues) == 1, issues
    (issue,) = issues
    return issue.severity, issue.code, issue.expression, issue.diagnostics


def _known_urls(value: Any) -> int:
    """How many extensions with a known url `value` holds, anywhere."""
    if type(value) is list:
        return sum(_known_urls(item) for item in value)
    if type(value) is not dict:
        return 0
    found = int(value.get("url") in known_extensions().urls and "resourceType" not in value)
    return found + sum(_known_urls(item) for item in value.values())


# Questionnaire-qs1 is left out: it is structurally invalid as published (nested items
# without linkId), so `validate` stops at its structural errors (see tests/api/test_fidelity.py).
VALID = [p for p in EXAMPLES + SYNTHEA if p.stem not in DEFECTIVE]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_the_official_examples_and_synthea_use_known_extensions_rightly(path: Path) -> None:
    resource = parse_json(path.read_bytes())
    base, painfhir = check_base(resource)
    assert [i for i in base if "xtension" in i.diagnostics] == []
    assert painfhir == []
    assert [i for i in validate(resource) if i.severity in ("fatal", "error")] == []


def test_the_corpora_do_use_official_extensions() -> None:
    """The proof above is not empty: the examples hold well over a hundred of them."""
    found = sum(_known_urls(parse_json(path.read_bytes())) for path in EXAMPLES + SYNTHEA)
    assert found > 150


@pytest.mark.parametrize("path", sorted(PAINFHIR_EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_painfhirs_examples_use_their_extensions_rightly(path: Path) -> None:
    resource = json.loads(path.read_text())
    assert [i for i in validate(resource) if i.severity in ("fatal", "error")] == []


def test_an_official_extension_out_of_its_context() -> None:
    birth_time = {"url": HL7 + "patient-birthTime", "valueDateTime": "2000-01-01T10:00:00Z"}
    assert check_base(_patient(birthDate="2000-01-01", _birthDate={"extension": [birth_time]})) == (
        [],
        [],
    )
    issues, _ = check_base(_patient(extension=[birth_time]))
    severity, code, expression, message = _only(issues)
    assert (severity, code, expression) == ("error", "structure", "Patient.extension[0]")
    assert "may not be used on Patient: its definition allows it only on Patient.birthDate" in (
        message
    )


def test_an_official_extension_with_a_value_of_a_type_it_does_not_allow() -> None:
    birth_time = {"url": HL7 + "patient-birthTime", "valueDate": "2000-01-01"}
    issues, _ = check_base(_patient(birthDate="2000-01-01", _birthDate={"extension": [birth_time]}))
    severity, code, expression, message = _only(issues)
    assert (severity, code, expression) == (
        "error",
        "structure",
        "Patient.birthDate.extension[0].valueDate",
    )
    assert "Extension.value[x] must be dateTime; found valueDate (date)" in message


def test_an_official_simple_extension_with_sub_extensions_and_no_value() -> None:
    issues, _ = check_base(
        _patient(
            extension=[
                {
                    "url": HL7 + "patient-religion",
                    "extension": [{"url": "other", "valueString": "x"}],
                }
            ]
        )
    )
    # A simple extension: no sub-extensions allowed, and its value required.
    assert [(i.severity, i.code, i.expression) for i in issues] == [
        ("error", "structure", "Patient.extension[0].extension[0]"),
        ("error", "required", "Patient.extension[0].value[x]"),
    ]


def test_a_required_binding_on_an_official_extension() -> None:
    absent = {"url": HL7 + "data-absent-reason", "valueCode": "asked-unknown"}
    assert check_base(_patient(_birthDate={"extension": [absent]})) == ([], [])
    absent["valueCode"] = "forgotten"
    issues, _ = check_base(_patient(_birthDate={"extension": [absent]}))
    severity, code, expression, message = _only(issues)
    assert (severity, code, expression) == (
        "error",
        "code-invalid",
        "Patient.birthDate.extension[0].valueCode",
    )
    assert "http://hl7.org/fhir/ValueSet/data-absent-reason, a required binding" in message


def test_an_extensible_binding_on_an_official_extension_is_a_warning() -> None:
    religion = {
        "url": HL7 + "patient-religion",
        "valueCodeableConcept": {"coding": [{"system": "http://example.org/faiths", "code": "x"}]},
    }
    other = {"url": "http://example.org/unknown", "valueBoolean": True}  # not looked at
    issues, _ = check_base(_patient(extension=[other, other, religion]))
    severity, code, expression, _message = _only(issues)
    assert (severity, code, expression) == (
        "warning",
        "code-invalid",
        "Patient.extension[2].valueCodeableConcept",
    )


def test_the_cardinality_of_an_official_extensions_sub_extensions() -> None:
    code = {"url": "code", "valueCodeableConcept": {"text": "Swedish"}}
    nationality = {"url": HL7 + "patient-nationality", "extension": [code]}
    assert check_base(_patient(extension=[nationality])) == ([], [])
    nationality["extension"] = [code, code]
    issues, _ = check_base(_patient(extension=[nationality]))
    severity, code_, expression, message = _only(issues)
    assert (severity, code_, expression) == (
        "error",
        "structure",
        "Patient.extension[0].extension[1]",
    )
    assert "slice 'code') is allowed at most once; there are 2" in message


def _care_plan(extension: dict[str, Any], *, on_activity: bool = True) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": "c",
        "text": NARRATIVE,
        "status": "active",
        "intent": "plan",
        "subject": {"reference": "Patient/p"},
    }
    if on_activity:
        plan["activity"] = [{"extension": [extension], "detail": {"status": "scheduled"}}]
    else:
        plan["extension"] = [extension]
    return plan


def _modality(code: str) -> dict[str, Any]:
    return {
        "url": MODALITY,
        "valueCodeableConcept": {
            "coding": [
                {"system": "http://painfhir.org/fhir/CodeSystem/pain-modality", "code": code}
            ]
        },
    }


def test_a_painfhir_extension_is_checked_without_any_profile_claimed() -> None:
    assert validate(_care_plan(_modality("medication"))) == []
    issues = validate(_care_plan(_modality("astrology")))
    severity, code, expression, _message = _only(issues)
    assert (severity, code, expression) == (
        "error",
        "code-invalid",
        "CarePlan.activity[0].extension[0].valueCodeableConcept",
    )
    refusal = write_refusal(_care_plan(_modality("astrology")))
    assert refusal is not None and refusal.status == 422


def test_a_painfhir_extension_out_of_its_context() -> None:
    issues = validate(_care_plan(_modality("medication"), on_activity=False))
    severity, code, expression, message = _only(issues)
    assert (severity, code, expression) == ("error", "structure", "CarePlan.extension[0]")
    assert "its definition allows it only on CarePlan.activity" in message


def test_an_official_extension_misused_refuses_a_write_with_400() -> None:
    birth_time = {"url": HL7 + "patient-birthTime", "valueDateTime": "2000-01-01T10:00:00Z"}
    refusal = write_refusal(_patient(extension=[birth_time]))
    assert refusal is not None and refusal.status == 400
    assert write_refusal(_patient(extension=[birth_time]), lenient=True) is None


def test_an_extension_in_a_profiles_slice_is_reported_once() -> None:
    plan = json.loads((PAINFHIR_EXAMPLES / "CarePlan-lindqvist-pain-plan.json").read_text())
    plan["activity"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "astrology"
    issues = [i for i in validate(plan) if i.code == "code-invalid"]
    assert [i.expression for i in issues] == [
        "CarePlan.activity[0].extension[0].valueCodeableConcept"
    ]


def test_a_resource_without_known_extensions_has_nothing_to_check() -> None:
    assert check_base(_patient(extension=[{"url": "http://example.org/x", "valueInteger": 1}])) == (
        [],
        [],
    )
