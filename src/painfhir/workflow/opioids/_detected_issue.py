"""The DetectedIssue that records a prescription's opioid review.

One per prescription, with an id derived from it, so a re-check on update supersedes the
last one (a new version) instead of piling up; a re-check that finds nothing any more
cancels it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from painfhir.workflow.opioids._guideline import FINDING_SYSTEM, Finding
from painfhir.workflow.opioids._review import OpioidReview

Json = dict[str, Any]


def _date_time(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds")


def detected_issue_id(request_reference: str) -> str:
    return f"opioid-review-{uuid.uuid5(uuid.NAMESPACE_URL, request_reference)}"


def _evidence(finding: Finding) -> Json:
    found: Json = {
        "code": [
            {"coding": [{"system": FINDING_SYSTEM, "code": finding.code}], "text": finding.message}
        ]
    }
    if finding.evidence:
        found["detail"] = [{"reference": reference} for reference in finding.evidence]
    return found


def detected_issue(
    request_reference: str, patient_reference: str, review: OpioidReview, now: datetime
) -> Json:
    implicated = {request_reference, *(p.reference for p in review.prescriptions)}
    severity = "high" if any(f.severity == "high" for f in review.findings) else "moderate"
    return {
        "resourceType": "DetectedIssue",
        "id": detected_issue_id(request_reference),
        "status": "final",
        "code": {
            "coding": [{"system": FINDING_SYSTEM, "code": "opioid-review"}],
            "text": "Opioid prescribing review (CDC clinical practice guideline 2022)",
        },
        "severity": severity,
        "patient": {"reference": patient_reference},
        "identifiedDateTime": _date_time(now),
        "implicated": [{"reference": reference} for reference in sorted(implicated)],
        "evidence": [_evidence(finding) for finding in review.findings],
        "detail": f"{review.total} MME/d. " + " ".join(f.message + "." for f in review.findings),
    }


def cancelled(previous: Json, now: datetime) -> Json:
    """The previous review, withdrawn: the prescription's re-check found nothing."""
    return {
        **previous,
        "status": "cancelled",
        "identifiedDateTime": _date_time(now),
        "detail": "Re-checked when the prescription changed: no findings any more.",
    }
