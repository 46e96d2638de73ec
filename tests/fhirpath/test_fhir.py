"""What FHIR adds: the type model (choice elements, primitives' extensions, is/as/ofType),
the environment variables, resolve(), extension(), hasValue(), memberOf(), conformsTo(),
and invariant semantics (holds)."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.fhirpath import (
    FhirPathEvaluationError,
    FhirPathServices,
    FhirPathUnanswerableError,
    compile_fhirpath,
)
from tests.fhirpath.conftest import PAIN_SCORE, run


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("value.unit", ["score"], id="a choice element by its name"),
        pytest.param("value is Quantity", [True], id="its type"),
        pytest.param("value.ofType(Quantity).code", ["{score}"], id="ofType"),
        pytest.param("(value as Quantity).unit", ["score"], id="as"),
        pytest.param("value.as(string)", [], id="as another type"),
        pytest.param("component.value.ofType(integer)", [9, 3], id="choice in a backbone"),
        pytest.param("component.value is Integer", None, id="is needs one item"),
        pytest.param("status is code and status is string", [True], id="derived primitives"),
        pytest.param("status is System.String", [True], id="a FHIR primitive as System type"),
        pytest.param("issued is dateTime", [False], id="instant is not a dateTime"),
        pytest.param("Observation.status", ["final"], id="a leading type name"),
        pytest.param("Patient.status", [], id="a leading type name that does not match"),
        pytest.param("is(DomainResource) and is(Resource)", [True], id="resource hierarchy"),
        pytest.param("component.first() is BackboneElement", [True], id="backbone elements"),
        pytest.param("contained.ofType(Practitioner).name.family", ["Okafor"], id="contained"),
        pytest.param("valueQuantity.value", ["7.50"], id="the JSON name also navigates"),
    ],
)
def test_the_type_model(expression: str, expected: list[object] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            run(expression)
        return
    assert [str(v) if expression.startswith("valueQuantity") else v for v in run(expression)] == (
        expected
    )


def test_a_primitive_has_its_id_and_extensions() -> None:
    assert run("status.id") == ["s1"]
    assert run("status.extension('http://example.org/why').value") == ["ok"]
    assert run("status.hasValue() and status.getValue() = 'final'") == [True]
    only_extension = {**PAIN_SCORE, "status": None}
    del only_extension["status"]
    assert run("status.exists() and status.hasValue().not()", only_extension) == [True]
    assert run("status.getValue()", only_extension) == []


def test_extension_by_url() -> None:
    assert run("extension('http://example.org/site').value") == ["clinic A"]
    assert run('extension(%"ext-patient-birthPlace").exists()') == [False]


def test_environment_variables() -> None:
    assert run("%ucum") == ["http://unitsofmeasure.org"]
    assert run("%sct") == ["http://snomed.info/sct"]
    assert run("%loinc = code.coding.system") == [True]
    assert run('%"vs-administrative-gender"') == [
        "http://hl7.org/fhir/ValueSet/administrative-gender"
    ]
    assert run("%resource.id") == ["pain-1"]
    assert run("%context.id") == ["pain-1"]


def test_context_and_root_resource_of_a_contained_resource() -> None:
    nurse = PAIN_SCORE["contained"][0]
    expression = compile_fhirpath("%rootResource.id | %resource.id | %context.family")
    result = expression.evaluate(
        nurse["name"][0], resource=nurse, root_resource=PAIN_SCORE, focus_type="HumanName"
    )
    assert result == ["pain-1", "nurse", "Okafor"]


def test_resolve_contained_and_bundle_references() -> None:
    assert run("performer.resolve().name.family") == ["Okafor"]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:0b6e", "resource": {"resourceType": "Patient", "id": "a"}},
            {
                "fullUrl": "https://ehr.example.org/fhir/Observation/o1",
                "resource": {**PAIN_SCORE, "subject": {"reference": "Patient/p1"}},
            },
            {
                "fullUrl": "https://ehr.example.org/fhir/Patient/p1",
                "resource": {"resourceType": "Patient", "id": "p1", "gender": "female"},
            },
        ],
    }
    observation = bundle["entry"][1]["resource"]
    relative = compile_fhirpath("subject.resolve().gender")
    assert relative.evaluate(observation, resource=observation, bundle=bundle) == ["female"]
    by_urn = compile_fhirpath("entry.resource.where(id = 'a').id")
    assert by_urn.evaluate(bundle, resource=bundle) == ["a"]
    found = compile_fhirpath("'urn:uuid:0b6e'.resolve().id")
    assert found.evaluate(bundle, resource=bundle) == ["a"]
    assert run("subject.resolve()") == []  # not in reach: nothing, as FHIRPath says


def test_resolve_asks_the_services_last() -> None:
    services = FhirPathServices(resolve=lambda url: {"resourceType": "Patient", "id": url[8:]})
    assert run("subject.resolve().id", services=services) == ["p1"]


def test_member_of_a_value_set_painfhir_knows() -> None:
    assert run("status.memberOf('http://hl7.org/fhir/ValueSet/observation-status')") == [True]
    assert run("'bogus'.memberOf('http://hl7.org/fhir/ValueSet/observation-status')") == [False]
    category = "category.memberOf('http://hl7.org/fhir/ValueSet/observation-category')"
    with pytest.raises(FhirPathUnanswerableError, match="cannot tell"):
        run(category)  # an example binding: not enumerated by painfhir
    services = FhirPathServices(member_of=lambda value, url: True)
    assert run(category, services=services) == [True]


def test_conforms_to() -> None:
    assert run("conformsTo('http://hl7.org/fhir/StructureDefinition/Observation')") == [True]
    assert run("conformsTo('http://hl7.org/fhir/StructureDefinition/Patient')") == [False]
    profile = "conformsTo('https://painfhir.example.org/fhir/StructureDefinition/pain-score')"
    with pytest.raises(FhirPathUnanswerableError):
        run(profile)
    services = FhirPathServices(conforms_to=lambda resource, url: resource["id"] == "pain-1")
    assert run(profile, services=services) == [True]


@pytest.mark.parametrize(
    ("div", "valid"),
    [
        pytest.param('<div xmlns="http://www.w3.org/1999/xhtml"><p>Pain 7/10</p></div>', True),
        pytest.param(
            '<div xmlns="http://www.w3.org/1999/xhtml"><table class="grid"><tr><td '
            'colspan="2">a&nbsp;b</td></tr></table><img src="#p" alt="scan"/></div>',
            True,
            id="tables, entities, images",
        ),
        pytest.param('<div xmlns="http://www.w3.org/1999/xhtml"> \n </div>', False, id="blank"),
        pytest.param('<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script></div>', False),
        pytest.param(
            '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">a</p></div>', False
        ),
        pytest.param('<div xmlns="http://www.w3.org/1999/xhtml"><p>a</div>', False, id="broken"),
        pytest.param("<div><p>no namespace</p></div>", False, id="no namespace"),
        pytest.param('<div xmlns="http://www.w3.org/1999/xhtml">&bogus;</div>', False),
    ],
)
def test_html_checks(div: str, valid: bool) -> None:
    narrative = {"resourceType": "Basic", "text": {"status": "generated", "div": div}}
    assert run("text.div.htmlChecks()", narrative) == [valid]


@pytest.mark.parametrize(
    ("expression", "holds"),
    [
        pytest.param("status = 'final'", True, id="true"),
        pytest.param("status = 'draft'", False, id="false"),
        pytest.param("identifier.value = 'x'", False, id="empty is not met, as HL7 reads it"),
        pytest.param("status", True, id="one non-Boolean item"),
        pytest.param("note.text", True, id="several items"),
    ],
)
def test_holds_reads_a_result_as_a_constraint(expression: str, holds: bool) -> None:
    assert compile_fhirpath(expression).holds(PAIN_SCORE, resource=PAIN_SCORE) is holds


def test_evaluate_nodes_keeps_the_types() -> None:
    nodes = compile_fhirpath("value | status").evaluate_nodes(PAIN_SCORE, resource=PAIN_SCORE)
    assert [node[0] for node in nodes] == ["Quantity", "code"]


def test_an_element_is_evaluated_with_its_type() -> None:
    period = {"start": "2024-03-06", "end": "2024-03-05"}
    expression = compile_fhirpath("start <= end")
    assert expression.evaluate(period, resource=PAIN_SCORE, focus_type="Period") == [False]


ALONE = [
    pytest.param("status = 'final'", True, id="the focus only"),
    pytest.param("status = 'draft' or code.coding.exists()", True, id="several members"),
    pytest.param("%context.status = 'final'", True, id="%context is the focus"),
    pytest.param("note.where(text.startsWith('Worse')).exists()", True, id="iteration"),
    pytest.param("effective.start <= effective.end", False, id="an empty result"),
    pytest.param("status = 'final' implies %resource.id = 'pain-1'", None, id="%resource"),
    pytest.param("status = 'draft' implies %resource.id = 'x'", True, id="not reached"),
    pytest.param("performer.resolve().exists()", None, id="resolve()"),
    pytest.param("issued < now()", None, id="now()"),
    pytest.param("descendants().count() > 3", None, id="descendants() (memoised)"),
    pytest.param("%rootResource.id.exists()", None, id="%rootResource"),
]


@pytest.mark.parametrize(("expression", "alone"), ALONE)
def test_holds_alone_is_holds_for_expressions_that_need_no_environment(
    expression: str, alone: bool | None
) -> None:
    # Compiled anew for each case: an expression found to need the environment is not tried
    # alone again, which the cases would otherwise see through compile_fhirpath's cache.
    compiled = compile_fhirpath.__wrapped__(expression)
    focus = [("Observation", PAIN_SCORE, None)]
    found = compiled.holds_alone(focus)
    holds = compiled.holds(PAIN_SCORE, resource=PAIN_SCORE)
    assert found is (None if alone is None else holds)
    if alone is not None:
        assert holds is alone
    else:
        assert compiled.holds_alone(focus) is None  # learned: not tried again


def test_holds_alone_raises_what_holds_raises() -> None:
    expression = compile_fhirpath.__wrapped__("note.text.startsWith('W')")
    with pytest.raises(FhirPathEvaluationError):
        expression.holds(PAIN_SCORE, resource=PAIN_SCORE)
    with pytest.raises(FhirPathEvaluationError):
        expression.holds_alone([("Observation", PAIN_SCORE, None)])
