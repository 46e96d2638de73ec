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
from painfhir.fhirpath import FhirPathError, check_narrative, compile_fhirpath
from painfhir.fhirpath._model import fhir_is, parent_type
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
        _observation(
            performer=[{"reference": "Practitioner/p"}, {"reference": "#nobody"}],
            hasMember=[{"reference": "Observation/o"}],
        ),
        "ref-1",
        "error",
        "Observation.performer[1]",
        id="ref-1 in an array, after a Reference that meets it",
    ),
    pytest.param(
        _condition(
            code={"coding": [{"system": "http://loinc.org", "code": "72514-3"}, {"id": "c"}]}
        ),
        "ele-1",
        "error",
        "Condition.code.coding[1]",
        id="ele-1 a Coding with only an id",
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


# ref-1, dom-6 and per-1 have Python verdicts (invariants._FAST) for the usual shapes, and leave
# the others to their FHIRPath: where Python decides, it decides as the FHIRPath does.
IN_PYTHON = {
    key: compile_fhirpath(
        next(row[3] for rows in TABLE["constraints"].values() for row in rows if row[0] == key)
    )
    for key in invariants._FAST
}
FOCUS = {"ref-1": "Reference", "per-1": "Period", "dom-6": "DomainResource"}
DESCENDANTS = compile_fhirpath("descendants()")


def _verdicts(key: str, node: Any, resource: Any) -> tuple[bool | None, object]:
    """(Python's verdict, the FHIRPath's) on a node: True or False; None for Python's when it
    leaves the node to the FHIRPath, "error" for the FHIRPath's when it cannot evaluate it."""
    in_python = invariants._FAST[key](node)
    try:
        fhirpath: object = IN_PYTHON[key].holds(node[1], resource=resource, focus_type=node[0])
    except FhirPathError:
        fhirpath = "error"
    return in_python, fhirpath


def _focus_nodes(resource: Any) -> list[Any]:
    below = DESCENDANTS.evaluate_nodes(resource, resource=resource)
    return [(resource["resourceType"], resource, None), *below]


def test_the_python_verdicts_agree_with_the_fhirpath_on_the_corpora() -> None:
    decided = dict.fromkeys(invariants._FAST, 0)
    for path in EXAMPLES + SYNTHEA:
        resource = parse_json(path.read_bytes())
        for node in _focus_nodes(resource):
            if type(node) is not tuple or type(node[1]) is not dict:
                continue
            for key, focus in FOCUS.items():
                if not fhir_is(node[0], focus):
                    continue
                in_python, fhirpath = _verdicts(key, node, resource)
                assert in_python in (None, fhirpath), (path.stem, key, node)
                decided[key] += in_python is not None
    assert decided["ref-1"] > 5000 and decided["per-1"] > 800 and decided["dom-6"] > 1000


def _reference(**members: Any) -> Any:
    return ("Reference", members, None)


def _period(**members: Any) -> Any:
    return ("Period", members, None)


def _patient(**members: Any) -> Any:
    return ("Patient", {"resourceType": "Patient", **members}, None)


EXTENSION = {"extension": [{"url": "http://example.org/why", "valueCode": "unknown"}]}
SHAPES = [
    ("ref-1", _reference(reference="Patient/p"), True),
    ("ref-1", _reference(reference="urn:uuid:6b9a8d1e-0c3f-4a51-9e61-2f7d4b0c8a11"), True),
    ("ref-1", _reference(reference=""), True),
    ("ref-1", _reference(display="Dr. Raman"), True),
    ("ref-1", _reference(identifier={"value": "123"}), True),
    ("ref-1", _reference(reference="#missing"), None),
    ("ref-1", _reference(reference="#"), None),
    ("ref-1", _reference(_reference=EXTENSION), None),
    ("ref-1", _reference(reference="Patient/p", _reference=EXTENSION), True),
    ("ref-1", _reference(reference=["Patient/p"]), None),
    ("ref-1", _reference(reference="Patient/p", _reference=[EXTENSION]), None),
    ("ref-1", _reference(reference=7), None),
    ("dom-6", _patient(), False),
    ("dom-6", _patient(text=NARRATIVE), True),
    ("dom-6", _patient(text={"status": "empty"}), False),
    ("dom-6", _patient(text={"status": "generated", "_div": EXTENSION}), True),
    ("dom-6", _patient(text=[NARRATIVE]), None),
    ("dom-6", _patient(text={"status": "generated", "div": [NARRATIVE["div"]]}), None),
    ("dom-6", _patient(text="<div>ok</div>"), None),
    ("per-1", _period(), True),
    ("per-1", _period(start="2024-03-05"), True),
    ("per-1", _period(end="2024-03-05"), True),
    ("per-1", _period(start="2024-03-05", end="2024-03-06"), True),
    ("per-1", _period(start="2024-03-06", end="2024-03-05"), False),
    ("per-1", _period(start="2024-03-05", end="2024-03-05T09:00:00Z"), True),
    ("per-1", _period(start="2024-03-05T10:00:00+01:00", end="2024-03-05T09:30:00Z"), True),
    ("per-1", _period(start="2024-03-05T10:00:00-01:00", end="2024-03-05T09:30:00Z"), False),
    ("per-1", _period(start="2024-03", end="2024-02-29"), False),
    ("per-1", _period(start="2024-03-05T10:00:00.5Z", end="2024-03-05T10:00:00Z"), False),
    ("per-1", _period(start="soon", end="later"), False),
    ("per-1", _period(start="2024-03-05", end="later"), None),
    ("per-1", _period(_start=EXTENSION, end="2024-03-05"), True),
    ("per-1", _period(start="2024-03-06", _start=EXTENSION, end="2024-03-05"), False),
    ("per-1", _period(start=["2024-03-05"], end="2024-03-06"), None),
    ("per-1", _period(start="2024-03-05", end="2024-03-06", _end=[EXTENSION]), None),
    ("per-1", _period(start=20240305, end="2024-03-06"), None),
]


@pytest.mark.parametrize(("key", "node", "verdict"), SHAPES)
def test_a_python_verdict_is_the_fhirpaths_or_none(key: str, node: Any, verdict: object) -> None:
    resource = node[1] if node[0] == "Patient" else {"resourceType": "Basic", "id": "b"}
    in_python, fhirpath = _verdicts(key, node, resource)
    assert in_python == verdict
    assert in_python in (None, fhirpath)


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
