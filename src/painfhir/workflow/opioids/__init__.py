"""Opioid safety (CDC clinical practice guideline 2022; 2016 to compare): morphine milligram
equivalents per day, the guideline's checks when an opioid is prescribed, and their record as
a DetectedIssue. docs/opioid-safety.md describes the rules and the bundled product table.

Pure parts (resources in, numbers out): `prescription_mme`, `total_mme`, `review_prescription`
over a `PatientRecord`, `supply_days`, `mme_parameters`. Service parts: `patient_record`
(searches a Store or a WriteSession) and the write reactions in `OPIOID_REACTIONS`: the
review of a prescription written (or its cancellation, deleted), and the re-check of a
patient's other opioid reviews.
"""

from painfhir.interactions.reactions import OnDelete, Reaction
from painfhir.workflow.opioids._ingredients import OPIOIDS, Factors, Opioid
from painfhir.workflow.opioids._mme import PrescriptionMme, prescription_mme, total_mme
from painfhir.workflow.opioids._parameters import mme_parameters
from painfhir.workflow.opioids._products import PRODUCTS
from painfhir.workflow.opioids._reaction import review_opioid_prescription
from painfhir.workflow.opioids._recheck import RECHECK, RECHECKED_ON
from painfhir.workflow.opioids._record import PatientRecord, patient_record
from painfhir.workflow.opioids._review import (
    OpioidReview,
    opioid_prescriptions,
    review_prescription,
    supply_days,
)

# A prescription gets its own review; then any write the reviews read re-checks the
# patient's other active opioid prescriptions (once per patient in a Bundle). A prescription
# deleted is a prescription stopped: its review is cancelled, the others re-checked.
OPIOID_REACTIONS: dict[str, tuple[Reaction, ...]] = {
    **{res_type: (RECHECK,) for res_type in RECHECKED_ON},
    "MedicationRequest": (OnDelete(review_opioid_prescription), OnDelete(RECHECK)),
}

__all__ = [
    "OPIOIDS",
    "OPIOID_REACTIONS",
    "PRODUCTS",
    "Factors",
    "Opioid",
    "OpioidReview",
    "PatientRecord",
    "PrescriptionMme",
    "mme_parameters",
    "opioid_prescriptions",
    "patient_record",
    "prescription_mme",
    "review_prescription",
    "supply_days",
    "total_mme",
]
