"""The review run whenever a MedicationRequest is created or updated (REST or Bundle entry):
its warnings go back with the write's answer, and a DetectedIssue is stored in the same
transaction."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.interactions import writes
from painfhir.store import StoredVersion, WriteSession
from painfhir.workflow.opioids._detected_issue import cancelled, detected_issue, detected_issue_id
from painfhir.workflow.opioids._identification import identify
from painfhir.workflow.opioids._medication import medication_of
from painfhir.workflow.opioids._mme import PAIN_MEDICATION_CATEGORY
from painfhir.workflow.opioids._record import Json, patient_record
from painfhir.workflow.opioids._review import OpioidReview, review_prescription


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
    patient = (request.get("subject") or {}).get("reference")
    issue_id = detected_issue_id(version.reference)
    previous = session.current("DetectedIssue", issue_id)
    if not isinstance(patient, str) or not patient.startswith("Patient/"):
        return []
    if not _may_be_opioid(session, request) and previous is None:
        return []
    record = patient_record(session, patient.removeprefix("Patient/"))
    review = review_prescription(request, record, session.now.date())
    if review.findings:
        found = detected_issue(version.reference, patient, review, session.now)
        writes.update(session, issue_id, found)
    elif previous is not None and previous.content is not None:
        withdrawn = parse_json(previous.content)
        if withdrawn.get("status") != "cancelled":
            writes.update(session, issue_id, cancelled(withdrawn, session.now))
    elif not review.prescriptions:
        return []
    return _issues(review, issue_id if review.findings else None)
