"""Where the intake check's findings go on the referral Task, so the clinic sees them.

Each finding is a Task.input `intake-finding` (the profile's slice: the code and, as text,
what exactly is missing), and a Task.meta.tag of the same code, since tags are FHIR's way
to relate a resource to workflow and `_tag` is searchable on every server:
`GET Task?_tag=http://painfhir.org/fhir/CodeSystem/pain-intake-finding|` lists the referrals
with something missing, `…|missing-insurance` those without insurance.
"""

from __future__ import annotations

from typing import Any

from painfhir.workflow.referral._intake import INTAKE_FINDING_SYSTEM, IntakeFinding
from painfhir.workflow.referral._machine import TASK_PARAMETER_SYSTEM, task_parameter

Json = dict[str, Any]


def _is_finding_input(entry: Json) -> bool:
    return any(
        c.get("system") == TASK_PARAMETER_SYSTEM and c.get("code") == "intake-finding"
        for c in (entry.get("type") or {}).get("coding") or []
    )


def _finding_input(finding: IntakeFinding) -> Json:
    coding = {"system": INTAKE_FINDING_SYSTEM, "code": finding.code, "display": finding.display}
    return {
        "type": task_parameter("intake-finding", "Intake finding"),
        "valueCodeableConcept": {"coding": [coding], "text": finding.detail},
    }


def findings_on(task: Json) -> list[Json]:
    """The intake-finding inputs the Task carries now."""
    return [entry for entry in task.get("input") or [] if _is_finding_input(entry)]


def with_findings(task: Json, findings: list[IntakeFinding]) -> Json:
    """A copy of the Task carrying exactly `findings` (inputs and tags); nothing else changes.
    The copy shares the Task's other elements: neither may be changed in place afterwards."""
    updated = dict(task)
    inputs = [entry for entry in updated.get("input") or [] if not _is_finding_input(entry)]
    inputs += [_finding_input(finding) for finding in findings]
    if inputs:
        updated["input"] = inputs
    else:
        updated.pop("input", None)
    meta = dict(updated.get("meta") or {})
    tags = [t for t in meta.get("tag") or [] if t.get("system") != INTAKE_FINDING_SYSTEM]
    # One tag per code, even when two findings share it (two lapsed coverages).
    displays = {finding.code: finding.display for finding in findings}
    tags += [
        {"system": INTAKE_FINDING_SYSTEM, "code": code, "display": display}
        for code, display in displays.items()
    ]
    if tags:
        meta["tag"] = tags
    else:
        meta.pop("tag", None)
    if meta:
        updated["meta"] = meta
    return updated
