"""Required bindings of base R4, checked with the structure on every write: each broken binding
is one `code-invalid` error at the exact path; valid codes and the official examples pass."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.fhir.structure import check_resource
from tests.conftest import CORPORA

EXAMPLES = sorted((CORPORA / "fhir-r4-examples").glob("*.json"))

_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_SNOMED = "http://snomed.info/sct"

# Small valid resources; each case below breaks one binding in one of them.
PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "text": {"status": "generated", "div": "<div>Ann</div>"},
    "gender": "female",
    "name": [{"use": "official", "family": "Lee"}],
    "telecom": [{"system": "phone", "value": "555", "use": "home"}],
}
CONDITION: dict[str, Any] = {
    "resourceType": "Condition",
    "clinicalStatus": {"coding": [{"system": _CONDITION_CLINICAL, "code": "active"}]},
    "subject": {"reference": "Patient/1"},
}
ALLERGY: dict[str, Any] = {
    "resourceType": "AllergyIntolerance",
    "category": ["food", "medication"],
    "patient": {"reference": "Patient/1"},
}
OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "PEG score"},
    "valueQuantity": {"value": 4, "comparator": "<"},
}
QUESTIONNAIRE: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "status": "active",
    "item": [
        {
            "linkId": "1",
            "type": "group",
            "item": [
                {"linkId": "1.1", "type": "display"},
                {"linkId": "1.2", "type": "integer"},
            ],
        }
    ],
}
CARE_PLAN: dict[str, Any] = {
    "resourceType": "CarePlan",
    "status": "active",
    "intent": "plan",
    "subject": {"reference": "#p"},
    "contained": [{"resourceType": "Patient", "id": "p", "gender": "male"}],
}
BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [{"resource": CONDITION}, {"resource": PATIENT}],
}
VALID = [PATIENT, CONDITION, ALLERGY, OBSERVATION, QUESTIONNAIRE, CARE_PLAN, BUNDLE]


def _with(resource: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `resource` with the member at `path` set to `value`."""
    changed = copy.deepcopy(resource)
    holder: Any = changed
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return changed


def _bindings_broken(resource: dict[str, Any]) -> list[Issue]:
    return [issue for issue in check_resource(resource) if issue.code == "code-invalid"]


@pytest.mark.parametrize("resource", VALID, ids=[r["resourceType"] for r in VALID])
def test_the_resources_the_cases_start_from_are_valid(resource: dict[str, Any]) -> None:
    assert check_resource(resource) == []


@pytest.mark.parametrize(
    ("resource", "path", "value", "expression"),
    [
        pytest.param(PATIENT, ("gender",), "mail", "Patient.gender", id="a code element"),
        pytest.param(
            ALLERGY,
            ("category", 1),
            "drug",
            "AllergyIntolerance.category[1]",
            id="a code in an array",
        ),
        pytest.param(
            PATIENT,
            ("text", "status"),
            "made-up",
            "Patient.text.status",
            id="a code of a datatype (Narrative.status)",
        ),
        pytest.param(
            PATIENT,
            ("telecom", 0, "system"),
            "fax2",
            "Patient.telecom[0].system",
            id="a code of a datatype in an array (ContactPoint.system)",
        ),
        pytest.param(
            CONDITION,
            ("clinicalStatus", "coding", 0, "code"),
            "activ",
            "Condition.clinicalStatus",
            id="a CodeableConcept whose coding is not in the value set",
        ),
        pytest.param(
            CONDITION,
            ("clinicalStatus",),
            {"text": "active"},
            "Condition.clinicalStatus",
            id="a CodeableConcept with only text",
        ),
        pytest.param(
            CONDITION,
            ("clinicalStatus", "coding"),
            [{"code": "active"}],
            "Condition.clinicalStatus",
            id="a Coding without system is not a coding of the value set",
        ),
        pytest.param(
            CONDITION,
            ("clinicalStatus", "coding"),
            [{"system": _SNOMED, "code": "55561003", "display": "Active"}],
            "Condition.clinicalStatus",
            id="a Coding of another system only",
        ),
        pytest.param(
            QUESTIONNAIRE,
            ("item", 0, "item", 1, "type"),
            "question",
            "Questionnaire.item[0].item[1].type",
            id="a nested backbone element; an abstract code (notSelectable) is not valid",
        ),
        pytest.param(
            OBSERVATION,
            ("valueQuantity", "comparator"),
            "==",
            "Observation.valueQuantity.comparator",
            id="inside a choice type element",
        ),
        pytest.param(
            CARE_PLAN,
            ("contained", 0, "gender"),
            "M",
            "CarePlan.contained[0].gender",
            id="inside a contained resource",
        ),
        pytest.param(
            BUNDLE,
            ("entry", 1, "resource", "name", 0, "use"),
            "nick",
            "Bundle.entry[1].resource.name[0].use",
            id="inside a Bundle entry's resource",
        ),
        pytest.param(
            PATIENT,
            ("_gender",),
            {"extension": [{"url": "http://example.org/id", "valueIdentifier": {"use": "main"}}]},
            "Patient.gender.extension[0].valueIdentifier.use",
            id="inside the extensions of a primitive",
        ),
    ],
)
def test_a_broken_required_binding_is_one_issue_at_its_path(
    resource: dict[str, Any], path: tuple[str | int, ...], value: Any, expression: str
) -> None:
    issues = check_resource(_with(resource, path, value))
    assert [(i.severity, i.code, i.expression) for i in issues] == [
        ("error", "code-invalid", expression)
    ]


@pytest.mark.parametrize(
    ("resource", "path", "value"),
    [
        *(
            pytest.param(PATIENT, ("gender",), code, id=f"gender {code}")
            for code in ("male", "female", "other", "unknown")
        ),
        pytest.param(
            CONDITION,
            ("clinicalStatus", "coding"),
            [
                {"system": _SNOMED, "code": "55561003"},
                {"system": _CONDITION_CLINICAL, "code": "remission"},
            ],
            id="one coding from the value set among others",
        ),
        pytest.param(
            CONDITION,
            ("clinicalStatus", "coding", 0, "code"),
            "relapse",
            id="a code nested under another in its code system",
        ),
        pytest.param(
            QUESTIONNAIRE,
            ("item", 0, "item", 1, "type"),
            "open-choice",
            id="a selectable code under an abstract one",
        ),
        pytest.param(
            PATIENT,
            ("photo",),
            [{"contentType": "image/x-made-up", "url": "http://example.org/a.png"}],
            id="a value set that cannot be enumerated (MIME types) is not checked",
        ),
        pytest.param(
            PATIENT,
            ("_gender",),
            {"extension": [{"url": "http://example.org/x", "valueString": "x"}]},
            id="extensions instead of a code",
        ),
    ],
)
def test_valid_codes_pass(
    resource: dict[str, Any], path: tuple[str | int, ...], value: Any
) -> None:
    assert check_resource(_with(resource, path, value)) == []


def test_a_code_message_names_the_code_element_and_value_set() -> None:
    (issue,) = check_resource(_with(PATIENT, ("gender",), "mail"))
    assert issue.diagnostics == (
        "Patient.gender must be a code from "
        "http://hl7.org/fhir/ValueSet/administrative-gender (a required binding); "
        "'mail' is not one of: female, male, other, unknown"
    )


def test_a_concept_message_names_the_codings_found_and_allowed() -> None:
    concept = {"coding": [{"system": _SNOMED, "code": "55561003"}, {"code": "active"}]}
    (issue,) = check_resource(_with(CONDITION, ("clinicalStatus",), concept))
    assert issue.diagnostics == (
        "Condition.clinicalStatus must have a coding from "
        "http://hl7.org/fhir/ValueSet/condition-clinical (a required binding), but none of "
        "its codings is in that value set: http://snomed.info/sct|55561003, active (no system). "
        f"Allowed: {_CONDITION_CLINICAL}: active, inactive, recurrence, relapse, remission, "
        "resolved"
    )


def test_a_large_value_set_is_counted_not_listed() -> None:
    graph = {"resourceType": "GraphDefinition", "name": "g", "status": "draft", "start": "Patiant"}
    (issue,) = check_resource(graph)
    assert issue.expression == "GraphDefinition.start"
    assert issue.diagnostics.endswith("'Patiant' is not one of its 148 codes")


def test_a_malformed_code_is_reported_once_as_malformed() -> None:
    assert [
        (i.code, i.expression) for i in check_resource(_with(PATIENT, ("gender",), " male"))
    ] == [("value", "Patient.gender")]
    assert [(i.code, i.expression) for i in check_resource(_with(PATIENT, ("gender",), 1))] == [
        ("structure", "Patient.gender")
    ]


def test_every_broken_binding_is_reported() -> None:
    resource = _with(_with(PATIENT, ("gender",), "f"), ("name", 0, "use"), "formal")
    assert [i.expression for i in _bindings_broken(resource)] == [
        "Patient.gender",
        "Patient.name[0].use",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_official_examples_break_no_required_binding(path: Path) -> None:
    # Questionnaire-qs1 is structurally invalid (see tests/api/test_fidelity.py), but its
    # codes are all right, so it is kept here too.
    assert _bindings_broken(parse_json(path.read_bytes())) == []
