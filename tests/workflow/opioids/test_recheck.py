"""Which writes re-run a patient's opioid reviews: those that can change their answer."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.workflow.opioids._recheck import patient_to_recheck

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"


def _coded(res_type: str, system: str, code: str) -> dict[str, Any]:
    return {
        "resourceType": res_type,
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": system, "code": code}]},
    }


@pytest.mark.parametrize(
    ("resource", "rechecks"),
    [
        pytest.param(_coded("Procedure", SNOMED, "461621000124108"), True, id="pdmp-review"),
        pytest.param(_coded("Observation", SNOMED, "461621000124108"), True, id="pdmp-obs"),
        pytest.param(_coded("ServiceRequest", CPT, "97110"), True, id="exercise-therapy"),
        pytest.param(_coded("Condition", ICD10CM, "C50.911"), True, id="cancer"),
        pytest.param(_coded("Condition", ICD10CM, "Z51.5"), True, id="palliative-care"),
        pytest.param(_coded("Condition", ICD10CM, "F11.20"), True, id="opioid-use-disorder"),
        pytest.param(_coded("MedicationRequest", SNOMED, "0"), True, id="any-prescription"),
        pytest.param(_coded("ServiceRequest", SNOMED, "3457005"), False, id="referral"),
        pytest.param(_coded("Condition", ICD10CM, "M54.50"), False, id="low-back-pain"),
        pytest.param(_coded("Observation", "http://loinc.org", "8480-6"), False, id="bp"),
    ],
)
def test_only_writes_that_can_change_a_review_recheck_it(
    resource: dict[str, Any], rechecks: bool
) -> None:
    assert patient_to_recheck(resource) == ("Patient/p1" if rechecks else None)
