"""The DetectedIssue that records a prescription's opioid review.

One per prescription, with an id derived from it, so a re-check supersedes the last one (a
new version) instead of piling up; a re-check that finds nothing any more cancels it. The
prescriber acknowledges a warning by adding a `mitigation` (action, author, date — e.g. "dose
justified: …") to the DetectedIssue; re-checks keep every mitigation recorded.
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
    request_reference: str,
    patient_reference: str,
    review: OpioidReview,
    now: datetime,
    previous: Json | None = None,
) -> Json:
    """The review as a DetectedIssue; the `previous` version's mitigations carry over."""
    implicated = {request_reference, *(p.reference for p in review.prescriptions)}
    severity = "high" if any(f.severity == "high" for f in review.findings) else "moderate"
    found: Json = {
        "resourceType": "DetectedIssue",
        "id": detected_issue_id(request_reference),
        "status": "final",
        "code": {
            "coding": [{"system": FINDING_SYSTEM, "code": "opioid-review"}],
            "text": f"Opioid prescribing review (CDC clinical practice guideline {review.factors})",
        },
        "severity": severity,
        "patient": {"reference": patient_reference},
        "identifiedDateTime": _date_time(now),
        "implicated": [{"reference": reference} for reference in sorted(implicated)],
        "evidence": [_evidence(finding) for finding in review.findings],
        "detail": f"{review.total} MME/d. " + " ".join(f.message + "." for f in review.findings),
    }
    if previous and previous.get("mitigation"):
        found["mitigation"] = previous["mitigation"]
    return found


def same_answer(previous: Json, current: Json) -> bool:
    """Whether a re-check says what the stored DetectedIssue says (when it ran aside)."""

    def answer(issue: Json) -> Json:
        return {k: v for k, v in issue.items() if k not in ("meta", "identifiedDateTime")}

    return answer(previous) == answer(current)


def cancelled(previous: Json, now: datetime) -> Json:
    """The previous review, withdrawn (its mitigations kept): a re-check found nothing."""
    return {
        **previous,
        "status": "cancelled",
        "identifiedDateTime": _date_time(now),
        "detail": "Re-checked when the patient's record changed: no findings any more.",
    }
