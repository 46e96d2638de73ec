"""The FHIRPath subset: every R4 search expression compiles; each feature evaluates as FHIRPath
says; anything outside the subset fails at compile time."""

from __future__ import annotations

import re
from typing import Any

import pytest

from painfhir.fhir.definitions import RESOURCE_TYPE_NAMES
from painfhir.search.definitions import parameters_for
from painfhir.search.fhirpath import (
    FhirPathError,
    Node,
    compile_expression,
    reference_target,
)

OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "pain",
    "contained": [{"resourceType": "Practitioner", "id": "nurse"}],
    "extension": [
        {"url": "http://example.org/site", "valueString": "clinic A"},
        {"url": "http://example.org/shift", "valueCode": "night"},
    ],
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
    "subject": {"reference": "Patient/p1"},
    "performer": [
        {"reference": "#nurse"},
        {"reference": "https://ehr.example.org/fhir/Practitioner/dr/_history/3"},
        {"identifier": {"value": "NPI-1"}, "type": "Organization"},
        {"reference": "urn:uuid:2b0ab5c4-6c2e-4a53-9c06-1b3cd8d9cc8f"},
    ],
    "effectiveDateTime": "2024-03-05T10:30:00Z",
    "valueQuantity": {"value": 7, "unit": "score"},
    "component": [
        {"code": {"text": "worst"}, "valueQuantity": {"value": 9}},
        {"code": {"text": "where"}, "valueString": "lower back"},
    ],
}


def _evaluate(text: str, resource: dict[str, Any] = OBSERVATION) -> list[Node]:
    return compile_expression(text, resource["resourceType"]).evaluate(resource)


@pytest.mark.parametrize("res_type", RESOURCE_TYPE_NAMES)
def test_every_r4_search_expression_compiles(res_type: str) -> None:
    for parameter in parameters_for(res_type).values():
        context = compile_expression(parameter.expression, res_type)
        focus = tuple(sorted(context.result_types))
        for _, expression in parameter.components:
            compile_expression(expression, res_type, focus)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Observation.status", [("code", "final")], id="a leading type name is the resource"
        ),
        pytest.param("status", [("code", "final")], id="without the type name, from the root"),
        pytest.param("Resource.id", [("id", "pain")], id="Resource matches any resource"),
        pytest.param(
            "Observation.subject",
            [("Reference", {"reference": "Patient/p1"})],
            id="complex nodes keep their FHIR type",
        ),
        pytest.param(
            "Observation.value",
            [("Quantity", {"value": 7, "unit": "score"})],
            id="a choice element finds the type that is there",
        ),
        pytest.param(
            "Observation.component.value",
            [("Quantity", {"value": 9}), ("string", "lower back")],
            id="a choice element of each node, in document order",
        ),
        pytest.param(
            "Observation.code.coding.code", [("code", "72514-3")], id="navigation through arrays"
        ),
        pytest.param("Observation.note.text", [], id="absent elements give nothing"),
        pytest.param(
            "Observation.status | Observation.effective",
            [("code", "final"), ("dateTime", "2024-03-05T10:30:00Z")],
            id="union",
        ),
    ],
)
def test_paths(text: str, expected: list[Node]) -> None:
    assert _evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Observation.component.value.as(string)",
            [("string", "lower back")],
            id="as(T) keeps the nodes of that type",
        ),
        pytest.param(
            "(Observation.component.value as Quantity)",
            [("Quantity", {"value": 9})],
            id="the as operator, parenthesised as R4 writes it",
        ),
        pytest.param(
            "Observation.effective.as(DateTime)",
            [("dateTime", "2024-03-05T10:30:00Z")],
            id="FHIRPath system types match the FHIR primitives they stand for",
        ),
        pytest.param(
            "Observation.component.value.ofType(FHIR.string)",
            [("string", "lower back")],
            id="ofType",
        ),
        pytest.param("Observation.status.is(string)", [("boolean", True)], id="a code is a string"),
        pytest.param("Observation.value is Quantity", [("boolean", True)], id="the is operator"),
        pytest.param("Observation.value is Range", [("boolean", False)], id="is: not that type"),
    ],
)
def test_types(text: str, expected: list[Node]) -> None:
    assert _evaluate(text) == expected


def _performers(text: str) -> list[str | None]:
    return [node[1].get("reference") for node in _evaluate(text)]


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        pytest.param(
            "Practitioner",
            ["#nurse", "https://ehr.example.org/fhir/Practitioner/dr/_history/3"],
            id="contained and absolute with history",
        ),
        pytest.param("Organization", [None], id="a logical reference by its type element"),
        pytest.param("Patient", [], id="urn:uuid references have no known type"),
    ],
)
def test_where_resolve_is_decided_by_the_reference(type_name: str, expected: list[str]) -> None:
    assert _performers(f"Observation.performer.where(resolve() is {type_name})") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Observation.extension.where(url = 'http://example.org/shift').value",
            [("code", "night")],
            id="where with equality",
        ),
        pytest.param(
            "Observation.extension('http://example.org/site').value",
            [("string", "clinic A")],
            id="extension(url)",
        ),
        pytest.param(
            "Observation.component.code.first()",
            [("CodeableConcept", {"text": "worst"})],
            id="first()",
        ),
        pytest.param("Observation.component[1].code.text", [("string", "where")], id="indexer"),
        pytest.param("Observation.note.exists()", [("boolean", False)], id="exists() on nothing"),
        pytest.param(
            "Observation.value.exists() and Observation.value != false",
            [("boolean", True)],
            id="and, !=: a Quantity is not false",
        ),
        pytest.param(
            "Observation.note.exists() and Observation.value != false",
            [("boolean", False)],
            id="false and anything is false",
        ),
        pytest.param(
            "Observation.value.exists() and Observation.note != false",
            [],
            id="true and empty is empty",
        ),
    ],
)
def test_functions_and_operators(text: str, expected: list[Node]) -> None:
    assert _evaluate(text) == expected


def test_resource_variable_in_a_component() -> None:
    component = compile_expression("%resource.status", "Observation", ("Observation.component",))
    root = ("Observation", OBSERVATION)
    assert component.evaluate_on([("Observation.component", {})], root) == [("code", "final")]


@pytest.mark.parametrize(
    ("elements", "deceased"),
    [
        pytest.param({}, False, id="nothing said: not deceased"),
        pytest.param({"deceasedBoolean": False}, False, id="deceasedBoolean false"),
        pytest.param({"deceasedBoolean": True}, True, id="deceasedBoolean true"),
        pytest.param({"deceasedDateTime": "2020"}, True, id="a date of death"),
    ],
)
def test_patient_deceased_as_r4_defines_it(elements: dict[str, Any], deceased: bool) -> None:
    expression = parameters_for("Patient")["deceased"].expression
    patient = {"resourceType": "Patient", **elements}
    assert _evaluate(expression, patient) == [("boolean", deceased)]


def test_result_types_come_from_the_structure_model() -> None:
    expression = compile_expression("Condition.onset", "Condition")
    assert expression.result_types == {"dateTime", "Age", "Period", "Range", "string"}


def test_as_reads_only_the_member_of_that_type() -> None:
    narrowed = compile_expression("Observation.value.as(Quantity)", "Observation")
    assert narrowed.result_types == {"Quantity"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("Observation.valu", "no element 'valu'", id="unknown element"),
        pytest.param("Observation.code.descendants()", "descendants()", id="unsupported function"),
        pytest.param("Observation.value.as(Quantiy)", "unknown type 'Quantiy'", id="unknown type"),
        pytest.param(
            "Observation.status.as(Quantity)", "is ever a Quantity", id="type never there"
        ),
        pytest.param(
            "Observation.subject.resolve().name", "cannot read 'name'", id="after resolve()"
        ),
        pytest.param("Observation.status.resolve()", "only References", id="resolve() a code"),
        pytest.param("Observation.status or true", "expected the end", id="unsupported operator"),
        pytest.param("%context.status", "%context", id="unsupported variable"),
        pytest.param("Observation.code.where(", "expected", id="syntax error"),
        pytest.param("Observation.status ~ 'x'", "unexpected \"~ 'x'\"", id="unknown token"),
    ],
)
def test_outside_the_subset_fails_to_compile(text: str, message: str) -> None:
    with pytest.raises(FhirPathError, match=re.escape(message)):
        compile_expression(text, "Observation")


@pytest.mark.parametrize(
    ("reference", "target"),
    [
        pytest.param("Patient/123", ("Patient", "123"), id="relative"),
        pytest.param("Patient/123/_history/2", ("Patient", "123"), id="relative with version"),
        pytest.param("http://x.org/fhir/Patient/123", ("Patient", "123"), id="absolute"),
        pytest.param(
            "http://x.org/fhir/Patient/1/_history/2", ("Patient", "1"), id="absolute, version"
        ),
        pytest.param("#contained", None, id="contained"),
        pytest.param("urn:uuid:2b0ab5c4-6c2e-4a53-9c06-1b3cd8d9cc8f", None, id="urn:uuid"),
        pytest.param("Unknown/123", None, id="not a resource type"),
        pytest.param("Patient/", None, id="no id"),
    ],
)
def test_reference_target(reference: str, target: tuple[str, str] | None) -> None:
    assert reference_target(reference) == target
