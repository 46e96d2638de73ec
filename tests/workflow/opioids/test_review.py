"""The guideline's checks when an opioid is prescribed (domain.md §4), each warning and its
absence, the exclusions, and which prescriptions are long-term."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from painfhir.workflow.opioids import Factors, PatientRecord, review_prescription, supply_days
from tests.workflow.opioids.prescriptions import Json, dosage, every, prescription

TODAY = date(2026, 6, 1)
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OXYCODONE_5 = "1049621"
OXYCODONE_10 = "1049683"
NALOXONE_NASAL_4MG = "1725059"
OXYCODONE_NALOXONE = "1545910"
ALPRAZOLAM_05 = "308048"
GABAPENTIN_300 = "310431"


def _oxycodone(tablets_a_day: int, **more: Any) -> Json:
    """Oxycodone 5 mg tablets: 7.5 MME/d per tablet a day."""
    return prescription(OXYCODONE_5, dosage(1, "tablet", every(tablets_a_day)), **more)


def _coded(res_type: str, system: str, code: str, **more: Any) -> Json:
    return {
        "resourceType": res_type,
        "id": f"{res_type.lower()}-{code}",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": system, "code": code}]},
        **more,
    }


def _record(*requests: Json, **parts: list[Json]) -> PatientRecord:
    """A patient with naloxone, physical therapy and a PDMP review last week, plus `requests`:
    only what a test changes can raise a warning."""
    defaults: dict[str, Any] = {
        "patient": {"resourceType": "Patient", "id": "p1", "birthDate": "1970-04-02"},
        "medication_requests": [
            *requests,
            prescription(NALOXONE_NASAL_4MG, dosage(1, "actuation"), res_id="naloxone"),
        ],
        "service_requests": [_coded("ServiceRequest", SNOMED, "91251008", status="active")],
        "procedures": [
            _coded(
                "Procedure",
                SNOMED,
                "461621000124108",
                status="completed",
                performedDateTime="2026-05-25",
            )
        ],
    }
    return PatientRecord(**(defaults | parts))


def _codes(request: Json, record: PatientRecord, factors: Factors = "2022") -> list[str]:
    return [f.code for f in review_prescription(request, record, TODAY, factors).findings]


def test_a_complete_record_at_a_low_dose_raises_nothing() -> None:
    request = _oxycodone(4)
    review = review_prescription(request, _record(request), TODAY)
    assert (review.total, review.findings) == (Decimal(30), [])


@pytest.mark.parametrize(
    ("tablets_a_day", "expected"),
    [
        pytest.param(6, [], id="45 MME/d: under 50, no dose warning"),
        pytest.param(7, ["mme-50"], id="52.5 MME/d: at least 50"),
        pytest.param(12, ["mme-90"], id="90 MME/d: at least 90, the strong warning alone"),
    ],
)
def test_dose_warnings(tablets_a_day: int, expected: list[str]) -> None:
    request = _oxycodone(tablets_a_day)
    assert _codes(request, _record(request)) == expected


def test_the_total_counts_every_active_opioid_prescription() -> None:
    request = _oxycodone(4)
    other = prescription("197696", dosage(1, "patch"), res_id="patch")
    stopped = _oxycodone(12, res_id="old", status="stopped")
    review = review_prescription(request, _record(request, other, stopped), TODAY)
    assert review.total == Decimal(210)
    assert [f.code for f in review.findings] == ["mme-90"]
    assert [f.severity for f in review.findings] == ["high"]


def test_a_concurrent_benzodiazepine_is_a_strong_warning() -> None:
    request = _oxycodone(4)
    benzodiazepine = prescription(ALPRAZOLAM_05, dosage(1, "tablet"), res_id="benzo")
    [finding] = review_prescription(request, _record(request, benzodiazepine), TODAY).findings
    assert (finding.code, finding.severity, finding.evidence) == (
        "benzodiazepine",
        "high",
        ("MedicationRequest/benzo",),
    )


@pytest.mark.parametrize(
    ("requests", "factors", "warned"),
    [
        pytest.param([], "2022", True, id="2022: no naloxone at any dose is a warning"),
        pytest.param(
            [prescription(OXYCODONE_NALOXONE, dosage(1, "tablet"), res_id="targiniq")],
            "2022",
            True,
            id="oxycodone/naloxone does not count as naloxone",
        ),
        pytest.param(
            [prescription(NALOXONE_NASAL_4MG, dosage(1, "actuation"), res_id="n")],
            "2022",
            False,
            id="a naloxone nasal spray counts",
        ),
        pytest.param(
            [
                prescription(
                    NALOXONE_NASAL_4MG, dosage(1, "actuation"), res_id="n", status="stopped"
                )
            ],
            "2022",
            True,
            id="a stopped naloxone prescription does not count",
        ),
        pytest.param([], "2016", False, id="2016: under 50 MME/d, no benzodiazepine, no misuse"),
        pytest.param(
            [prescription(ALPRAZOLAM_05, dosage(1, "tablet"), res_id="benzo")],
            "2016",
            True,
            id="2016: with a benzodiazepine",
        ),
    ],
)
def test_naloxone(requests: list[Json], factors: Factors, warned: bool) -> None:
    request = _oxycodone(4)
    record = _record(request, medication_requests=[request, *requests])
    assert ("no-naloxone" in _codes(request, record, factors)) is warned


def test_naloxone_2016_at_50_mme_or_with_a_history_of_misuse() -> None:
    high = _oxycodone(8)
    assert "no-naloxone" in _codes(high, _record(high, medication_requests=[high]), "2016")
    low = _oxycodone(2)
    misuse = _coded(
        "Condition", ICD10CM, "F11.20", clinicalStatus={"coding": [{"code": "resolved"}]}
    )
    record = _record(low, medication_requests=[low], conditions=[misuse])
    assert "no-naloxone" in _codes(low, record, "2016")


@pytest.mark.parametrize(
    ("parts", "warned"),
    [
        pytest.param({"service_requests": []}, True, id="nothing tried or planned"),
        pytest.param(
            {
                "service_requests": [],
                "care_plans": [
                    {
                        "resourceType": "CarePlan",
                        "id": "plan",
                        "status": "active",
                        "activity": [
                            {
                                "detail": {
                                    "status": "scheduled",
                                    "code": {"coding": [{"system": SNOMED, "code": "228557008"}]},
                                }
                            }
                        ],
                    }
                ],
            },
            False,
            id="CBT in the care plan",
        ),
        pytest.param(
            {
                "service_requests": [],
                "procedures": [
                    _coded(
                        "Procedure", "http://www.ama-assn.org/go/cpt", "64483", status="completed"
                    )
                ],
            },
            False,
            id="a transforaminal epidural injection done",
        ),
        pytest.param(
            {"service_requests": [_coded("ServiceRequest", SNOMED, "91251008", status="revoked")]},
            True,
            id="a revoked physical therapy order does not count",
        ),
    ],
)
def test_non_opioid_therapy(parts: dict[str, list[Json]], warned: bool) -> None:
    request = _oxycodone(4)
    record = _record(request, **parts)
    if "procedures" in parts:  # keep the PDMP review next to the tested procedure
        record.procedures += _record().procedures
    assert ("no-non-opioid-therapy" in _codes(request, record)) is warned


def test_a_non_opioid_medication_tried_counts_even_when_stopped() -> None:
    request = _oxycodone(4)
    gabapentin = prescription(GABAPENTIN_300, dosage(1, "capsule"), res_id="g", status="stopped")
    record = _record(request, gabapentin, service_requests=[])
    assert "no-non-opioid-therapy" not in _codes(request, record)


def test_acetaminophen_inside_an_opioid_combination_is_not_a_non_opioid_therapy() -> None:
    request = prescription("857002", dosage(1, "tablet", every(4)))  # hydrocodone/APAP
    request["medicationCodeableConcept"]["text"] = "hydrocodone 5 mg / acetaminophen 325 mg"
    assert "no-non-opioid-therapy" in _codes(request, _record(request, service_requests=[]))


@pytest.mark.parametrize(
    ("review", "warned"),
    [
        pytest.param(None, True, id="never reviewed"),
        pytest.param(
            _coded(
                "Procedure",
                SNOMED,
                "461621000124108",
                status="completed",
                performedDateTime="2026-02-01",
            ),
            True,
            id="reviewed 120 days ago",
        ),
        pytest.param(
            _coded(
                "Procedure",
                SNOMED,
                "461621000124108",
                status="completed",
                performedDateTime="2026-03-05",
            ),
            False,
            id="reviewed 88 days ago",
        ),
        pytest.param(
            _coded(
                "Observation",
                SNOMED,
                "461621000124108",
                status="final",
                effectiveDateTime="2026-05-30T10:00:00Z",
            ),
            False,
            id="a PDMP review recorded as an Observation",
        ),
    ],
)
def test_pdmp_review_in_the_last_90_days(review: Json | None, warned: bool) -> None:
    request = _oxycodone(4)
    found = [review] if review else []
    observations = [r for r in found if r["resourceType"] == "Observation"]
    procedures = [r for r in found if r["resourceType"] == "Procedure"]
    record = _record(request, procedures=procedures, observations=observations)
    assert ("no-pdmp-review" in _codes(request, record)) is warned


_BARE: dict[str, list[Json]] = {"medication_requests": [], "service_requests": [], "procedures": []}


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        pytest.param(
            {"conditions": [_coded("Condition", ICD10CM, "C50.911")]},
            "active cancer",
            id="an active malignancy",
        ),
        pytest.param(
            {"conditions": [_coded("Condition", ICD10CM, "D57.00")]},
            "sickle cell disease",
            id="sickle cell disease",
        ),
        pytest.param(
            {"service_requests": [_coded("ServiceRequest", SNOMED, "103735009", status="active")]},
            "palliative or end-of-life care",
            id="palliative care ordered",
        ),
        pytest.param(
            {"patient": {"resourceType": "Patient", "id": "p1", "birthDate": "2010-06-02"}},
            "a patient under 18 (aged 15)",
            id="under 18",
        ),
    ],
)
def test_exclusions_turn_the_checks_off(parts: dict[str, Any], reason: str) -> None:
    request = _oxycodone(12)
    record = _record(request, **(_BARE | {"medication_requests": [request]} | parts))
    review = review_prescription(request, record, TODAY)
    assert review.findings == []
    assert review.notes == [f"Opioid guideline checks not applied: {reason}"]


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param(_coded("Condition", ICD10CM, "D57.3"), id="sickle cell trait"),
        pytest.param(
            _coded(
                "Condition", ICD10CM, "C50.911", clinicalStatus={"coding": [{"code": "remission"}]}
            ),
            id="a cancer in remission",
        ),
        pytest.param(
            _coded(
                "Condition",
                ICD10CM,
                "C50.911",
                verificationStatus={"coding": [{"code": "refuted"}]},
            ),
            id="a refuted cancer",
        ),
    ],
)
def test_what_does_not_exclude(condition: Json) -> None:
    request = _oxycodone(12)
    assert _codes(request, _record(request, conditions=[condition])) == ["mme-90"]


@pytest.mark.parametrize(
    ("dispense", "days"),
    [
        pytest.param({"expectedSupplyDuration": {"value": 30, "code": "d"}}, "30", id="30 days"),
        pytest.param(
            {"expectedSupplyDuration": {"value": 2, "code": "wk"}, "numberOfRepeatsAllowed": 1},
            "28",
            id="2 weeks and a refill",
        ),
        pytest.param(
            {"quantity": {"value": 120, "unit": "tablet"}}, "30", id="120 tablets, 4 a day"
        ),
        pytest.param({"quantity": {"value": 20, "unit": "TAB"}}, "5", id="20 tablets, 4 a day"),
        pytest.param({"quantity": {"value": 100, "unit": "mL"}}, None, id="mL of tablets: unknown"),
        pytest.param({}, None, id="nothing said: unknown"),
    ],
)
def test_supply_days(dispense: Json, days: str | None) -> None:
    request = _oxycodone(4, supply_days=None, dispenseRequest=dispense)
    found = supply_days(request)
    assert found == (Decimal(days) if days else None)


def test_an_acute_prescription_is_not_checked() -> None:
    request = _oxycodone(11, supply_days=7)
    review = review_prescription(request, _record(request, service_requests=[]), TODAY)
    assert review.findings == []
    assert review.notes == ["A 7-day supply (under 28): long-term checks not applied"]


def test_90_mme_or_more_is_warned_about_whatever_the_supply() -> None:
    request = _oxycodone(12, supply_days=7)
    review = review_prescription(request, _record(request, service_requests=[]), TODAY)
    assert [f.code for f in review.findings] == ["mme-90"]


def test_a_short_prescription_on_top_of_a_long_term_one_is_long_term_use() -> None:
    ongoing = prescription(OXYCODONE_10, dosage(1, "tablet", every(4)), res_id="ongoing")
    added = _oxycodone(8, supply_days=5)  # 60 + 60 = 120 MME/d
    review = review_prescription(added, _record(added, ongoing, service_requests=[]), TODAY)
    assert review.total == Decimal(120)
    assert [f.code for f in review.findings] == ["mme-90", "no-non-opioid-therapy"]
    assert review.notes == [
        "A 5-day supply, but MedicationRequest/ongoing has a 30-day supply: "
        "reviewed as long-term opioid use"
    ]


def _text_only(text: str, res_id: str) -> Json:
    request = prescription(None, dosage(1, "tablet"), res_id=res_id)
    return {**request, "medicationCodeableConcept": {"text": text}}


@pytest.mark.parametrize(
    "benzodiazepine",
    [
        pytest.param(_text_only("Lorazepam 1 mg tablet", "benzo"), id="named in text only"),
        pytest.param(
            prescription("4077", dosage(1, "mg"), res_id="benzo"), id="estazolam ingredient"
        ),
        pytest.param(
            prescription("2353", dosage(7.5, "mg"), res_id="benzo"), id="clorazepate ingredient"
        ),
        pytest.param(
            prescription("4501", dosage(15, "mg"), res_id="benzo"), id="flurazepam ingredient"
        ),
        pytest.param(
            prescription("8983", dosage(15, "mg"), res_id="benzo"), id="quazepam ingredient"
        ),
    ],
)
def test_benzodiazepines_by_ingredient_code_or_name(benzodiazepine: Json) -> None:
    request = _oxycodone(4)
    assert _codes(request, _record(request, benzodiazepine)) == ["benzodiazepine"]


def _completed_naloxone(authored: str) -> Json:
    return prescription(
        NALOXONE_NASAL_4MG,
        dosage(1, "actuation"),
        res_id="naloxone",
        status="completed",
        authoredOn=authored,
    )


@pytest.mark.parametrize(
    ("authored", "warned"),
    [
        pytest.param("2025-08-14", False, id="dispensed 10 months ago: counts"),
        pytest.param("2025-05-01", True, id="dispensed 13 months ago: offer again"),
    ],
)
def test_a_completed_naloxone_prescription_counts_for_a_year(authored: str, warned: bool) -> None:
    request = _oxycodone(4)
    record = _record(request, medication_requests=[request, _completed_naloxone(authored)])
    assert ("no-naloxone" in _codes(request, record)) is warned


def test_an_unknown_supply_is_checked_as_long_term_and_says_so() -> None:
    request = _oxycodone(12, supply_days=None)
    review = review_prescription(request, _record(request), TODAY)
    assert [f.code for f in review.findings] == ["mme-90"]
    assert review.notes == ["Supply duration unknown: reviewed as a long-term prescription"]


def test_an_unknown_opioid_is_reported_even_when_the_checks_do_not_apply() -> None:
    request = _oxycodone(4, supply_days=7)
    unknown = prescription("31415926", dosage(1, "tablet"), res_id="unknown")
    unknown["medicationCodeableConcept"]["text"] = "Morphine 7 mg tablet"
    review = review_prescription(request, _record(request, unknown), TODAY)
    [finding] = review.findings
    assert finding.code == "mme-incomplete"
    assert finding.message.startswith("MedicationRequest/unknown: MME not known")


def test_a_prescription_without_an_opioid_raises_no_guideline_warning() -> None:
    opioid = _oxycodone(12)
    gabapentin = prescription(GABAPENTIN_300, dosage(1, "capsule"), res_id="g")
    assert _codes(gabapentin, _record(opioid, gabapentin)) == []
