"""Index rows: what each search parameter of a resource is indexed as."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from painfhir.fhir.codec import parse_json
from painfhir.fhir.definitions import RESOURCE_TYPE_NAMES
from painfhir.search.definitions import parameters_for
from painfhir.search.extract import (
    INDEXED_NODE_TYPES,
    MAX_INSTANT,
    MAX_STRING,
    MIN_INSTANT,
    CompositeRow,
    DateRow,
    IndexRows,
    NumberRow,
    QuantityRow,
    ReferenceRow,
    StringRow,
    TokenRow,
    UriRow,
    index_rows,
)
from painfhir.search.fhirpath import compile_expression
from painfhir.search.normalize import normalize_string
from painfhir.store._time import instant_text
from tests.conftest import CORPORA

EXAMPLES = sorted((CORPORA / "fhir-r4-examples").glob("*.json"))
SYNTHEA = sorted((CORPORA / "synthea").glob("*.json"))
LOINC, SNOMED = "http://loinc.org", "http://snomed.info/sct"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
UCUM = "http://unitsofmeasure.org"

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [
        {
            "type": {
                "coding": [{"system": V2_0203, "code": "MR"}],
                "text": "Medical record number",
            },
            "system": "https://hospital.example.org/mrn",
            "value": "MRN-0042",
        }
    ],
    "name": [{"family": "Müller", "given": ["Zoë", "Anne"], "prefix": ["Dr."]}],
    "telecom": [{"system": "phone", "value": "+1 514 555 0100"}],
    "gender": "female",
    "birthDate": "1968-04-12",
    "address": [{"line": ["12 Rue de la Paix"], "city": "Montréal", "country": "CA"}],
}
PAIN_SCORE: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "bpi",
    "status": "final",
    "code": {"coding": [{"system": LOINC, "code": "72514-3", "display": "Pain severity 0-10"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2024-03-05T10:30:00+01:00",
    "valueQuantity": {"value": 7, "unit": "score", "system": UCUM, "code": "{score}"},
    "component": [
        {
            "code": {"coding": [{"system": "https://clinic.example.org/bpi", "code": "worst"}]},
            "valueQuantity": {"value": 9, "system": UCUM, "code": "{score}"},
        },
        {
            "code": {"coding": [{"system": "https://clinic.example.org/bpi", "code": "least"}]},
            "valueQuantity": {"value": 3.5, "system": UCUM, "code": "{score}"},
        },
    ],
}
CARE_PLAN: dict[str, Any] = {
    "resourceType": "CarePlan",
    "id": "cp1",
    "status": "active",
    "intent": "plan",
    "subject": {"reference": "Patient/p1"},
    "period": {"start": "2024-03-05"},
    "careTeam": [{"reference": "CareTeam/pain-team"}],
    "activity": [
        {
            "detail": {
                "status": "scheduled",
                "code": {"coding": [{"system": SNOMED, "code": "91251008"}]},
            }
        }
    ],
}
REFERRAL: dict[str, Any] = {
    "resourceType": "ServiceRequest",
    "id": "ref1",
    "identifier": [
        {
            "type": {"coding": [{"system": V2_0203, "code": "PLAC"}]},
            "system": "https://ehr.example.org/referrals",
            "value": "R-2024-0117",
        }
    ],
    "status": "active",
    "intent": "order",
    "code": {"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]},
    "subject": {"reference": "Patient/p1"},
    "authoredOn": "2024-03-01T14:05:00Z",
    "requester": {"reference": "https://ehr.example.org/fhir/Practitioner/gp7"},
}
REFERRAL_TASK: dict[str, Any] = {
    "resourceType": "Task",
    "id": "t1",
    "status": "accepted",
    "businessStatus": {
        "coding": [{"system": "https://painfhir.example.org/referral", "code": "triage"}],
        "text": "Awaiting triage",
    },
    "intent": "order",
    "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
    "focus": {"reference": "ServiceRequest/ref1"},
    "for": {"reference": "Patient/p1"},
    "owner": {"reference": "Organization/pain-clinic"},
}
OPIOID: dict[str, Any] = {
    "resourceType": "MedicationRequest",
    "id": "mr1",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "1049621",
                "display": "Oxycodone Hydrochloride 5 MG Oral Tablet",
            }
        ]
    },
    "subject": {"reference": "Patient/p1"},
    "authoredOn": "2024-03-05",
}
BACK_PAIN: dict[str, Any] = {
    "resourceType": "Condition",
    "id": "c1",
    "clinicalStatus": {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
        ]
    },
    "code": {
        "coding": [
            {"system": SNOMED, "code": "279039007", "display": "Low back pain"},
            {"system": "http://hl7.org/fhir/sid/icd-10", "code": "M54.5"},
        ],
        "text": "Chronic low back pain",
    },
    "subject": {"reference": "Patient/p1"},
    "onsetDateTime": "2019-06",
}


def _rows(index: IndexRows, param: str) -> list[Any]:
    return [
        row for kind in fields(index) for row in getattr(index, kind.name) if row.param == param
    ]


def _day(text: str) -> tuple[str, str]:
    """The row of a date: the whole day, in UTC."""
    after = datetime.fromisoformat(text) + timedelta(days=1)
    return f"{text}T00:00:00.000000Z", f"{after.date().isoformat()}T00:00:00.000000Z"


def _score(param: str, value: str, low: str, high: str, unit: str = "") -> QuantityRow:
    return QuantityRow(param, Decimal(value), Decimal(low), Decimal(high), UCUM, "{score}", unit)


SPOT_CHECKS = [
    pytest.param(
        PATIENT, "family", [StringRow("family", "muller", "Müller")], id="Patient family, accents"
    ),
    pytest.param(
        PATIENT,
        "given",
        [StringRow("given", "zoe", "Zoë"), StringRow("given", "anne", "Anne")],
        id="Patient given, each",
    ),
    pytest.param(
        PATIENT,
        "name",
        [
            StringRow("name", "muller", "Müller"),
            StringRow("name", "zoe", "Zoë"),
            StringRow("name", "anne", "Anne"),
            StringRow("name", "dr.", "Dr."),
        ],
        id="Patient name: family, given, prefix",
    ),
    pytest.param(
        PATIENT, "birthdate", [DateRow("birthdate", *_day("1968-04-12"))], id="Patient birthdate"
    ),
    pytest.param(
        PATIENT,
        "identifier",
        [
            TokenRow(
                "identifier",
                "https://hospital.example.org/mrn",
                "MRN-0042",
                "medical record number",
            )
        ],
        id="Patient identifier, type text for :text",
    ),
    pytest.param(
        PATIENT,
        "identifier:of-type",
        [TokenRow("identifier:of-type", V2_0203, "MR|MRN-0042", "")],
        id="Patient identifier:of-type",
    ),
    pytest.param(PATIENT, "gender", [TokenRow("gender", "", "female", "")], id="Patient gender"),
    pytest.param(
        PATIENT,
        "address-city",
        [StringRow("address-city", "montreal", "Montréal")],
        id="Patient address-city",
    ),
    pytest.param(
        PATIENT, "phone", [TokenRow("phone", "", "+1 514 555 0100", "")], id="Patient phone"
    ),
    pytest.param(
        PAIN_SCORE,
        "code",
        [TokenRow("code", LOINC, "72514-3", "pain severity 0-10")],
        id="Observation code",
    ),
    pytest.param(
        PAIN_SCORE,
        "value-quantity",
        [_score("value-quantity", "7", "6.5", "7.5", unit="score")],
        id="Observation value-quantity, 7 means [6.5, 7.5)",
    ),
    pytest.param(
        PAIN_SCORE,
        "date",
        [DateRow("date", "2024-03-05T09:30:00.000000Z", "2024-03-05T09:30:01.000000Z")],
        id="Observation date, to UTC, to the second",
    ),
    pytest.param(
        PAIN_SCORE,
        "subject",
        [ReferenceRow("subject", "Patient", "p1", "")],
        id="Observation subject",
    ),
    pytest.param(
        PAIN_SCORE,
        "component-code-value-quantity",
        [
            CompositeRow(
                "component-code-value-quantity",
                (
                    TokenRow("component-code", "https://clinic.example.org/bpi", "worst", ""),
                    _score("component-value-quantity", "9", "8.5", "9.5"),
                ),
            ),
            CompositeRow(
                "component-code-value-quantity",
                (
                    TokenRow("component-code", "https://clinic.example.org/bpi", "least", ""),
                    _score("component-value-quantity", "3.5", "3.45", "3.55"),
                ),
            ),
        ],
        id="Observation component-code-value-quantity, one per component",
    ),
    pytest.param(
        CARE_PLAN, "subject", [ReferenceRow("subject", "Patient", "p1", "")], id="CarePlan subject"
    ),
    pytest.param(
        CARE_PLAN, "patient", [ReferenceRow("patient", "Patient", "p1", "")], id="CarePlan patient"
    ),
    pytest.param(CARE_PLAN, "status", [TokenRow("status", "", "active", "")], id="CarePlan status"),
    pytest.param(
        CARE_PLAN,
        "date",
        [DateRow("date", "2024-03-05T00:00:00.000000Z", MAX_INSTANT)],
        id="CarePlan date, an open period",
    ),
    pytest.param(
        CARE_PLAN,
        "care-team",
        [ReferenceRow("care-team", "CareTeam", "pain-team", "")],
        id="CarePlan care-team",
    ),
    pytest.param(
        CARE_PLAN,
        "activity-code",
        [TokenRow("activity-code", SNOMED, "91251008", "")],
        id="CarePlan activity-code",
    ),
    pytest.param(
        REFERRAL,
        "code",
        [TokenRow("code", SNOMED, "3457005", "patient referral")],
        id="ServiceRequest code",
    ),
    pytest.param(
        REFERRAL, "status", [TokenRow("status", "", "active", "")], id="ServiceRequest status"
    ),
    pytest.param(
        REFERRAL, "intent", [TokenRow("intent", "", "order", "")], id="ServiceRequest intent"
    ),
    pytest.param(
        REFERRAL,
        "authored",
        [DateRow("authored", "2024-03-01T14:05:00.000000Z", "2024-03-01T14:05:01.000000Z")],
        id="ServiceRequest authored",
    ),
    pytest.param(
        REFERRAL,
        "requester",
        [ReferenceRow("requester", "", "", "https://ehr.example.org/fhir/Practitioner/gp7")],
        id="ServiceRequest requester, another server's: its url alone",
    ),
    pytest.param(
        REFERRAL,
        "subject",
        [ReferenceRow("subject", "Patient", "p1", "")],
        id="ServiceRequest subject",
    ),
    pytest.param(
        REFERRAL,
        "patient",
        [ReferenceRow("patient", "Patient", "p1", "")],
        id="ServiceRequest patient",
    ),
    pytest.param(
        REFERRAL,
        "identifier",
        [TokenRow("identifier", "https://ehr.example.org/referrals", "R-2024-0117", "")],
        id="ServiceRequest identifier",
    ),
    pytest.param(
        REFERRAL,
        "identifier:of-type",
        [TokenRow("identifier:of-type", V2_0203, "PLAC|R-2024-0117", "")],
        id="ServiceRequest placer identifier, by type",
    ),
    pytest.param(
        REFERRAL_TASK,
        "owner",
        [ReferenceRow("owner", "Organization", "pain-clinic", "")],
        id="Task owner",
    ),
    pytest.param(
        REFERRAL_TASK,
        "focus",
        [ReferenceRow("focus", "ServiceRequest", "ref1", "")],
        id="Task focus",
    ),
    pytest.param(
        REFERRAL_TASK, "status", [TokenRow("status", "", "accepted", "")], id="Task status"
    ),
    pytest.param(
        REFERRAL_TASK,
        "business-status",
        [
            TokenRow("business-status", "https://painfhir.example.org/referral", "triage", ""),
            TokenRow("business-status", "", "", "awaiting triage"),
        ],
        id="Task business-status, codings then text",
    ),
    pytest.param(
        REFERRAL_TASK,
        "code",
        [TokenRow("code", "http://hl7.org/fhir/CodeSystem/task-code", "fulfill", "")],
        id="Task code",
    ),
    pytest.param(
        OPIOID,
        "code",
        [
            TokenRow(
                "code",
                "http://www.nlm.nih.gov/research/umls/rxnorm",
                "1049621",
                "oxycodone hydrochloride 5 mg oral tablet",
            )
        ],
        id="MedicationRequest code, from medicationCodeableConcept",
    ),
    pytest.param(
        OPIOID, "status", [TokenRow("status", "", "active", "")], id="MedicationRequest status"
    ),
    pytest.param(
        OPIOID,
        "authoredon",
        [DateRow("authoredon", *_day("2024-03-05"))],
        id="MedicationRequest authoredon, a whole day",
    ),
    pytest.param(
        BACK_PAIN,
        "onset-date",
        [DateRow("onset-date", "2019-06-01T00:00:00.000000Z", "2019-07-01T00:00:00.000000Z")],
        id="Condition onset-date, a whole month",
    ),
    pytest.param(
        BACK_PAIN,
        "code",
        [
            TokenRow("code", SNOMED, "279039007", "low back pain"),
            TokenRow("code", "http://hl7.org/fhir/sid/icd-10", "M54.5", ""),
            TokenRow("code", "", "", "chronic low back pain"),
        ],
        id="Condition code, SNOMED and ICD-10",
    ),
    pytest.param(
        BACK_PAIN,
        "clinical-status",
        [
            TokenRow(
                "clinical-status",
                "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "active",
                "",
            )
        ],
        id="Condition clinical-status",
    ),
]


@pytest.mark.parametrize(("resource", "param", "expected"), SPOT_CHECKS)
def test_spot_checks(resource: dict[str, Any], param: str, expected: list[Any]) -> None:
    assert _rows(index_rows(resource), param) == expected


def _one(res_type: str, **elements: Any) -> IndexRows:
    return index_rows({"resourceType": res_type, "id": "x", **elements})


@pytest.mark.parametrize(
    ("elements", "expected"),
    [
        pytest.param(
            {"effectivePeriod": {"start": "2024-03-05", "end": "2024-03-07"}},
            ("2024-03-05T00:00:00.000000Z", "2024-03-08T00:00:00.000000Z"),
            id="a period runs from its start to the end of its end",
        ),
        pytest.param(
            {"effectivePeriod": {"end": "2024"}},
            (MIN_INSTANT, "2025-01-01T00:00:00.000000Z"),
            id="a period without a start reaches back as far as time does",
        ),
        pytest.param(
            {"effectiveInstant": "2024-03-05T10:30:15.25-05:00"},
            ("2024-03-05T15:30:15.250000Z", "2024-03-05T15:30:15.260000Z"),
            id="an instant, to the precision written",
        ),
        pytest.param(
            {"effectiveTiming": {"event": ["2024-03-05"]}},
            _day("2024-03-05"),
            id="a timing's events",
        ),
        pytest.param(
            {"effectiveTiming": {"repeat": {"boundsPeriod": {"start": "2024-03-05T08:00:00Z"}}}},
            ("2024-03-05T08:00:00.000000Z", MAX_INSTANT),
            id="a timing's bounds",
        ),
    ],
)
def test_dates(elements: dict[str, Any], expected: tuple[str, str]) -> None:
    assert _rows(_one("Observation", status="final", **elements), "date") == [
        DateRow("date", *expected)
    ]


@pytest.mark.parametrize(
    ("birth_date", "low"),
    [
        ("1968-04-12", datetime(1968, 4, 12, tzinfo=UTC)),
        ("0099-01-01", datetime(99, 1, 1, tzinfo=UTC)),  # fixed width before year 1000 too
    ],
)
def test_date_text_is_the_stores_instant_text(birth_date: str, low: datetime) -> None:
    (row,) = _one("Patient", birthDate=birth_date).dates
    assert row.low == instant_text(low)
    assert len(row.low) == len(instant_text(datetime(2024, 1, 1, tzinfo=UTC)))


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        pytest.param("100", ("100", "99.5", "100.5"), id="100 means [99.5, 100.5)"),
        pytest.param("1.10", ("1.10", "1.095", "1.105"), id="1.10 means [1.095, 1.105)"),
        pytest.param("1e2", ("1E+2", "50", "150"), id="1e2 means [50, 150)"),
    ],
)
def test_numbers_carry_their_written_precision(written: str, expected: tuple[str, ...]) -> None:
    text = '{"resourceType": "RiskAssessment", "prediction": [{"probabilityDecimal": NUMBER}]}'
    resource = parse_json(text.replace("NUMBER", written))
    assert index_rows(resource).numbers == [NumberRow("probability", *map(Decimal, expected))]


def test_integers_are_exact() -> None:
    rows = _one("MolecularSequence", coordinateSystem=0, variant=[{"start": 2}]).numbers
    assert rows == [NumberRow("variant-start", Decimal(2), Decimal(2), Decimal(2))]


def test_money_is_a_quantity_in_its_currency() -> None:
    rows = _one("ChargeItem", priceOverride={"value": 12.5, "currency": "EUR"}).quantities
    assert rows == [
        QuantityRow(
            "price-override",
            Decimal("12.5"),
            Decimal("12.45"),
            Decimal("12.55"),
            "urn:iso:std:iso:4217",
            "EUR",
            "",
        )
    ]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        pytest.param(
            {"reference": "Patient/p1/_history/3"}, [("Patient", "p1", "")], id="version dropped"
        ),
        pytest.param(
            {"reference": "urn:uuid:2b0ab5c4-6c2e-4a53-9c06-1b3cd8d9cc8f"},
            [("", "", "urn:uuid:2b0ab5c4-6c2e-4a53-9c06-1b3cd8d9cc8f")],
            id="a URN by its url",
        ),
        pytest.param({"reference": "#contained"}, [], id="contained references are not indexed"),
        pytest.param({"display": "Dr. Who"}, [], id="a display alone is not indexed"),
    ],
)
def test_references(reference: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    rows = _one("Observation", status="final", subject=reference)
    assert _rows(rows, "subject") == [ReferenceRow("subject", *target) for target in expected]


def test_a_logical_reference_is_searched_by_identifier() -> None:
    subject = {"identifier": {"system": "https://hospital.example.org/mrn", "value": "MRN-0042"}}
    rows = _one("Observation", status="final", subject=subject)
    assert rows.references == []
    assert _rows(rows, "subject:identifier") == [
        TokenRow("subject:identifier", "https://hospital.example.org/mrn", "MRN-0042", "")
    ]


def test_a_versioned_canonical_is_indexed_with_and_without_its_version() -> None:
    rows = _one(
        "CarePlan",
        status="active",
        intent="plan",
        subject={"reference": "Patient/p1"},
        instantiatesCanonical=["http://example.org/PlanDefinition/opioid-taper|2.0"],
    )
    assert _rows(rows, "instantiates-canonical") == [
        ReferenceRow(
            "instantiates-canonical", "", "", "http://example.org/PlanDefinition/opioid-taper|2.0"
        ),
        ReferenceRow(
            "instantiates-canonical", "", "", "http://example.org/PlanDefinition/opioid-taper"
        ),
    ]


def test_uris() -> None:
    rows = _one("Patient", meta={"profile": ["http://painfhir.example.org/Patient"]})
    assert rows.uris == [UriRow("_profile", "http://painfhir.example.org/Patient")]


def test_id_and_last_updated_are_left_to_the_store() -> None:
    assert _one("Basic", meta={"lastUpdated": "2024-03-05T10:30:00Z"}) == IndexRows()


def test_long_strings_are_indexed_by_their_start() -> None:
    (row,) = _one("Patient", name=[{"family": "x" * 2000}]).strings[:1]
    assert (len(row.normalized), len(row.exact)) == (MAX_STRING, MAX_STRING)


def test_a_composite_gives_every_combination_of_its_values() -> None:
    observation = {
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "a"}, {"system": SNOMED, "code": "b"}]},
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "c"}], "text": "C"},
    }
    rows = _rows(_one("Observation", **observation), "code-value-concept")
    assert [(row.components[0].code, row.components[1].code) for row in rows] == [
        ("a", "c"),
        ("b", "c"),
    ]


def test_the_first_entry_of_a_document_is_its_composition() -> None:
    bundle = {
        "type": "document",
        "entry": [{"resource": {"resourceType": "Composition", "id": "c"}}],
    }
    assert _one("Bundle", **bundle).references == [
        ReferenceRow("composition", "Composition", "c", "")
    ]


def test_an_unknown_resource_type_is_refused() -> None:
    with pytest.raises(ValueError, match="not an R4 resource type"):
        index_rows({"resourceType": "Referral"})


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        pytest.param("Müller", "muller", id="accents removed"),
        pytest.param("ÉLODIE", "elodie", id="case folded"),
        pytest.param("Straße", "strasse", id="full case folding"),
        pytest.param("  van  der\tBerg ", "van der berg", id="whitespace collapsed"),
        pytest.param("ﬁnch", "finch", id="compatibility forms"),
    ],
)
def test_normalize_string(text: str, normalized: str) -> None:
    assert normalize_string(text) == normalized


# What R4 expressions reach that has no rows, by (parameter type, node type). Anything else
# an expression can give must be indexed.
UNINDEXED = {
    ("date", "string"): "free text such as Procedure.performedString is not a date",
    ("date", "Age"): "an age is no date without the birth date",
    ("date", "Range"): "a range of ages, likewise",
    ("number", "Range"): "no single value to compare; R4 says nothing of ranges here",
    ("quantity", "Range"): "likewise",
    ("quantity", "SampledData"): "a series, not a value",
    ("token", "Quantity"): "Group characteristic value: not a code",
    ("token", "Range"): "likewise",
    ("token", "Reference"): "likewise",
}


def _reached() -> set[tuple[str, str]]:
    reached = set()
    for res_type in RESOURCE_TYPE_NAMES:
        parameters = parameters_for(res_type)
        for parameter in parameters.values():
            expression = compile_expression(parameter.expression, res_type)
            if parameter.type not in ("composite", "special"):
                reached |= {(parameter.type, node) for node in expression.result_types}
            focus = tuple(sorted(expression.result_types))
            for code, text in parameter.components:
                component = compile_expression(text, res_type, focus)
                reached |= {(parameters[code].type, node) for node in component.result_types}
    return reached


def test_every_value_an_expression_reaches_is_indexed_or_known_not_to_be() -> None:
    unindexed = {
        (kind, node)
        for kind, node in _reached()
        if node not in INDEXED_NODE_TYPES[kind] and not (kind == "reference" and node == "Resource")
    }
    assert unindexed == set(UNINDEXED)


def _synthea_entries() -> list[Any]:
    return [
        pytest.param(entry["resource"], id=f"{path.stem[:20]}-{index}")
        for path in SYNTHEA
        for index, entry in enumerate(parse_json(path.read_bytes())["entry"])
    ]


def _check(resource: dict[str, Any]) -> None:
    rows = index_rows(resource)
    assert rows == index_rows(resource), "the same rows every time"
    for kind in fields(rows):
        listed = getattr(rows, kind.name)
        assert len(listed) == len(set(listed)), f"duplicate {kind.name}"


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_every_r4_example_is_indexed(path: Path) -> None:
    _check(parse_json(path.read_bytes()))


@pytest.mark.parametrize("resource", _synthea_entries())
def test_every_synthea_entry_is_indexed(resource: dict[str, Any]) -> None:
    _check(resource)
