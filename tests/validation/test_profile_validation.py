"""Resources against profiles: each valid example conforms, and each mutation of one breaks
exactly one rule of its profile and gets exactly the one right issue, at the right path.

The profiles are the fixture guide's (tests/validation/profiles), one or more per rule:
cardinality in and out of slices, fixed and pattern values, bindings by strength, choice types,
reference targets (with contained targets checked against their profile), slicing by value,
pattern, type (through resolve()), exists, with open, closed, ordered and open-at-end rules,
extensions checked against their definitions, profile constraints and must-support.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from painfhir.fhir.outcome import Issue
from painfhir.fhir.structure import check_resource
from painfhir.terminology import ValueSetCodes
from painfhir.validation.profile import (
    bundle_resolver,
    claimed_profiles,
    validate_against_profile,
    validate_claimed_profiles,
)
from painfhir.validation.profile._bindings import BindingCheck
from painfhir.validation.profile._constraints import ConstraintCheck
from painfhir.validation.profile._run import Run
from tests.validation.profiles import CANONICAL, EXAMPLES, example, fixture_guide

Mutation = Callable[[dict[str, Any]], object]

REFERRAL = CANONICAL + "test-referral"
URGENT = CANONICAL + "test-urgent-referral"
PAIN_SCORE = CANONICAL + "test-pain-score"
PEG = CANONICAL + "test-peg"
MDT = CANONICAL + "test-mdt"
CONDITION = CANONICAL + "test-pain-condition"
PROFILE_OF = {
    "ServiceRequest-referral-1": REFERRAL,
    "ServiceRequest-urgent-1": URGENT,
    "Observation-pain-score-1": PAIN_SCORE,
    "Observation-peg-1": PEG,
    "CareTeam-mdt-1": MDT,
    "Condition-lbp-1": CONDITION,
}


def _validate(resource: dict[str, Any], url: str, **options: Any) -> list[Issue]:
    return validate_against_profile(resource, url, guide=fixture_guide(), **options)


def _at(resource: Any, path: str) -> Any:
    for step in path.split("."):
        resource = resource[int(step)] if step.isdigit() else resource[step]
    return resource


def set_(path: str, value: Any) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        parent, _, last = path.rpartition(".")
        holder: Any = _at(resource, parent) if parent else resource
        holder[int(last) if last.isdigit() else last] = value

    return mutate


def drop(path: str) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        parent, _, last = path.rpartition(".")
        holder: Any = _at(resource, parent) if parent else resource
        del holder[int(last) if last.isdigit() else last]

    return mutate


def append(path: str, value: Any) -> Mutation:
    return lambda resource: _at(resource, path).append(value)


def both(*mutations: Mutation) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(resource)

    return mutate


@pytest.mark.parametrize("name", sorted(PROFILE_OF))
def test_a_valid_example_conforms_with_no_issue_at_all(name: str) -> None:
    resource = example(name)
    assert check_resource(resource) == []
    assert _validate(resource, PROFILE_OF[name]) == []


def test_every_fixture_example_is_in_the_table() -> None:
    assert {path.stem for path in EXAMPLES.glob("*.json")} == set(PROFILE_OF)


SNOMED = "http://snomed.info/sct"
V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"

CASES = [
    # --- cardinality ------------------------------------------------------------------------
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        drop("requester"),
        ("error", "required", "ServiceRequest.requester", "ServiceRequest.requester is required"),
        id="min-1-element-missing",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        append("performer", {"reference": "Organization/other-clinic"}),
        ("error", "structure", "ServiceRequest.performer[1]", "allowed at most once; there are 2"),
        id="max-narrowed-to-1",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        drop("identifier.0.system"),
        (
            "error",
            "required",
            "ServiceRequest.identifier[0].system",
            "ServiceRequest.identifier:placer.system is required",
        ),
        id="min-inside-a-slice",
    ),
    pytest.param(
        "ServiceRequest-urgent-1",
        URGENT,
        drop("identifier.0.assigner"),
        (
            "error",
            "required",
            "ServiceRequest.identifier[0].assigner",
            "Test urgent chronic pain referral",
        ),
        id="min-added-by-a-profile-on-a-profile",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("extension.0.extension", [{"url": "x", "valueString": "y"}]),
        (
            "error",
            "structure",
            "ServiceRequest.extension[0].extension[0]",
            "Test pain duration': Extension.extension is not allowed",
        ),
        id="max-0-in-an-extension-definition",
    ),
    # --- fixed and pattern ------------------------------------------------------------------
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("intent", "plan"),
        ("error", "value", "ServiceRequest.intent", 'must be exactly "order", but is "plan"'),
        id="fixed-code",
    ),
    pytest.param(
        "ServiceRequest-urgent-1",
        URGENT,
        set_("priority", "routine"),
        ("error", "value", "ServiceRequest.priority", 'must be exactly "urgent"'),
        id="fixed-code-of-the-derived-profile",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        set_("code.coding.0.code", "72514-4"),
        ("error", "value", "Observation.code", "must match the pattern"),
        id="pattern-codeable-concept",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("extension.0.valueDuration.system", "http://example.org/units"),
        (
            "error",
            "value",
            "ServiceRequest.extension[0].valueDuration.system",
            'must be exactly "http://unitsofmeasure.org"',
        ),
        id="fixed-uri-inside-an-extension",
    ),
    # --- bindings ---------------------------------------------------------------------------
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("code.coding.0.code", "183545006"),
        (
            "error",
            "code-invalid",
            "ServiceRequest.code",
            "a required binding); found http://snomed.info/sct|183545006",
        ),
        id="required-binding-codeable-concept",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("code", {"text": "pain clinic"}),
        ("error", "code-invalid", "ServiceRequest.code", 'found only the text "pain clinic"'),
        id="required-binding-text-only",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("reasonCode.0.coding.0.code", "22253000"),
        ("warning", "code-invalid", "ServiceRequest.reasonCode[0]", "an extensible binding"),
        id="extensible-binding-outside",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("performerType.coding.0.code", "207Q00000X"),
        ("information", "code-invalid", "ServiceRequest.performerType", "a preferred binding"),
        id="preferred-binding-outside",
    ),
    pytest.param(
        "CareTeam-mdt-1",
        MDT,
        set_("participant.1.role.0.coding.0.code", "261QP3300X"),
        (
            "error",
            "code-invalid",
            "CareTeam.participant[1].role[0]",
            "CareTeam.participant:internal.role must be a code",
        ),
        id="required-binding-inside-a-slice",
    ),
    pytest.param(
        "Condition-lbp-1",
        CONDITION,
        set_("code.coding.0.code", "22253000"),
        ("error", "code-invalid", "Condition.code", "Test chronic pain conditions"),
        id="required-binding-painfhir-value-set",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("extension.0.valueDuration.code", "h"),
        (
            "error",
            "code-invalid",
            "ServiceRequest.extension[0].valueDuration.code",
            "Extension.valueDuration.code must be a code from the value set 'Test units of pain "
            "duration' (http://painfhir.org/fhir/ValueSet/test-duration-units, a required "
            "binding); found 'h'",
        ),
        id="required-binding-on-a-code",
    ),
    # --- types ------------------------------------------------------------------------------
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        both(drop("occurrencePeriod"), set_("occurrenceDateTime", "2024-03-01")),
        (
            "error",
            "structure",
            "ServiceRequest.occurrenceDateTime",
            "ServiceRequest.occurrence[x] must be Period; found occurrenceDateTime (dateTime)",
        ),
        id="choice-type-ruled-out",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        both(drop("valueInteger"), set_("valueString", "7")),
        ("error", "structure", "Observation.valueString", "must be integer; found valueString"),
        id="renamed-choice-other-type-given",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        drop("valueInteger"),
        ("error", "required", "Observation.valueInteger", "Observation.valueInteger is required"),
        id="renamed-choice-missing",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("extension.0", {"url": CANONICAL + "test-pain-duration", "valueString": "8 mo"}),
        (
            "error",
            "structure",
            "ServiceRequest.extension[0].valueString",
            "Extension.value[x] must be Duration",
        ),
        id="extension-value-type",
    ),
    # --- references -------------------------------------------------------------------------
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("subject.reference", "Group/g-1"),
        (
            "error",
            "structure",
            "ServiceRequest.subject",
            "must refer to Patient; found a reference to Group (Group/g-1)",
        ),
        id="target-type",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("requester", {"reference": "https://ehr.example/fhir/Patient/7"}),
        (
            "error",
            "structure",
            "ServiceRequest.requester",
            "must refer to Organization or Practitioner or PractitionerRole",
        ),
        id="target-type-absolute-url",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("contained.0.code.coding.0.code", "22253000"),
        (
            "error",
            "structure",
            "ServiceRequest.reasonReference[0]",
            "must refer to a Condition conforming to 'Test chronic pain condition'; #lbp does not",
        ),
        id="contained-target-profile",
    ),
    # --- slicing ----------------------------------------------------------------------------
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("identifier.0.type.coding.0.code", "VN"),
        (
            "error",
            "required",
            "ServiceRequest.identifier",
            "ServiceRequest.identifier:placer (entries matching slice 'placer') is required",
        ),
        id="pattern-discriminator-required-slice",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        append(
            "identifier",
            {
                "type": {"coding": [{"system": V2, "code": "PLAC"}]},
                "system": "urn:oid:1.2.3",
                "value": "other",
            },
        ),
        ("error", "structure", "ServiceRequest.identifier[2]", "allowed at most once"),
        id="slice-max",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        set_("category.0.coding.0.code", "306206005"),
        ("error", "required", "ServiceRequest.category", "slice 'referral'"),
        id="pattern-this-discriminator",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        set_("category.0.coding.0.code", "exam"),
        ("error", "required", "Observation.category", "slice 'survey'"),
        id="value-discriminators-on-fixed-children",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        both(
            *(
                append("supportingInfo", {"reference": f"MedicationStatement/{drug}"})
                for drug in ("gabapentin", "duloxetine", "naproxen")
            )
        ),
        (
            "error",
            "structure",
            "ServiceRequest.supportingInfo[5]",
            "supportingInfo:priorTreatment (entries matching slice 'priorTreatment') is allowed "
            "at most 3 times; there are 4",
        ),
        id="type-discriminator-through-resolve",
    ),
    pytest.param(
        "Observation-peg-1",
        PEG,
        append(
            "component",
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "91147-9"}]},
                "valueDecimal": 7,
            },
        ),
        (
            "error",
            "structure",
            "Observation.component[3]",
            "matches none of its slices (pain, enjoyment, activity), and no other entries are "
            "allowed (closed slicing)",
        ),
        id="closed-slicing",
    ),
    pytest.param(
        "Observation-peg-1",
        PEG,
        lambda r: r["component"].insert(0, r["component"].pop(1)),
        ("error", "structure", "Observation.component[1]", "out of order"),
        id="ordered-slicing",
    ),
    pytest.param(
        "CareTeam-mdt-1",
        MDT,
        lambda r: r["reasonCode"].reverse(),
        (
            "error",
            "structure",
            "CareTeam.reasonCode[1]",
            "entries matching no slice must come last",
        ),
        id="open-at-end-slicing",
    ),
    pytest.param(
        "CareTeam-mdt-1",
        MDT,
        drop("participant.1.role"),
        (
            "error",
            "required",
            "CareTeam.participant[1].role",
            "CareTeam.participant:internal.role is required",
        ),
        id="exists-discriminator",
    ),
    pytest.param(
        "Observation-peg-1",
        PEG,
        both(drop("component.2.valueInteger"), set_("component.2.valueString", "8")),
        (
            "error",
            "structure",
            "Observation.component[2].valueString",
            "Observation.component:activity.value[x] must be integer",
        ),
        id="choice-type-inside-a-slice",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        drop("extension.1.extension.0"),
        (
            "error",
            "required",
            "ServiceRequest.extension[1].extension",
            "Test referral source system': Extension.extension:system",
        ),
        id="complex-extension-sub-extension-missing",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        append(
            "extension",
            {
                "url": CANONICAL + "test-pain-duration",
                "valueDuration": {"value": 1, "system": "http://unitsofmeasure.org", "code": "a"},
            },
        ),
        (
            "error",
            "structure",
            "ServiceRequest.extension[2]",
            "ServiceRequest.extension:painDuration (entries matching slice 'painDuration') is "
            "allowed at most once",
        ),
        id="extension-cardinality",
    ),
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        lambda r: r["contained"].append({**r["contained"][0], "id": "neck"}),
        (
            "error",
            "structure",
            "ServiceRequest.contained[1]",
            "ServiceRequest.contained:painCondition (entries matching slice 'painCondition') "
            "is allowed at most once; there are 2",
        ),
        id="profile-discriminator",
    ),
    # --- constraints ------------------------------------------------------------------------
    pytest.param(
        "ServiceRequest-referral-1",
        REFERRAL,
        both(drop("reasonCode"), drop("reasonReference"), drop("note")),
        ("error", "invariant", "ServiceRequest", "ServiceRequest breaks tref-1: A referral gives"),
        id="profile-constraint",
    ),
    # --- maxLength, minValue[x], maxValue[x] ------------------------------------------------
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        set_("code.text", "Pain severity, 0 to 10 (NRS)"),
        ("error", "value", "Observation.code.text", "at most 20 characters long; it is 28"),
        id="max-length",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        set_("valueInteger", 11),
        ("error", "value", "Observation.valueInteger", "must be at most 10; it is 11"),
        id="max-value-integer",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        set_("valueInteger", -1),
        ("error", "value", "Observation.valueInteger", "must be at least 0; it is -1"),
        id="min-value-integer",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        set_("effectiveDateTime", "2000-01-01T00:30:00+01:00"),
        (
            "error",
            "value",
            "Observation.effectiveDateTime",
            "must be at least 2000-01-01T00:00:00Z; it is 2000-01-01T00:30:00+01:00",
        ),
        id="min-value-datetime",
    ),
    pytest.param(
        "Observation-pain-score-1",
        PAIN_SCORE,
        set_("effectiveDateTime", "1999-12"),
        ("error", "value", "Observation.effectiveDateTime", "it is 1999-12"),
        id="min-value-partial-date",
    ),
]


@pytest.mark.parametrize(("name", "url", "mutate", "expected"), CASES)
def test_a_mutation_gets_exactly_the_one_right_issue(
    name: str, url: str, mutate: Mutation, expected: tuple[str, str, str, str]
) -> None:
    resource = example(name)
    mutate(resource)
    issues = _validate(resource, url)
    assert len(issues) == 1, issues
    (issue,) = issues
    severity, code, expression, fragment = expected
    assert (issue.severity, issue.code, issue.expression) == (severity, code, expression)
    assert fragment in issue.diagnostics
    assert issue.diagnostics.startswith("Profile '")  # it names the profile


def test_must_support_elements_absent_are_reported_only_when_asked() -> None:
    referral = example("ServiceRequest-referral-1")
    del referral["insurance"], referral["extension"][0], referral["identifier"][1]
    assert _validate(referral, REFERRAL) == []
    issues = _validate(referral, REFERRAL, must_support=True)
    assert [(i.severity, i.code, i.expression) for i in issues] == [
        ("information", "informational", "ServiceRequest.extension"),
        ("information", "informational", "ServiceRequest.insurance"),
    ]
    assert "slice 'painDuration') is must-support" in issues[0].diagnostics


def test_must_support_under_an_element_with_nothing_else_to_check_is_reported() -> None:
    condition = example("Condition-lbp-1")
    assert _validate(condition, CONDITION, must_support=True) == []  # meta.lastUpdated is there
    del condition["meta"]["lastUpdated"]
    assert _validate(condition, CONDITION) == []
    issues = _validate(condition, CONDITION, must_support=True)
    assert [(i.severity, i.code, i.expression) for i in issues] == [
        ("information", "informational", "Condition.meta.lastUpdated")
    ]
    assert "Condition.meta.lastUpdated is must-support, and is absent" in issues[0].diagnostics


@pytest.mark.parametrize(
    "changes",
    [
        {"valueInteger": 0},
        {"valueInteger": 10},
        {"code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}], "text": "NRS"}},
        {"effectiveDateTime": "2000-01-01T01:00:00+01:00"},  # the limit itself
        {"effectiveDateTime": "2000"},  # may be on or after the limit
        {"effectiveDateTime": "2000-01-01"},
        {"effectiveDateTime": None, "effectivePeriod": {"start": "1990-01-01"}},  # a Period
    ],
)
def test_values_on_their_limits_or_not_comparable_pass(changes: dict[str, Any]) -> None:
    score = example("Observation-pain-score-1")
    score.update(changes)
    if score["effectiveDateTime"] is None:
        del score["effectiveDateTime"]
    assert _validate(score, PAIN_SCORE) == []


def test_bundle_internal_targets_are_checked_against_their_profile() -> None:
    referral = example("ServiceRequest-referral-1")
    condition = example("Condition-lbp-1")
    referral["reasonReference"] = [{"reference": "urn:uuid:6a0c1c59-3e9d-4d4b-8a52-0f6f4c3f1e21"}]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:6a0c1c59-3e9d-4d4b-8a52-0f6f4c3f1e21", "resource": condition},
            {"fullUrl": "urn:uuid:0c5e3c7e-02b8-4a43-a3d4-77b1c4a5d0a9", "resource": referral},
        ],
    }
    resolve = bundle_resolver(bundle)
    assert _validate(referral, REFERRAL, resolve=resolve) == []
    condition["code"]["coding"][0]["code"] = "22253000"
    (issue,) = _validate(referral, REFERRAL, resolve=resolve)
    assert issue.expression == "ServiceRequest.reasonReference[0]"
    assert "does not: Profile 'Test chronic pain condition': Condition.code" in issue.diagnostics


def test_an_unresolvable_target_is_checked_by_its_type_only() -> None:
    referral = example("ServiceRequest-referral-1")
    referral["reasonReference"] = [{"reference": "Condition/elsewhere"}]
    assert _validate(referral, REFERRAL) == []
    referral["reasonReference"] = [{"reference": "Observation/elsewhere"}]
    (issue,) = _validate(referral, REFERRAL)
    assert "must refer to Condition; found a reference to Observation" in issue.diagnostics


def test_a_resource_of_another_type_than_the_profiles() -> None:
    (issue,) = _validate(example("Condition-lbp-1"), REFERRAL)
    assert (issue.severity, issue.code) == ("error", "structure")
    assert "is for ServiceRequest resources, not Condition" in issue.diagnostics


def test_an_unknown_profile_is_an_error() -> None:
    (issue,) = _validate(example("Condition-lbp-1"), CANONICAL + "no-such-profile")
    assert (issue.severity, issue.code) == ("error", "not-found")


def test_claims_sort_known_unknown_and_foreign_profiles() -> None:
    referral = example("ServiceRequest-referral-1")
    referral["meta"]["profile"] = [
        REFERRAL + "|0.1.0",
        CANONICAL + "test-refferal",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-servicerequest",
        "http://hl7.org/fhir/StructureDefinition/ServiceRequest",
    ]
    known, issues = claimed_profiles(referral, guide=fixture_guide())
    assert known == [REFERRAL]
    assert [(i.severity, i.code, i.expression) for i in issues] == [
        ("error", "not-found", "ServiceRequest.meta.profile[1]"),
        ("warning", "not-supported", "ServiceRequest.meta.profile[2]"),
    ]
    assert "not known to painfhir: the resource was not checked" in issues[1].diagnostics


def test_validate_on_write_checks_every_claimed_profile() -> None:
    urgent = example("ServiceRequest-urgent-1")
    urgent["meta"]["profile"] = [REFERRAL, URGENT]
    urgent["intent"] = "plan"
    urgent["priority"] = "routine"
    issues = validate_claimed_profiles(urgent, guide=fixture_guide())
    assert [(i.expression, i.diagnostics.split(":")[0]) for i in issues] == [
        ("ServiceRequest.intent", "Profile 'Test chronic pain referral'"),
        ("ServiceRequest.intent", "Profile 'Test urgent chronic pain referral'"),
        ("ServiceRequest.priority", "Profile 'Test urgent chronic pain referral'"),
    ]


def test_a_resource_claiming_nothing_has_nothing_to_check() -> None:
    condition = example("Condition-lbp-1")
    del condition["meta"]
    assert validate_claimed_profiles(condition, guide=fixture_guide()) == []


def test_a_constraint_the_engine_cannot_compile_is_reported_not_passed() -> None:
    check = ConstraintCheck(
        {"key": "bad-1", "human": "never", "expression": "reasonCode.where("},
        "ServiceRequest",
        "ServiceRequest",
        "Profile 'x'",
    )
    run = Run(fixture_guide(), {}, must_support=False, resolve=None)
    check({}, "ServiceRequest", run)
    check({}, "ServiceRequest", run)
    (issue,) = run.issues  # once per run
    assert (issue.severity, issue.code) == ("information", "informational")
    assert "constraint bad-1 on ServiceRequest (never) was not evaluated" in issue.diagnostics


UCUM = "http://unitsofmeasure.org"


def test_a_binding_reads_codes_codings_quantities_and_concepts_by_their_shape() -> None:
    value_set = ValueSetCodes("http://example.org/vs", frozenset({(UCUM, "mo")}), frozenset({"mo"}))
    check = BindingCheck("required", value_set, "Months", "X.value", "Profile 'x'")
    run = Run(fixture_guide(), {}, must_support=False, resolve=None)
    inside = ["mo", {"system": UCUM, "code": "mo"}, {"value": 8, "system": UCUM, "code": "mo"}]
    for value in [
        *inside,
        {"coding": [{"system": SNOMED, "code": "1"}, {"system": UCUM, "code": "mo"}]},
    ]:
        check(value, "X.value", run)
    assert run.issues == []
    outside = ["h", {"system": UCUM, "code": "h"}, {"value": 8, "system": SNOMED, "code": "mo"}]
    for value in [*outside, {"coding": [{"system": UCUM, "code": "h"}]}]:
        check(value, "X.value", run)
    assert [issue.diagnostics.rsplit("found ", 1)[1] for issue in run.issues] == [
        "'h'",
        f"{UCUM}|h",
        f"{SNOMED}|mo",
        f"{UCUM}|h",
    ]
