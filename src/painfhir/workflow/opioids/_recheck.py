"""Re-checks: when a write changes what a patient's opioid reviews would say — a naloxone or
benzodiazepine prescribed or stopped, another opioid added or stopped, a PDMP review, a
non-opioid therapy, a condition that excludes the checks — the reviews of the patient's
active opioid prescriptions run again in the same transaction, and their DetectedIssues get
a new version (or are cancelled) when the answer changed.

It is a `OncePer` reaction grouped by patient: a Bundle re-checks each patient once, after
its last write for that patient, and reads the record once for all the prescriptions.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.interactions.reactions import OncePer
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.opioids._evidence import is_active_order
from painfhir.workflow.opioids._exclusions import (
    exclusion_of_condition,
    is_palliative_care,
    is_substance_misuse,
)
from painfhir.workflow.opioids._medication import codings_of
from painfhir.workflow.opioids._mme import prescription_mme
from painfhir.workflow.opioids._reaction import (
    factors_on_write,
    hold_patient,
    patient_of,
    record_review,
)
from painfhir.workflow.opioids._record import (
    PDMP_REVIEW,
    Json,
    medication_requests,
    patient_record,
)
from painfhir.workflow.opioids._review import review_prescription
from painfhir.workflow.opioids._therapies import SNOMED, is_non_opioid_therapy

# What the review reads besides the prescriptions' own; Observations only as PDMP reviews.
RECHECKED_ON = (
    "MedicationRequest",
    "Procedure",
    "Observation",
    "ServiceRequest",
    "CarePlan",
    "Condition",
)


def _bears_on_reviews(resource: Json) -> bool:
    """Can this write change what a review says? Every prescription and care plan can; any
    other resource only through its code: a PDMP review, a non-opioid therapy, a condition or
    service that excludes the checks, a history of misuse. So a referral, a blood pressure or
    a diagnosis of back pain costs the review nothing. (A code changed away from one of these
    by an update is seen at the patient's next relevant write.)"""
    if resource.get("resourceType") in ("MedicationRequest", "CarePlan"):
        return True
    return any(
        (system, code) == (SNOMED, PDMP_REVIEW)
        or is_non_opioid_therapy(system, code)
        or exclusion_of_condition(system, code) is not None
        or is_palliative_care(system, code)
        or is_substance_misuse(system, code)
        for system, code in codings_of(resource.get("code"))
    )


def patient_to_recheck(resource: Json) -> str | None:
    """The patient whose opioid reviews this write may change (the `OncePer` group)."""
    return patient_of(resource) if _bears_on_reviews(resource) else None


def recheck_opioid_reviews(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    patient = patient_to_recheck(resource)
    if patient is None:
        return []
    hold_patient(session, patient)
    patient_id = patient.removeprefix("Patient/")
    requests, medications = medication_requests(session, patient_id)
    # The prescription just written had its own review (review_opioid_prescription).
    written = version.reference if version.res_type == "MedicationRequest" else None
    orders = [
        request
        for request in requests
        if is_active_order(request)
        and f"MedicationRequest/{request['id']}" != written
        and prescription_mme(request, medications, factors_on_write())
    ]
    if not orders:
        return []
    record = patient_record(session, patient_id, (requests, medications))
    issues = []
    for order in orders:
        reference = f"MedicationRequest/{order['id']}"
        review = review_prescription(order, record, session.now.date(), factors_on_write())
        recorded = record_review(session, reference, patient, review)
        if recorded is not None and recorded.changed:
            outcome = "updated" if recorded.standing else "cancelled: nothing left to warn about"
            issues.append(
                Issue(
                    "information",
                    "informational",
                    f"Opioid review of {reference} re-checked: "
                    f"DetectedIssue/{recorded.issue_id} {outcome}",
                )
            )
    return issues


RECHECK = OncePer(patient_to_recheck, recheck_opioid_reviews)
