"""Base R4 invariants: silent on valid R4, and exactly the right issue for each broken rule.

The official examples and the Synthea patients are valid R4: no error on any. Three official
examples have a narrative that is only whitespace, which R4's txt-2 text forbids ("The
narrative SHALL have some non-whitespace content") but the spec's own validator never checked;
painfhir reports txt-2 as a warning (see `painfhir.validation.invariants`), exactly there.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from painfhir.fhir.codec import parse_json
from painfhir.fhirpath import check_narrative, compile_fhirpath
from painfhir.fhirpath._model import parent_type
from painfhir.validation import invariants
from painfhir.validation.invariants import check_invariants
from tests.conftest import CORPORA

EXAMPLES = sorted((CORPORA / "fhir-r4-examples").glob("*.json"))
SYNTHEA = sorted((CORPORA / "synthea").glob("*.json"))
BLANK_NARRATIVE = {
    "ActivityDefinition-blood-tubes-supply": "ActivityDefinition.text.div",
    "ActivityDefinition-heart-valve-replacement": "ActivityDefinition.text.div",
    "Questionnaire-zika-virus-exposure-assessment": "Questionnaire.text.div",
}
TABLE = orjson.loads(Path(invariants.__file__).with_name("r4_invariants.json").read_bytes())


def _errors(resource: Any, severity: str = "error") -> list[tuple[str, str | None]]:
    return [
        (issue.diagnostics.split(":")[0], issue.expression)
        for issue in check_invariants(resource)
        if issue.severity == severity
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_official_examples_break_no_invariant(path: Path) -> None:
    resource = parse_json(path.read_bytes())
    assert _errors(resource) == []
    blank = [("txt-2", BLANK_NARRATIVE[path.stem])] if path.stem in BLANK_NARRATIVE else []
    assert [w for w in _errors(resource, "warning") if w[0] == "txt-2"] == blank


@pytest.mark.parametrize("path", SYNTHEA, ids=[p.stem[:20] for p in SYNTHEA])
def test_synthea_bundles_break_no_invariant(path: Path) -> None:
    assert _errors(parse_json(path.read_bytes())) == []


def test_the_corpora_are_there() -> None:
    assert len(EXAMPLES) == 352
    assert len(SYNTHEA) == 3


# A typical referral to the pain clinic, as a hospital EHR sends it: what the speed of
# check_invariants is measured on (see the module docstring of painfhir.validation.invariants).
REFERRAL: dict[str, Any] = {
    "resourceType": "ServiceRequest",
    "id": "referral-chronic-low-back-pain",
    "meta": {"profile": ["https://painfhir.example.org/fhir/StructureDefinition/pain-referral"]},
    "text": {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Referral to the pain clinic: '
        "chronic low back pain, 14 months, failed physiotherapy.</p></div>",
    },
    "identifier": [
        {
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC"}
                ]
            },
            "system": "urn:oid:2.16.840.1.113883.3.72.5.1",
            "value": "REF-2024-000731",
        }
    ],
    "status": "active",
    "intent": "order",
    "category": [
        {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "3457005",
                    "display": "Patient referral",
                }
            ]
        }
    ],
    "priority": "routine",
    "code": {
        "coding": [
            {
                "system": "http://snomed.info/sct",
                "code": "183924009",
                "display": "Referral to pain clinic",
            }
        ],
        "text": "Referral to pain clinic",
    },
    "subject": {"reference": "Patient/pat-1001", "display": "Dana Whitfield"},
    "authoredOn": "2024-03-05T09:41:00+01:00",
    "requester": {"reference": "Practitioner/gp-77", "display": "Dr. Amir Haddad"},
    "reasonCode": [
        {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "279039007",
                    "display": "Low back pain",
                }
            ]
        }
    ],
    "insurance": [{"reference": "Coverage/cov-1001"}],
    "supportingInfo": [
        {"reference": "Observation/peg-2024-02"},
        {"reference": "DocumentReference/mri-lumbar-2023"},
    ],
    "note": [
        {
            "authorReference": {"reference": "Practitioner/gp-77"},
            "time": "2024-03-05T09:41:00+01:00",
            "text": "Opioid-naive; please assess for a multidisciplinary programme.",
        }
    ],
}


def test_a_typical_referral_is_valid() -> None:
    assert check_invariants(REFERRAL) == []


# --- mutations: each breaks exactly one rule ---------------------------------------------------

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">ok</div>'}
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"


def _resource(resource_type: str, /, **elements: Any) -> dict[str, Any]:
    return {"resourceType": resource_type, "id": "x", "text": NARRATIVE, **elements}


def _observation(**elements: Any) -> dict[str, Any]:
    code = {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]}
    return _resource("Observation", status="final", code=code, **elements)


def _condition(**elements: Any) -> dict[str, Any]:
    return _resource("Condition", subject={"reference": "Patient/p"}, **elements)


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ORG = {"resourceType": "Organization", "id": "org", "name": "Pain clinic"}
DOSAGE_TIMING = {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d", "duration": 30}}

MUTATIONS = [
    pytest.param(
        _resource(
            "Patient",
            contained=[
                {
                    **ORG,
                    "contained": [
                        {
                            "resourceType": "Endpoint",
                            "id": "ep",
                            "managingOrganization": {"reference": "#"},
                        }
                    ],
                }
            ],
            managingOrganization={"reference": "#org"},
        ),
        "dom-2",
        "error",
        "Patient",
        id="dom-2 nested contained",
    ),
    pytest.param(
        _resource("Patient", contained=[ORG]),
        "dom-3",
        "error",
        "Patient",
        id="dom-3 contained but not referenced",
    ),
    pytest.param(
        _resource(
            "Patient",
            contained=[{**ORG, "meta": {"versionId": "2"}}],
            managingOrganization={"reference": "#org"},
        ),
        "dom-4",
        "error",
        "Patient",
        id="dom-4 contained with a version",
    ),
    pytest.param(
        _resource(
            "Patient",
            contained=[{**ORG, "meta": {"security": [{"code": "R"}]}}],
            managingOrganization={"reference": "#org"},
        ),
        "dom-5",
        "error",
        "Patient",
        id="dom-5 contained with a security label",
    ),
    pytest.param(
        {"resourceType": "Patient", "id": "x"},
        "dom-6",
        "warning",
        "Patient",
        id="dom-6 no narrative",
    ),
    pytest.param(
        _resource("Patient", name=[{"id": "n1"}]),
        "ele-1",
        "error",
        "Patient.name[0]",
        id="ele-1 an element with only an id",
    ),
    pytest.param(
        _resource("Patient", _birthDate={"id": "b1"}),
        "ele-1",
        "error",
        "Patient.birthDate",
        id="ele-1 a primitive without value or extension",
    ),
    pytest.param(
        _resource(
            "Patient",
            extension=[
                {
                    "url": "http://example.org/a",
                    "valueString": "x",
                    "extension": [{"url": "b", "valueString": "y"}],
                }
            ],
        ),
        "ext-1",
        "error",
        "Patient.extension[0]",
        id="ext-1 value and extensions",
    ),
    pytest.param(
        _resource("Patient", gender="female", _gender={"extension": [{"url": "http://x.org/e"}]}),
        "ext-1",
        "error",
        "Patient.gender.extension[0]",
        id="ext-1 on a primitive's extension",
    ),
    pytest.param(
        _observation(subject={"reference": "#missing"}),
        "ref-1",
        "error",
        "Observation.subject",
        id="ref-1 no such contained resource",
    ),
    pytest.param(
        _resource(
            "Encounter",
            status="finished",
            **{
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "AMB",
                }
            },
            period={"start": "2024-03-05T10:00:00Z", "end": "2024-03-05T09:00:00Z"},
        ),
        "per-1",
        "error",
        "Encounter.period",
        id="per-1 end before start",
    ),
    pytest.param(
        _observation(valueQuantity={"value": 7, "code": "{score}"}),
        "qty-3",
        "error",
        "Observation.valueQuantity",
        id="qty-3 a unit code without system",
    ),
    pytest.param(
        _observation(
            valueQuantity={"value": 7, "system": UCUM, "code": "{score}"},
            dataAbsentReason=_concept(
                "http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown"
            ),
        ),
        "obs-6",
        "error",
        "Observation",
        id="obs-6 value and dataAbsentReason",
    ),
    pytest.param(
        _observation(
            valueQuantity={"value": 7, "system": UCUM, "code": "{score}"},
            component=[
                {
                    "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                    "valueInteger": 7,
                }
            ],
        ),
        "obs-7",
        "error",
        "Observation",
        id="obs-7 a component repeats the code",
    ),
    pytest.param(
        _observation(referenceRange=[{"appliesTo": [{"text": "adults"}]}]),
        "obs-3",
        "error",
        "Observation.referenceRange[0]",
        id="obs-3 an empty range",
    ),
    pytest.param(
        _observation(
            referenceRange=[{"low": {"value": 1, "comparator": ">", "system": UCUM, "code": "1"}}]
        ),
        "sqty-1",
        "error",
        "Observation.referenceRange[0].low",
        id="sqty-1 a SimpleQuantity",
    ),
    pytest.param(
        _observation(
            valueRange={
                "low": {"value": 5, "system": UCUM, "code": "1"},
                "high": {"value": 3, "system": UCUM, "code": "1"},
            }
        ),
        "rng-2",
        "error",
        "Observation.valueRange",
        id="rng-2 low above high",
    ),
    pytest.param(
        _resource(
            "ServiceRequest",
            status="active",
            intent="order",
            subject={"reference": "Patient/p"},
            orderDetail=[{"text": "lumbar facet injection"}],
        ),
        "prr-1",
        "error",
        "ServiceRequest",
        id="prr-1 orderDetail without code",
    ),
    pytest.param(
        _condition(category=[_concept(CATEGORY, "problem-list-item")]),
        "con-3",
        "warning",
        "Condition",
        id="con-3 a problem without clinicalStatus",
    ),
    pytest.param(
        _condition(clinicalStatus=_concept(CLINICAL, "active"), abatementDateTime="2024-01-01"),
        "con-4",
        "error",
        "Condition",
        id="con-4 abated but active",
    ),
    pytest.param(
        _condition(
            clinicalStatus=_concept(CLINICAL, "active"),
            verificationStatus=_concept(VERIFICATION, "entered-in-error"),
        ),
        "con-5",
        "error",
        "Condition",
        id="con-5 entered in error with a clinicalStatus",
    ),
    pytest.param(
        _condition(onsetAge={"value": 42}),
        "age-1",
        "error",
        "Condition.onsetAge",
        id="age-1 an Age without unit",
    ),
    pytest.param(
        _resource(
            "Patient",
            text={
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script>a</div>',
            },
        ),
        "txt-1",
        "error",
        "Patient.text.div",
        id="txt-1 a script in the narrative",
    ),
    pytest.param(
        _resource(
            "Patient",
            text={
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"> </div>',
            },
        ),
        "txt-2",
        "warning",
        "Patient.text.div",
        id="txt-2 a blank narrative",
    ),
    pytest.param(
        _resource(
            "StructureDefinition",
            url="https://painfhir.example.org/fhir/StructureDefinition/PainDiary",
            name="PainDiary",
            status="draft",
            kind="logical",
            abstract=False,
            type="PainDiary",
            differential={"element": [{"id": "PainDiary", "path": "PainDiary"}]},
        ),
        "sdf-4",
        "error",
        "StructureDefinition",
        id="sdf-4 concrete without a base",
    ),
    pytest.param(
        _resource(
            "Questionnaire",
            status="active",
            item=[{"linkId": "1", "text": "Pain", "type": "group"}],
        ),
        "que-1",
        "error",
        "Questionnaire.item[0]",
        id="que-1 a group without items",
    ),
    pytest.param(
        _resource(
            "Questionnaire",
            status="active",
            item=[
                {"linkId": "1", "text": "Pain now?", "type": "boolean"},
                {
                    "linkId": "2",
                    "text": "Where?",
                    "type": "string",
                    "enableWhen": [
                        {"question": "1", "operator": "=", "answerBoolean": True},
                        {"question": "1", "operator": "exists", "answerBoolean": True},
                    ],
                },
            ],
        ),
        "que-12",
        "error",
        "Questionnaire.item[1]",
        id="que-12 two enableWhen, no behaviour",
    ),
    pytest.param(
        _resource(
            "Questionnaire",
            status="active",
            item=[
                {"linkId": "1", "text": "Pain now?", "type": "boolean"},
                {
                    "linkId": "2",
                    "text": "Where?",
                    "type": "string",
                    "enableWhen": [{"question": "1", "operator": "exists", "answerString": "y"}],
                },
            ],
        ),
        "que-7",
        "error",
        "Questionnaire.item[1].enableWhen[0]",
        id="que-7 exists wants a boolean",
    ),
    pytest.param(
        _resource("Bundle", type="collection", total=1),
        "bdl-1",
        "error",
        "Bundle",
        id="bdl-1 a total outside a search",
    ),
    pytest.param(
        _resource(
            "Bundle",
            type="collection",
            entry=[
                {
                    "fullUrl": "https://ehr.example.org/fhir/Patient/p/_history/1",
                    "resource": _resource("Patient"),
                }
            ],
        ),
        "bdl-8",
        "error",
        "Bundle.entry[0]",
        id="bdl-8 a versioned fullUrl",
    ),
    pytest.param(
        _resource(
            "Bundle",
            type="collection",
            entry=[
                {
                    "resource": _condition(
                        clinicalStatus=_concept(CLINICAL, "active"), abatementDateTime="2024-01-01"
                    )
                }
            ],
        ),
        "con-4",
        "error",
        "Bundle.entry[0].resource",
        id="an entry's resource is checked",
    ),
    pytest.param(
        _resource(
            "DiagnosticReport",
            status="final",
            code={"text": "Pain assessment"},
            contained=[
                {
                    "resourceType": "Observation",
                    "id": "o",
                    "status": "final",
                    "code": {"text": "PEG"},
                    "valueInteger": 6,
                    "dataAbsentReason": {"text": "asked"},
                }
            ],
            result=[{"reference": "#o"}],
        ),
        "obs-6",
        "error",
        "DiagnosticReport.contained[0]",
        id="a contained resource is checked",
    ),
    pytest.param(
        _resource(
            "MedicationRequest",
            status="active",
            intent="order",
            medicationCodeableConcept=_concept(SNOMED, "322236009"),
            subject={"reference": "Patient/p"},
            dosageInstruction=[{"text": "1 tablet twice a day", "timing": DOSAGE_TIMING}],
        ),
        "tim-1",
        "error",
        "MedicationRequest.dosageInstruction[0].timing.repeat",
        id="tim-1 an opioid dose duration without unit",
    ),
    pytest.param(
        _resource(
            "RiskAssessment",
            status="final",
            subject={"reference": "Patient/p"},
            prediction=[{"outcome": {"text": "opioid use disorder"}, "probabilityDecimal": 120}],
        ),
        "ras-2",
        "error",
        "RiskAssessment.prediction[0]",
        id="ras-2 a probability over 100",
    ),
]


@pytest.mark.parametrize(("resource", "key", "severity", "expression"), MUTATIONS)
def test_a_broken_rule_is_reported_once_where_it_is_broken(
    resource: dict[str, Any], key: str, severity: str, expression: str
) -> None:
    issues = check_invariants(copy.deepcopy(resource))
    assert [(i.severity, i.code, i.diagnostics.split(":")[0], i.expression) for i in issues] == [
        (severity, "invariant", key, expression)
    ]
    (issue,) = issues
    human = (
        next(row[2] for rows in TABLE["constraints"].values() for row in rows if row[0] == key)
        if key != "ele-1"
        else TABLE["everyElement"][0][2]
    )
    assert issue.diagnostics.startswith(f"{key}: {human}")


def test_the_mutations_are_many() -> None:
    assert len(MUTATIONS) >= 25


# --- the specialised checks mean what R4's expressions mean -----------------------------------

ELE_1 = compile_fhirpath(TABLE["everyElement"][0][3])
ELEMENTS = [
    pytest.param(("HumanName", {"id": "n"}, None), False, id="only an id"),
    pytest.param(("HumanName", {"id": "n", "text": "A"}, None), True, id="an id and a child"),
    pytest.param(("date", None, {"id": "d"}), False, id="a primitive with only an id"),
    pytest.param(("date", None, {"extension": [{"url": "u", "valueCode": "x"}]}), True),
    pytest.param(("date", "2024", None), True, id="a primitive with a value"),
]


@pytest.mark.parametrize(("node", "holds"), ELEMENTS)
def test_ele_1_in_python_agrees_with_its_fhirpath(node: Any, holds: bool) -> None:
    assert ELE_1.holds(node, resource={"resourceType": "Patient"}) is holds
    kind, value, extras = node
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "text": NARRATIVE}
    if kind == "HumanName":
        patient["name"] = [value]
    else:
        patient["birthDate"] = value
        patient["_birthDate"] = extras
    reported = [i for i in check_invariants(patient) if i.diagnostics.startswith("ele-1")]
    assert (not reported) is holds


def test_ele_1_holds_everywhere_in_the_examples_as_fhirpath_says() -> None:
    broken = compile_fhirpath(f"descendants().where(({ELE_1.text}).not())")
    for path in EXAMPLES[::7]:
        resource = parse_json(path.read_bytes())
        assert broken.evaluate(resource, resource=resource) == [], path.stem


DIVS = [
    '<div xmlns="http://www.w3.org/1999/xhtml"><p>Pain 7/10</p></div>',
    '<div xmlns="http://www.w3.org/1999/xhtml"> </div>',
    '<div xmlns="http://www.w3.org/1999/xhtml"><object data="x"/></div>',
    '<div xmlns="http://www.w3.org/1999/xhtml"><object data="x">text</object></div>',
    '<div xmlns="http://www.w3.org/1999/xhtml"><img src="#a"/></div>',
]


@pytest.mark.parametrize("div", DIVS)
def test_txt_1_and_txt_2_together_are_html_checks(div: str) -> None:
    check = check_narrative(div)
    together = check.markup_problem is None and check.has_content
    node = ("xhtml", div, None)
    assert compile_fhirpath("htmlChecks()").holds(node, resource={"resourceType": "Basic"}) is (
        together
    )


# --- the table --------------------------------------------------------------------------------


def test_the_type_hierarchy_of_the_table_is_the_engines() -> None:
    for type_name, base in TABLE["bases"].items():
        assert parent_type(type_name) == base, type_name


def test_every_constraint_compiles_and_every_amendment_is_explained() -> None:
    rows = [row for rows in TABLE["constraints"].values() for row in rows]
    for key, severity, human, expression in rows:
        assert severity in ("error", "warning") and human, key
        compile_fhirpath(expression)
    for key, amendment in TABLE["amended"].items():
        assert amendment["reason"]
        assert any(row[0] == key and row[3] != amendment["published"] for row in rows), key
