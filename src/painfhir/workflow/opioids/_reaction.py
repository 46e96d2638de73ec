"""The review run whenever a MedicationRequest is created or updated (REST or Bundle entry):
its warnings go back with the write's answer, and a DetectedIssue is stored in the same
transaction. A deleted prescription's review is cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
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


def hold_patient(session: WriteSession, patient: str) -> None:
    """Lock the patient's row until the transaction ends; first, before reading the record.

    The record is read by search, which sees only what other transactions have committed:
    two writing one patient's prescriptions at once would each miss the other's (60 + 60 MME/d
    and no 90 MME/d warning). Holding the patient, the later review waits for the earlier
    transaction and then sees its writes (PostgreSQL, where `current` locks; SQLite has one
    writer at a time). Taken before any review's DetectedIssue is locked, so transactions
    lock in one order and never wait for each other in a circle."""
    session.current("Patient", patient.removeprefix("Patient/"))


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


def _issues(review: OpioidReview, factors: Factors, issue_id: str | None) -> list[Issue]:
    count = len({p.reference for p in review.prescriptions})
    summary = (
        f"{review.total} MME/d over {count} active opioid prescription(s) (CDC {factors} factors)"
    )
    if issue_id is not None:
        summary += f"; the review is DetectedIssue/{issue_id}"
    return [
        Issue("information", "informational", summary),
        *(Issue("information", "informational", note) for note in review.notes),
        *(Issue("warning", "business-rule", finding.message) for finding in review.findings),
    ]


def _withdrawn(session: WriteSession, request_reference: str, patient: str) -> list[Issue]:
    """A deleted prescription has nothing left to warn about: its review, if standing, is
    cancelled (like a stopped one's, found by a re-check)."""
    recorded = record_review(
        session, request_reference, patient, OpioidReview(Decimal(0), [], factors_on_write())
    )
    if recorded is None or not recorded.changed:
        return []
    return [
        Issue(
            "information",
            "informational",
            f"Opioid review of {request_reference} cancelled with the prescription: "
            f"DetectedIssue/{recorded.issue_id}",
        )
    ]


def review_opioid_prescription(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    """The write reaction of MedicationRequest, deletes included (see
    painfhir.interactions.reactions)."""
    request = {**resource, "id": version.res_id}
    patient = patient_of(request)
    if patient is None:
        return []
    hold_patient(session, patient)
    if version.deleted:
        return _withdrawn(session, version.reference, patient)
    reviewed_before = session.current("DetectedIssue", detected_issue_id(version.reference))
    if not _may_be_opioid(session, request) and reviewed_before is None:
        return []
    record = patient_record(session, patient.removeprefix("Patient/"))
    factors = factors_on_write()
    review = review_prescription(request, record, session.now.date(), factors)
    recorded = record_review(session, version.reference, patient, review)
    if recorded is None and not review.prescriptions:
        return []
    return _issues(review, factors, recorded.issue_id if recorded and recorded.standing else None)
