"""The review run whenever a MedicationRequest is created or updated (REST or Bundle entry):
its warnings go back with the write's answer, and a DetectedIssue is stored in the same
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.interactions import writes
from painfhir.settings import Settings
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.opioids._detected_issue import (
    cancelled,
    detected_issue,
    detected_issue_id,
    same_answer,
)
from painfhir.workflow.opioids._identification import identify
from painfhir.workflow.opioids._ingredients import Factors
from painfhir.workflow.opioids._medication import medication_of
from painfhir.workflow.opioids._mme import PAIN_MEDICATION_CATEGORY
from painfhir.workflow.opioids._record import Json, patient_record
from painfhir.workflow.opioids._review import OpioidReview, review_prescription


@dataclass(frozen=True, slots=True)
class Recorded:
    """A prescription's DetectedIssue after a review."""

    issue_id: str
    standing: bool  # it has findings (status final), else it is cancelled
    changed: bool  # this review wrote a new version


@cache
def factors_on_write() -> Factors:
    """The factors of the checks on write, from PAINFHIR_MME_FACTORS (read once)."""
    return Settings().mme_factors


def patient_of(resource: Json) -> str | None:
    """`Patient/{id}` of the resource's subject, or None."""
    reference = (resource.get("subject") or {}).get("reference")
    return reference if isinstance(reference, str) and reference.startswith("Patient/") else None


def record_review(
    session: WriteSession, request_reference: str, patient: str, review: OpioidReview
) -> Recorded | None:
    """Store the review as the prescription's DetectedIssue — a new version only when its
    answer changed, the prescriber's mitigations kept — or cancel it when nothing is left to
    warn about. None: no findings and no DetectedIssue before."""
    issue_id = detected_issue_id(request_reference)
    stored = session.current("DetectedIssue", issue_id)
    previous = parse_json(stored.content) if stored and stored.content else None
    if review.findings:
        found = detected_issue(request_reference, patient, review, session.now, previous)
        changed = previous is None or not same_answer(previous, found)
        if changed:
            writes.update(session, issue_id, found)
        return Recorded(issue_id, standing=True, changed=changed)
    if previous is None:
        return None
    changed = previous.get("status") != "cancelled"
    if changed:
        writes.update(session, issue_id, cancelled(previous, session.now))
    return Recorded(issue_id, standing=False, changed=changed)


def _stored_medication(session: WriteSession, request: Json) -> dict[str, Json]:
    reference = (request.get("medicationReference") or {}).get("reference")
    if not isinstance(reference, str) or not reference.startswith("Medication/"):
        return {}
    stored = session.current("Medication", reference.removeprefix("Medication/"))
    return {reference: parse_json(stored.content)} if stored and stored.content else {}


def _may_be_opioid(session: WriteSession, request: Json) -> bool:
    """A cheap first look, so that other prescriptions cost no searches."""
    if PAIN_MEDICATION_CATEGORY in str(request.get("category")):
        return True
    medication = medication_of(request, _stored_medication(session, request))
    return isinstance(medication, str) or bool(identify(medication))


def _issues(review: OpioidReview, issue_id: str | None) -> list[Issue]:
    count = len({p.reference for p in review.prescriptions})
    summary = f"{review.total} MME/d over {count} active opioid prescription(s) (CDC 2022 factors)"
    if issue_id is not None:
        summary += f"; the review is DetectedIssue/{issue_id}"
    return [
        Issue("information", "informational", summary),
        *(Issue("information", "informational", note) for note in review.notes),
        *(Issue("warning", "business-rule", finding.message) for finding in review.findings),
    ]


def review_opioid_prescription(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    """The write reaction of MedicationRequest (see painfhir.interactions.reactions)."""
    request = {**resource, "id": version.res_id}
    patient = patient_of(request)
    if patient is None:
        return []
    reviewed_before = session.current("DetectedIssue", detected_issue_id(version.reference))
    if not _may_be_opioid(session, request) and reviewed_before is None:
        return []
    record = patient_record(session, patient.removeprefix("Patient/"))
    review = review_prescription(request, record, session.now.date(), factors_on_write())
    recorded = record_review(session, version.reference, patient, review)
    if recorded is None and not review.prescriptions:
        return []
    return _issues(review, recorded.issue_id if recorded and recorded.standing else None)
