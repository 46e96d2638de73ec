"""The shared HL7 v2 corpus mapped by the built-in hl7v2 module: valid R4, references that
resolve within the Bundle, strings that come from the input, the referral on its profile,
and the resource kinds FHIR-Converter's expected output (a coverage oracle) has too."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from painfhir.mapping import MappingError, Mappings
from painfhir.mapping.v2fhir import REFERRAL_PROFILE

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpora" / "hl7v2"
ORACLE = CORPUS / "fhir-converter-expected"
MAPPINGS = Mappings.discover()
REPOSITORY = Path(__file__).parents[2]
# strings the mapping may write without reading them: FHIR's own codes for required
# elements and the Bundle's structure
STRUCTURAL_KEYS = {
    "resourceType",
    "id",
    "fullUrl",
    "reference",
    "method",
    "url",
    "ifNoneExist",  # the referral Task's search on its placer identifier, from the input
    "type",
    "status",
    "intent",
    "contentType",
    "data",
    "use",  # ClaimResponse: preauthorization, R4's required code for what AUT is
    "outcome",  # ClaimResponse: complete, the payer has decided
}

# the code system of AllergyIntolerance.clinicalStatus, which R4 requires (ait-1) and AL1
# does not carry: AL1 lists the allergies the patient has now
REQUIRED_STATUS_SYSTEMS = {"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"}

# the kinds both sides produce; FHIR-Converter also makes Provenance, MessageHeader,
# Location, Device, RelatedPerson, Account (docs/mapping.md says why not here)
SHARED_KINDS = {
    "REF-I12-01": {
        "ClaimResponse",
        "Patient",
        "ServiceRequest",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Condition",
        "Coverage",
        "Encounter",
        "AllergyIntolerance",
        "Procedure",
        "Observation",
        "DiagnosticReport",
    },
    "OMG-O19-01": {
        "Patient",
        "ServiceRequest",
        "Practitioner",
        "Organization",
        "Condition",
        "Coverage",
        "Encounter",
        "AllergyIntolerance",
        "Observation",
    },
    "ORM-O01-01": {
        "Patient",
        "ServiceRequest",
        "Practitioner",
        "Condition",
        "Encounter",
        "AllergyIntolerance",
        "Observation",
    },
    "ORM-O01-02": {
        "Patient",
        "ServiceRequest",
        "Practitioner",
        "Condition",
        "Coverage",
        "Encounter",
        "AllergyIntolerance",
        "Observation",
    },
    "ORM-O01-03": {"Patient", "ServiceRequest", "Practitioner", "Condition", "Encounter"},
    "OML-O21-01": {
        "Patient",
        "ServiceRequest",
        "Practitioner",
        "Condition",
        "Coverage",
        "Encounter",
        "AllergyIntolerance",
        "Observation",
    },
    "RDE-O11-01": {"Patient", "MedicationRequest", "Practitioner", "Coverage", "Encounter"},
}
DATE_TIME = re.compile(r"\d{4}(-\d\d(-\d\d(T[\d:.]+([+-]\d\d:\d\d|Z))?)?)?")
MAPPED = [pytest.param(name, id=name) for name in [*SHARED_KINDS, "REF-I14-01"]]


def mapped(name: str) -> dict[str, Any]:
    return MAPPINGS.map((CORPUS / f"{name}.hl7").read_bytes()).bundle


def strings(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for child_key, value in node.items():
            yield from strings(value, child_key)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item, key)
    elif isinstance(node, str):
        yield key, node


def allowed_strings() -> set[str]:
    """Every string in the module's ConceptMaps and in the painfhir profiles."""
    found: set[str] = set()
    for path in [
        *REPOSITORY.glob("mappings/hl7v2/conceptmaps/*.json"),
        *REPOSITORY.glob("profiles/*.json"),
    ]:
        found.update(value for _, value in strings(orjson.loads(path.read_bytes())))
    return found


def is_from(value: str, source: str) -> bool:
    """`value` is made of the input's characters: a date or time by its digits (as far as
    the input gave them), anything else by its letters and digits."""
    if DATE_TIME.fullmatch(value):
        digits = re.sub(r"\D", "", value.split("T", maxsplit=1)[0] + value[10:16])
        return digits in re.sub(r"\D", "", source)
    return alphanumerics(value.removeprefix("urn:oid:")) in alphanumerics(source)


def alphanumerics(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text).lower()


@pytest.mark.parametrize("name", MAPPED)
def test_the_bundle_is_valid_r4_with_references_inside_it(name: str) -> None:
    result = MAPPINGS.map((CORPUS / f"{name}.hl7").read_bytes())
    assert [i for i in result.issues if i.severity in ("error", "fatal")] == []
    full_urls = {entry["fullUrl"] for entry in result.bundle["entry"]}
    references = [v for k, v in strings(result.bundle) if k == "reference"]
    assert set(references) <= full_urls


@pytest.mark.parametrize("name", MAPPED)
def test_every_string_comes_from_the_input_or_a_conceptmap(name: str) -> None:
    source = (CORPUS / f"{name}.hl7").read_text(encoding="utf-8-sig")
    allowed = allowed_strings()
    invented = [
        (key, value)
        for key, value in strings(mapped(name))
        if key not in STRUCTURAL_KEYS
        and value not in allowed | REQUIRED_STATUS_SYSTEMS
        and not is_from(value, source)
    ]
    assert invented == []


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in ("REF-I12-01", "OMG-O19-01")])
def test_the_referral_claims_the_profile_and_has_its_task(name: str) -> None:
    resources = [entry["resource"] for entry in mapped(name)["entry"]]
    (request,) = [r for r in resources if r["resourceType"] == "ServiceRequest"]
    (task,) = [r for r in resources if r["resourceType"] == "Task"]
    assert request["meta"]["profile"] == [REFERRAL_PROFILE]
    assert task["focus"]["reference"] == f"urn:uuid:{request['id']}"
    assert task["businessStatus"]["coding"][0]["code"] == "2.0"


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in SHARED_KINDS])
def test_the_oracle_s_kinds_are_covered(name: str) -> None:
    oracle = orjson.loads((ORACLE / f"{name}-expected.json").read_bytes())
    oracle_kinds = Counter(e["resource"]["resourceType"] for e in oracle["entry"])
    ours = Counter(e["resource"]["resourceType"] for e in mapped(name)["entry"])
    assert SHARED_KINDS[name] <= set(oracle_kinds) & set(ours)
    oracle_patient = next(
        e["resource"] for e in oracle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    (our_patient,) = [
        e["resource"] for e in mapped(name)["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert our_patient["name"][0]["family"] == oracle_patient["name"][0]["family"]
    assert our_patient.get("birthDate") == oracle_patient.get("birthDate")


def test_a_resend_maps_to_the_same_ids() -> None:
    assert mapped("REF-I12-01") == mapped("REF-I12-01")


def test_a_cancellation_patches_the_referral_s_task() -> None:
    referral = mapped("REF-I12-01")
    (task,) = [e for e in referral["entry"] if e["resource"]["resourceType"] == "Task"]
    (entry,) = mapped("REF-I14-01")["entry"]
    # The Task is created only if none has its placer identifier; the PATCH finds it by it.
    criteria = task["request"]["ifNoneExist"]
    assert entry["request"] == {"method": "PATCH", "url": f"Task?{criteria}"}


def test_the_referrals_prior_authorization_is_a_preauthorization_claim_response() -> None:
    resources = [entry["resource"] for entry in mapped("REF-I12-01")["entry"]]
    by_url = {entry["fullUrl"]: entry["resource"] for entry in mapped("REF-I12-01")["entry"]}
    (request,) = [r for r in resources if r["resourceType"] == "ServiceRequest"]
    # the AUT after RF1 is the referral's; the one in the PROCEDURE group a past procedure's
    (authorization,) = [r for r in resources if r["resourceType"] == "ClaimResponse"]
    insured = [by_url[i["reference"]]["resourceType"] for i in request["insurance"]]
    assert insured == ["Coverage", "ClaimResponse"]
    assert authorization["use"] == "preauthorization"
    assert authorization["preAuthRef"] == "HL71001111111111"  # AUT-6
    assert authorization["preAuthPeriod"] == {"start": "2022-01-10", "end": "2022-03-10"}
    assert authorization["created"] == "2022-03-10"  # AUT-10, the process date
    assert authorization["type"]["coding"][0]["code"] == "professional"
    assert authorization["patient"] == request["subject"]
    insurer = by_url[authorization["insurer"]["reference"]]
    assert (insurer["identifier"], insurer["name"]) == ([{"value": "HC02"}], "HIIC(MI State Code)")


def test_an_authorization_of_a_referral_without_a_type_code_is_kept() -> None:
    source = (CORPUS / "REF-I12-01.hl7").read_text(encoding="utf-8-sig")
    untyped = source.replace("|Med^Medical^HL70281|", "|^Medical|")
    assert untyped != source
    bundle = MAPPINGS.map(untyped.encode()).bundle
    (authorization,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ClaimResponse"
    ]
    # a type the ConceptMap does not list, none included: its `unmapped` rule decides
    assert authorization["type"]["coding"][0]["code"] == "professional"


def test_an_authorization_with_an_impossible_date_fails_the_message_naming_the_field() -> None:
    source = (CORPUS / "REF-I12-01.hl7").read_text(encoding="utf-8-sig")
    broken = source.replace("|HIIC(MI State Code)|20220110|", "|HIIC(MI State Code)|20221399|", 1)
    assert broken != source
    with pytest.raises(MappingError) as failed:
        MAPPINGS.map(broken.encode())
    assert (failed.value.segment, failed.value.field) == ("AUT", 4)


def test_a_referral_type_no_map_turns_into_a_service_has_no_coded_service() -> None:
    source = (CORPUS / "REF-I12-01.hl7").read_text(encoding="utf-8-sig")
    local = source.replace("|Med^Medical^HL70281|", "|ZZZ^Local thing^L|")
    assert local != source
    bundle = MAPPINGS.map(local.encode()).bundle
    (request,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    ]
    # table 0281's map to claim types (for the authorization) says nothing of the service
    assert request["code"] == {"text": "Local thing"}


def test_the_trace_gives_the_authorization_its_number_and_type() -> None:
    source = (CORPUS / "REF-I12-01.hl7").read_bytes()
    trace = MAPPINGS.map(source, trace=True).trace
    assert trace is not None
    uses = {(use.source, use.target.split(".", 1)[1]) for use in trace.uses}
    targets = {use.target.split("/")[0] for use in trace.uses if use.source == "AUT[1]-6[1].1.1"}
    assert targets == {"ClaimResponse"}
    assert ("RF1[1]-3[1].1.1", "type.coding[0].code") in uses
    assert ("AUT[1]-2[1].1.1", "identifier[0].value") in uses  # the payer's


def test_an_authorization_without_its_number_leaves_no_payer_behind() -> None:
    source = (CORPUS / "REF-I12-01.hl7").read_text(encoding="utf-8-sig")
    unnumbered = source.replace("|HL71001111111111|", "||", 1)
    assert unnumbered != source
    bundle = MAPPINGS.map(unnumbered.encode()).bundle
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert "ClaimResponse" not in {r["resourceType"] for r in resources}
    payers = [r for r in resources if r.get("identifier") == [{"value": "HC02"}]]
    assert payers == []  # AUT-2's payer, which nothing would refer to
