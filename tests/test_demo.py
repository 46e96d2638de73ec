"""The demo referral bundles: valid R4, self-contained, idempotent to load, deterministic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from painfhir.demo import demo_bundles, demo_clinic

Resource = dict[str, Any]

CLINIC = "Organization/painfhir-clinic"
BUNDLES = demo_bundles(CLINIC)
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _resources(bundle: Resource) -> list[Resource]:
    return [entry["resource"] for entry in bundle["entry"]]


def _of_type(bundle: Resource, resource_type: str) -> list[Resource]:
    return [r for r in _resources(bundle) if r["resourceType"] == resource_type]


def _references(node: Any) -> Iterator[str]:
    """Every Reference.reference anywhere in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _codes(concept: Resource, system: str) -> set[str]:
    return {c["code"] for c in concept.get("coding", []) if c["system"] == system}


def _npi_valid(npi: str) -> bool:
    """Luhn check over the NPI with the 80840 card-issuer prefix."""
    total = 0
    for i, ch in enumerate(reversed("80840" + npi)):
        digit = int(ch) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return len(npi) == 10 and total % 10 == 0


def test_three_transaction_bundles() -> None:
    assert len(BUNDLES) == 3
    for bundle in BUNDLES:
        assert bundle["resourceType"] == "Bundle"
        assert bundle["type"] == "transaction"


@pytest.mark.parametrize("index", range(3))
def test_every_resource_validates_as_r4(index: int) -> None:
    bundle = BUNDLES[index]
    get_fhir_model_class("Bundle").model_validate(bundle)
    for resource in _resources(bundle):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.mark.parametrize("index", range(3))
def test_references_resolve_inside_the_bundle(index: int) -> None:
    bundle = BUNDLES[index]
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    assert all(url.startswith("urn:uuid:") for url in full_urls)
    refs = list(_references(bundle))
    assert refs
    assert set(refs) - set(full_urls) == {CLINIC}  # stored before the bundles


@pytest.mark.parametrize("index", range(3))
def test_every_entry_is_a_conditional_create_on_its_identifier(index: int) -> None:
    conditions = []
    for entry in BUNDLES[index]["entry"]:
        resource, request = entry["resource"], entry["request"]
        assert request["method"] == "POST"
        assert request["url"] == resource["resourceType"]
        ident = resource["identifier"][0]
        assert request["ifNoneExist"] == f"identifier={ident['system']}|{ident['value']}"
        conditions.append((request["url"], request["ifNoneExist"]))
    assert len(conditions) == len(set(conditions))


def test_deterministic() -> None:
    assert json.dumps(demo_bundles(CLINIC), sort_keys=True) == json.dumps(BUNDLES, sort_keys=True)


def test_the_referrals_go_to_the_configured_clinic() -> None:
    clinic = demo_clinic("Organization/pain-west")
    assert clinic["id"] == "pain-west"
    assert clinic["name"] == "painfhir demo pain clinic"
    for bundle in demo_bundles("Organization/pain-west"):
        [request] = _of_type(bundle, "ServiceRequest")
        assert request["performer"][0]["reference"] == "Organization/pain-west"


@pytest.mark.parametrize("index", range(3))
def test_referral_service_request(index: int) -> None:
    bundle = BUNDLES[index]
    by_url: dict[str, Resource] = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    [request] = _of_type(bundle, "ServiceRequest")
    assert request["status"] == "active"
    assert request["intent"] == "order"
    assert _codes(request["category"][0], SNOMED) == {"3457005"}
    assert _codes(request["code"], SNOMED) <= {"408957008", "278414003"}
    assert request["note"][0]["text"]
    [placer] = request["identifier"]
    assert placer["type"]["coding"][0]["code"] == "PLAC"

    def target(ref: Resource) -> Resource:
        return by_url[ref["reference"]]

    assert target(request["subject"])["resourceType"] == "Patient"
    assert target(request["requester"])["resourceType"] == "Practitioner"
    assert request["performer"][0]["reference"] == CLINIC
    coverage = target(request["insurance"][0])
    assert coverage["resourceType"] == "Coverage"
    assert target(coverage["payor"][0])["resourceType"] == "Organization"
    reasons = {target(r)["resourceType"] for r in request["reasonReference"]}
    assert reasons == {"Condition"}
    supporting = {target(r)["resourceType"] for r in request["supportingInfo"]}
    assert "MedicationStatement" in supporting
    assert "Procedure" in supporting


@pytest.mark.parametrize("index", range(3))
def test_conditions_are_chronic_and_coded(index: int) -> None:
    bundle = BUNDLES[index]
    [request] = _of_type(bundle, "ServiceRequest")
    referred = date.fromisoformat(request["authoredOn"])
    conditions = _of_type(bundle, "Condition")
    assert conditions
    for condition in conditions:
        assert _codes(condition["code"], ICD10CM)
        onset = date.fromisoformat(condition["onsetDateTime"])
        assert (referred - onset).days > 92, "chronic pain lasts more than three months"
    # the first condition is the chronic pain diagnosis, coded in SNOMED too
    assert _codes(conditions[0]["code"], SNOMED)


def test_the_three_clinical_pictures() -> None:
    def codes(bundle: Resource) -> set[str]:
        return {
            coding["code"]
            for condition in _of_type(bundle, "Condition")
            for coding in condition["code"]["coding"]
        }

    low_back, fibromyalgia, neuropathic = (codes(b) for b in BUNDLES)
    assert {"278860009", "M54.50", "G89.29", "M54.16"} <= low_back
    assert {"203082005", "M79.7"} <= fibromyalgia
    assert {"247398009", "M79.2", "Z79.891"} <= neuropathic
    reports = _of_type(BUNDLES[0], "DiagnosticReport")
    assert reports
    assert reports[0]["conclusion"]
    medications = {
        coding["code"]
        for statement in _of_type(BUNDLES[2], "MedicationStatement")
        for coding in statement["medicationCodeableConcept"]["coding"]
    }
    assert "1049683" in medications  # oxycodone hydrochloride 10 MG Oral Tablet


def test_npis_carry_a_valid_check_digit() -> None:
    npis = [
        ident["value"]
        for bundle in BUNDLES
        for resource in _resources(bundle)
        for ident in resource["identifier"]
        if ident["system"] == "http://hl7.org/fhir/sid/us-npi"
    ]
    assert len(npis) >= 6
    assert all(_npi_valid(npi) for npi in npis), npis
