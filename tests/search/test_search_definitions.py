"""The R4 search parameters, generated from the official package: each type's own expression,
the common Resource parameters, composites' components by code."""

from __future__ import annotations

import pytest

from painfhir.fhir.definitions import RESOURCE_TYPE_NAMES
from painfhir.search.definitions import SearchParameter, parameters_for
from painfhir.search.definitions.generate import restrict

_SP = "http://hl7.org/fhir/SearchParameter/"


@pytest.mark.parametrize(
    ("expression", "base", "restricted"),
    [
        pytest.param(
            "AllergyIntolerance.code | Condition.code | Observation.code",
            "Condition",
            "Condition.code",
            id="a shared expression keeps the part about its base",
        ),
        pytest.param(
            "Condition.code | (MedicationRequest.medication as CodeableConcept)",
            "MedicationRequest",
            "(MedicationRequest.medication as CodeableConcept)",
            id="a parenthesised part is kept as written",
        ),
        pytest.param(
            "DocumentManifest.masterIdentifier | DocumentManifest.identifier | Goal.identifier",
            "DocumentManifest",
            "DocumentManifest.masterIdentifier | DocumentManifest.identifier",
            id="several parts about one base",
        ),
        pytest.param(
            "Observation.value.where(x = 'a|b') | Patient.name",
            "Observation",
            "Observation.value.where(x = 'a|b')",
            id="a bar inside a string or parentheses is no union",
        ),
        pytest.param(
            "name | alias",
            "InsurancePlan",
            "InsurancePlan.name | InsurancePlan.alias",
            id="parts without a type are about the base (InsurancePlan-name)",
        ),
    ],
)
def test_restrict(expression: str, base: str, restricted: str) -> None:
    assert restrict(expression, base) == restricted


def test_a_shared_parameter_under_one_type() -> None:
    assert parameters_for("MedicationRequest")["code"] == SearchParameter(
        code="code",
        type="token",
        expression="(MedicationRequest.medication as CodeableConcept)",
        targets=(),
        components=(),
        xpath_usage="normal",
        url=_SP + "clinical-code",
    )


def test_a_reference_parameter_names_its_targets() -> None:
    subject = parameters_for("ServiceRequest")["subject"]
    assert (subject.type, subject.expression) == ("reference", "ServiceRequest.subject")
    assert subject.targets == ("Device", "Group", "Location", "Patient")


def test_a_composite_names_its_components_by_code() -> None:
    composite = parameters_for("Observation")["component-code-value-quantity"]
    assert (composite.type, composite.expression) == ("composite", "Observation.component")
    assert composite.components == (
        ("component-code", "code"),
        ("component-value-quantity", "value.as(Quantity)"),
    )


def test_the_swapped_documentreference_relationship_components_are_corrected() -> None:
    relationship = parameters_for("DocumentReference")["relationship"]
    assert relationship.components == (("relatesto", "target"), ("relation", "code"))


@pytest.mark.parametrize(
    ("code", "expression"),
    [
        pytest.param("_id", "Resource.id", id="_id"),
        pytest.param("_lastUpdated", "Resource.meta.lastUpdated", id="_lastUpdated"),
        pytest.param("_tag", "Resource.meta.tag", id="_tag"),
        pytest.param("_profile", "Resource.meta.profile", id="_profile"),
        pytest.param("_security", "Resource.meta.security", id="_security"),
        pytest.param("_source", "Resource.meta.source", id="_source"),
    ],
)
@pytest.mark.parametrize("res_type", ["Patient", "Bundle"])
def test_every_type_has_the_common_parameters(res_type: str, code: str, expression: str) -> None:
    assert parameters_for(res_type)[code].expression == expression


@pytest.mark.parametrize(
    "code", [pytest.param(code, id=code) for code in ("_text", "_content", "_query", "_filter")]
)
def test_parameters_without_an_expression_are_not_listed(code: str) -> None:
    assert code not in parameters_for("Patient")


def test_what_is_not_a_resource_type_has_no_parameters() -> None:
    assert parameters_for("Referral") == {}


def test_phonetic_and_nearby_parameters_say_so() -> None:
    assert parameters_for("Patient")["phonetic"].xpath_usage == "phonetic"
    near = parameters_for("Location")["near"]
    assert (near.type, near.xpath_usage) == ("special", "nearby")


@pytest.mark.parametrize("res_type", RESOURCE_TYPE_NAMES)
def test_components_are_parameters_of_the_same_type(res_type: str) -> None:
    parameters = parameters_for(res_type)
    for parameter in parameters.values():
        assert all(code in parameters for code, _ in parameter.components)
