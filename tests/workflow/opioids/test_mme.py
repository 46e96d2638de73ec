"""Morphine milligram equivalents of one prescription (domain.md §4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from painfhir.workflow.opioids import (
    Factors,
    PatientRecord,
    opioid_prescriptions,
    prescription_mme,
    total_mme,
)
from tests.workflow.opioids.prescriptions import RXNORM, dosage, every, prescription

OXYCODONE_10_TABLET = "1049683"
FENTANYL_75_PATCH = "197696"
FENTANYL_25_PATCH = "245134"
METHADONE_10_TABLET = "864706"
MORPHINE_10_MG_PER_ML = "895016"
HYDROCODONE_APAP_5_325 = "857002"
TRAMADOL_50_TABLET = "835603"
TAPENTADOL_50_TABLET = "825411"
BUPRENORPHINE_10_PATCH = "904870"
FENTANYL_BUCCAL_100 = "668363"
OXYCODONE_NALOXONE_10_5 = "1545910"
HYDROMORPHONE_2_TABLET = "897696"
GTS_ABBREVIATION = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"


def _mme(request: dict[str, Any], factors: Factors = "2022", medications: Any = None) -> Any:
    found = prescription_mme(request, medications or {}, factors)
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("request_", "factors", "daily_dose", "factor", "mme"),
    [
        pytest.param(
            prescription(OXYCODONE_10_TABLET, dosage(1, "tablet", every(4))),
            "2022",
            "40",
            "1.5",
            "60",
            id="oxycodone 10 mg, 1 tab 4x/day: 40 mg x 1.5 = 60",
        ),
        pytest.param(
            prescription(FENTANYL_75_PATCH, dosage(1, "patch", every(1, 72, "h"))),
            "2022",
            "75",
            "2.4",
            "180",
            id="fentanyl 75 mcg/h patch changed every 72 h: 180",
        ),
        pytest.param(
            prescription(METHADONE_10_TABLET, dosage(2, "TAB", every(3))),
            "2022",
            "60",
            "4.7",
            "282",
            id="methadone 10 mg, 2 tabs 3x/day, 2022: 60 mg x 4.7 = 282",
        ),
        pytest.param(
            prescription(METHADONE_10_TABLET, dosage(2, "TAB", every(3))),
            "2016",
            "60",
            "10",
            "600",
            id="methadone 60 mg/d, 2016: band 41-60 mg, factor 10 = 600",
        ),
        pytest.param(
            prescription(METHADONE_10_TABLET, dosage(1, "tablet", every(2))),
            "2016",
            "20",
            "4",
            "80",
            id="methadone 20 mg/d, 2016: band 1-20 mg, factor 4",
        ),
        pytest.param(
            prescription(METHADONE_10_TABLET, dosage(1, "tablet", every(4))),
            "2016",
            "40",
            "8",
            "320",
            id="methadone 40 mg/d, 2016: band 21-40 mg, factor 8",
        ),
        pytest.param(
            prescription(METHADONE_10_TABLET, dosage(2, "tablet", every(4))),
            "2016",
            "80",
            "12",
            "960",
            id="methadone 80 mg/d, 2016: 61 mg and more, factor 12",
        ),
        pytest.param(
            prescription(HYDROMORPHONE_2_TABLET, dosage(2, "tablet", every(3))),
            "2016",
            "12",
            "4",
            "48",
            id="hydromorphone, 2016 factor 4 (2022: 5)",
        ),
        pytest.param(
            prescription(FENTANYL_25_PATCH, dosage(2, "patch", every(1, 3, "d"))),
            "2022",
            "50",
            "2.4",
            "120",
            id="two 25 mcg/h patches worn together: 50 mcg/h",
        ),
        pytest.param(
            prescription(FENTANYL_75_PATCH, dosage(75, "ug/h")),
            "2022",
            "75",
            "2.4",
            "180",
            id="a patch dosed in ug/h",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                {
                    "timing": every(4),
                    "doseAndRate": [
                        {
                            "doseRange": {
                                "low": {"value": 1, "unit": "tablet"},
                                "high": {"value": 2, "unit": "tablet"},
                            }
                        }
                    ],
                },
            ),
            "2022",
            "80",
            "1.5",
            "120",
            id="a dose range counts at its high end: 2 tabs 4x/day",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(
                    1, "tablet", {"repeat": {"timeOfDay": ["08:00:00", "14:00:00", "20:00:00"]}}
                ),
            ),
            "2022",
            "30",
            "1.5",
            "45",
            id="timeOfDay: three times of day are three doses",
        ),
        pytest.param(
            prescription(OXYCODONE_10_TABLET, dosage(1, "tablet")),
            "2022",
            "10",
            "1.5",
            "15",
            id="no timing: one dose a day",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(1, "tablet", {"code": {"coding": [{"code": "Q6H"}]}}),
            ),
            "2022",
            "40",
            "1.5",
            "60",
            id="timing code Q6H: four doses a day",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(1, "tablet", {"repeat": {"frequency": 3, "periodUnit": "d", "when": ["C"]}}),
            ),
            "2022",
            "30",
            "1.5",
            "45",
            id="3x/day with meals: the frequency counts, not the one `when`",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(1, "tablet", {"repeat": {"frequency": 4, "timeOfDay": ["08:00:00"]}}),
            ),
            "2022",
            "40",
            "1.5",
            "60",
            id="4x/day from 08:00: the frequency counts, not the one timeOfDay",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(
                    1,
                    "tablet",
                    {
                        "code": {
                            "coding": [
                                {"system": "http://snomed.info/sct", "code": "307470009"},
                                {"system": GTS_ABBREVIATION, "code": "QID"},
                            ]
                        }
                    },
                ),
            ),
            "2022",
            "40",
            "1.5",
            "60",
            id="timing code QID in the second coding: four doses a day",
        ),
        pytest.param(
            prescription(FENTANYL_75_PATCH, dosage(0.075, "mg/h")),
            "2022",
            "75",
            "2.4",
            "180",
            id="a patch dosed in mg/h",
        ),
        pytest.param(
            prescription(FENTANYL_75_PATCH, dosage(75, "µg/h")),
            "2022",
            "75",
            "2.4",
            "180",
            id="a patch dosed in µg/h",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(
                    1,
                    "tablet",
                    {"repeat": {"frequency": 1, "frequencyMax": 2, "period": 6, "periodUnit": "h"}},
                ),
            ),
            "2022",
            "80",
            "1.5",
            "120",
            id="1-2 tabs every 6 h as needed: frequencyMax, 8 a day",
        ),
        pytest.param(
            prescription(MORPHINE_10_MG_PER_ML, dosage(5, "mL", every(6))),
            "2022",
            "300",
            "1",
            "300",
            id="morphine solution 10 mg/mL, 5 mL 6x/day: 300 mg",
        ),
        pytest.param(
            prescription(OXYCODONE_10_TABLET, dosage(15, "mg", every(2))),
            "2022",
            "30",
            "1.5",
            "45",
            id="a dose in mg counts as it is",
        ),
        pytest.param(
            prescription(HYDROCODONE_APAP_5_325, dosage(1, "{tbl}", every(4))),
            "2022",
            "20",
            "1",
            "20",
            id="hydrocodone/acetaminophen 5/325: the opioid's strength counts",
        ),
        pytest.param(
            prescription(TRAMADOL_50_TABLET, dosage(1, "tablet", every(4))),
            "2022",
            "200",
            "0.2",
            "40",
            id="tramadol 2022 factor 0.2",
        ),
        pytest.param(
            prescription(TAPENTADOL_50_TABLET, dosage(2, "tablet", every(2))),
            "2022",
            "200",
            "0.4",
            "80",
            id="tapentadol 2022 factor 0.4",
        ),
        pytest.param(
            prescription(OXYCODONE_NALOXONE_10_5, dosage(1, "tablet", every(2))),
            "2022",
            "20",
            "1.5",
            "30",
            id="oxycodone/naloxone 10/5: counted as oxycodone",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(2, "tablet", every(3), sequence=1),
                dosage(1, "tablet", every(3), sequence=2),
            ),
            "2022",
            "60",
            "1.5",
            "90",
            id="a taper (sequential instructions) counts at its highest step",
        ),
        pytest.param(
            prescription(
                OXYCODONE_10_TABLET,
                dosage(1, "tablet", every(2)),
                dosage(1, "tablet", every(1)),
            ),
            "2022",
            "30",
            "1.5",
            "45",
            id="concurrent instructions add up",
        ),
    ],
)
def test_mme_of_a_prescription(
    request_: dict[str, Any], factors: Factors, daily_dose: str, factor: str, mme: str
) -> None:
    found = _mme(request_, factors)
    assert (found.daily_dose, found.factor, found.mme) == (
        Decimal(daily_dose),
        Decimal(factor),
        Decimal(mme),
    )
    assert found.problem is None


@pytest.mark.parametrize(
    ("request_", "factors", "problem"),
    [
        pytest.param(
            prescription(BUPRENORPHINE_10_PATCH, dosage(1, "patch", every(1, 7, "d"))),
            "2022",
            "no MME factor for buprenorphine",
            id="buprenorphine is not converted",
        ),
        pytest.param(
            prescription(TRAMADOL_50_TABLET, dosage(1, "tablet", every(4))),
            "2016",
            "2016 guideline gives no MME factor for tramadol",
            id="tramadol has no 2016 factor",
        ),
        pytest.param(
            prescription(TAPENTADOL_50_TABLET, dosage(1, "tablet", every(4))),
            "2016",
            "2016 guideline gives no MME factor for tapentadol",
            id="tapentadol has no 2016 factor",
        ),
        pytest.param(
            prescription(FENTANYL_BUCCAL_100, dosage(1, "tablet", every(4))),
            "2022",
            "no factor for fentanyl other than patches",
            id="buccal fentanyl has no factor",
        ),
        pytest.param(
            prescription(OXYCODONE_10_TABLET),
            "2022",
            "no dosage instructions",
            id="no dosage: unknown, not zero",
        ),
        pytest.param(
            prescription(OXYCODONE_10_TABLET, {"timing": every(4)}),
            "2022",
            "has no dose",
            id="a dosage without a dose: unknown, not zero",
        ),
        pytest.param(
            prescription(OXYCODONE_10_TABLET, dosage(5, "mL", every(4))),
            "2022",
            "does not fit a mg strength",
            id="mL of a tablet product",
        ),
        pytest.param(
            prescription(
                FENTANYL_75_PATCH,
                dosage(1, "tablet", every(1))
                | {"doseAndRate": [{"doseQuantity": {"value": 25, "unit": "mg"}}]},
            ),
            "2022",
            "does not fit a mcg/h strength",
            id="a patch dosed in mg",
        ),
    ],
)
def test_mme_that_cannot_be_counted_says_why(
    request_: dict[str, Any], factors: Factors, problem: str
) -> None:
    found = _mme(request_, factors)
    assert found.mme is None
    assert found.problem is not None and problem in found.problem
    assert total_mme([found]) == 0


def test_an_unknown_opioid_code_is_a_warning_not_zero() -> None:
    request = prescription("999999999", dosage(1, "tablet", every(4)))
    request["medicationCodeableConcept"]["text"] = "Oxycodone 12.5 mg tablet"
    found = _mme(request)
    assert found.opioid is None and found.mme is None
    assert "oxycodone product painfhir's table does not know (999999999)" in (found.problem or "")


def test_a_prescription_marked_opioid_with_an_unknown_code_is_a_warning() -> None:
    category = {
        "coding": [
            {
                "system": "http://painfhir.org/fhir/CodeSystem/pain-medication-category",
                "code": "opioid",
            }
        ]
    }
    found = _mme(prescription("123", dosage(1, "tablet"), category=[category]))
    assert "marked opioid" in (found.problem or "")


def test_a_non_opioid_is_not_in_the_mme() -> None:
    gabapentin = prescription("310431", dosage(1, "capsule", every(3)))
    assert prescription_mme(gabapentin, {}, "2022") == []


def _medication(
    strength: dict[str, Any], code: str = "7804", form: str = "tablet"
) -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": "med",
        "code": {"text": f"oxycodone {form}"},
        "ingredient": [
            {
                "itemCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
                "strength": strength,
            }
        ],
    }


def _ratio(value: float | Decimal, unit: str, per: str) -> dict[str, Any]:
    return {"numerator": {"value": value, "code": unit}, "denominator": {"value": 1, "code": per}}


def test_a_contained_medication_gives_the_ingredient_strength() -> None:
    request = prescription(None, dosage(2, "tablet", every(3)))
    request["contained"] = [_medication(_ratio(5, "mg", "{tbl}"))]
    request["medicationReference"] = {"reference": "#med"}
    assert _mme(request).mme == Decimal(45)


def test_a_stored_medication_gives_the_ingredient_strength() -> None:
    request = prescription(None, dosage(1, "patch", every(1, 3, "d")))
    request["medicationReference"] = {"reference": "Medication/med"}
    patch = _medication(_ratio(50, "ug", "h"), code="4337", form="patch")
    assert _mme(request, medications={"Medication/med": patch}).mme == Decimal(120)


@pytest.mark.parametrize(
    "strength",
    [
        pytest.param(_ratio(75, "ug", "h"), id="75 ug per h"),
        pytest.param(_ratio(75, "mcg", "hr"), id="75 mcg per hr"),
        pytest.param(_ratio(75, "µg", "h"), id="75 µg per h"),
        pytest.param(_ratio(Decimal("0.075"), "mg", "h"), id="0.075 mg per h"),
        pytest.param(_ratio(75, "ug/h", "{patch}"), id="75 ug/h per patch"),
        pytest.param(_ratio(Decimal("0.075"), "mg/h", "{patch}"), id="0.075 mg/h per patch"),
        pytest.param({"numerator": {"value": 75, "code": "mcg/h"}}, id="75 mcg/h"),
    ],
)
def test_a_patch_strength_per_hour_in_any_unit_of_mass(strength: dict[str, Any]) -> None:
    request = prescription(None, dosage(1, "patch", every(1, 72, "h")))
    request["medicationReference"] = {"reference": "Medication/med"}
    patch = _medication(strength, code="4337", form="patch")
    found = _mme(request, medications={"Medication/med": patch})
    assert (found.daily_dose, found.daily_dose_unit, found.mme) == (75, "ug/h", 180)


def test_a_medication_that_cannot_be_found_is_reported_for_an_opioid_prescription() -> None:
    request = prescription(None, dosage(1, "tablet"))
    request["medicationReference"] = {"reference": "Medication/gone"}
    assert prescription_mme(request, {}, "2022") == []
    request["category"] = [
        {
            "coding": [
                {
                    "system": "http://painfhir.org/fhir/CodeSystem/pain-medication-category",
                    "code": "opioid",
                }
            ]
        }
    ]
    assert "Medication/gone cannot be found" in (_mme(request).problem or "")


def test_an_ingredient_code_alone_needs_a_dose_in_mg() -> None:
    in_mg = prescription("7804", dosage(10, "mg", every(3)))
    assert _mme(in_mg).mme == Decimal(45)
    in_tablets = prescription("7804", dosage(1, "tablet", every(3)))
    assert "strength is unknown" in (_mme(in_tablets).problem or "")


def test_the_total_adds_what_can_be_counted() -> None:
    found = [
        *prescription_mme(
            prescription(OXYCODONE_10_TABLET, dosage(1, "tablet", every(4))), {}, "2022"
        ),
        *prescription_mme(prescription(FENTANYL_75_PATCH, dosage(1, "patch")), {}, "2022"),
        *prescription_mme(prescription(BUPRENORPHINE_10_PATCH, dosage(1, "patch")), {}, "2022"),
    ]
    assert total_mme(found) == Decimal(240)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        pytest.param("2693196", "oxycodone", id="a branded oxycodone tablet the table lacks"),
        pytest.param("250485", "pentazocine", id="an opioid the guideline gives no factor"),
    ],
)
def test_a_value_set_opioid_code_the_table_lacks_is_a_warning_not_zero(
    code: str, name: str
) -> None:
    found = _mme(prescription(code, dosage(1, "tablet", every(4))))  # no display, no text
    assert found.mme is None
    assert f"{name} product whose strength painfhir's table lacks ({code})" in (found.problem or "")


def test_the_2016_methadone_factor_goes_by_the_patients_total_methadone() -> None:
    morning = prescription(METHADONE_10_TABLET, dosage(15, "mg"), res_id="am")
    evening = prescription(METHADONE_10_TABLET, dosage(15, "mg"), res_id="pm")
    record = PatientRecord(patient=None, medication_requests=[morning, evening])
    found = opioid_prescriptions(record, "2016")
    assert [(p.daily_dose, p.factor, p.mme) for p in found] == [
        (Decimal(15), Decimal(8), Decimal(120)),
        (Decimal(15), Decimal(8), Decimal(120)),
    ]
    assert total_mme(found) == Decimal(240)
    assert found[0].note == "CDC 2016 methadone factor 8 for the patient's 30 mg/d in all"
    assert total_mme(opioid_prescriptions(record, "2022")) == Decimal(141)
