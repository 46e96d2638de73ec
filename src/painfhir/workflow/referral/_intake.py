"""The intake check: does a referral package meet the clinic's criteria? Pure: the package in,
the findings out.

The criteria (docs/workflow.md): a coded reason; pain shown to last three months or more
(a chronic pain code, a Condition's onset or recorded date, or the referral's own words); a
reachable referring party; insurance that is in force, or self-pay / direct access; the
conservative treatment already tried and the current medicines; imaging when the reason is
spinal or radicular pain, and test results when it is neuropathic pain. Each unmet criterion
is a finding coded in CodeSystem pain-intake-finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from painfhir.workflow.referral._chronicity import chronicity_shown
from painfhir.workflow.referral._referral_package import (
    ICD10CM,
    SNOMED,
    ReferralPackage,
    codings,
    day,
    matches,
    reason_codings,
    referral_day,
    referral_texts,
)

Json = dict[str, Any]
INTAKE_FINDING_SYSTEM = "http://painfhir.org/fhir/CodeSystem/pain-intake-finding"
_SELF_PAY_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-selfpay"
_SELF_PAY_WORDS = re.compile(r"\bself[- ]?pa(?:y|ying)\b")

# Spinal or radicular pain, for which the clinic expects prior imaging.
_SPINAL_CODES = {
    SNOMED: ("278860009", "1121000119107", "128196005", "23056005"),
    ICD10CM: ("M54", "M96.1", "M51", "M47", "M48"),
}
# Neuropathic pain, for which the clinic expects test results (nerve conduction, work-up).
_NEUROPATHIC_CODES = {SNOMED: ("247398009", "128200000"), ICD10CM: ("M79.2", "G90.5")}
_IMAGING_CATEGORIES = {"RAD", "LP29684-5", "394914008"}  # v2-0074, LOINC, SNOMED radiology
# A report coded with a procedure of CPT's Radiology section (an HL7 v2 OBR-4 often is) is
# imaging even without a category.
_CPT = "http://www.ama-assn.org/go/cpt"
_CPT_RADIOLOGY = (70010, 79999)

_DISPLAY = {
    "missing-reason": "Reason for referral missing",
    "chronicity-not-shown": "Chronicity not shown",
    "missing-insurance": "Insurance missing",
    "coverage-not-active": "Coverage not active",
    "missing-prior-imaging": "Prior imaging missing",
    "missing-prior-tests": "Prior test results missing",
    "missing-prior-treatment": "Prior treatment missing",
    "missing-medication-list": "Medication list missing",
    "referrer-unreachable": "Referrer cannot be reached",
}


@dataclass(frozen=True, slots=True)
class IntakeFinding:
    code: str  # in CodeSystem pain-intake-finding
    detail: str

    @property
    def display(self) -> str:
        return _DISPLAY[self.code]


def _in_force(coverage: Json, on: date) -> bool:
    period = coverage.get("period") or {}
    start, end = day(period.get("start")), day(period.get("end"))
    return (
        coverage.get("status") == "active"
        and (start is None or start <= on)
        and (end is None or on <= end)
    )


def _self_pay(package: ReferralPackage) -> bool:
    """Self-pay or direct access: a self-pay Coverage, a patient referring themselves, or
    the referral saying so."""
    for coverage in [*package.coverages, *package.patient_coverages]:
        if any(c.get("system") == _SELF_PAY_SYSTEM for c in codings([coverage.get("type") or {}])):
            return True
    requester = (package.referral.get("requester") or {}).get("reference")
    if isinstance(requester, str) and requester.startswith("Patient/"):
        return True
    return any(_SELF_PAY_WORDS.search(t.lower()) for t in referral_texts(package))


def insurance_findings(package: ReferralPackage) -> list[IntakeFinding]:
    referred = referral_day(package.referral)
    lapsed = [c for c in package.coverages if not _in_force(c, referred)]
    findings = [
        IntakeFinding(
            "coverage-not-active",
            f"Coverage/{c.get('id')} is not in force on {referred.isoformat()}",
        )
        for c in lapsed
    ]
    in_force = [
        c for c in [*package.coverages, *package.patient_coverages] if _in_force(c, referred)
    ]
    if not in_force and not lapsed and not _self_pay(package):
        findings.append(
            IntakeFinding(
                "missing-insurance",
                "The referral names no coverage, none is on file and it does not say self-pay",
            )
        )
    return findings


def referrer_findings(package: ReferralPackage) -> list[IntakeFinding]:
    referral = package.referral
    if not referral.get("requester"):
        return [IntakeFinding("referrer-unreachable", "The referral names no referring party")]
    requester = package.requester
    if requester is None or requester.get("resourceType") == "Patient":
        return []  # not stored here, so not known to be unreachable; or direct access
    if any(p.get("telecom") or p.get("endpoint") for p in [requester, *package.requester_parties]):
        return []
    return [
        IntakeFinding(
            "referrer-unreachable",
            f"The requester {requester.get('resourceType')}/{requester.get('id')} has no "
            "telecom or endpoint"
            + (", nor has its practitioner or organization" if package.requester_parties else ""),
        )
    ]


def _radiology_cpt(coding: Json) -> bool:
    code = coding.get("code")
    return (
        coding.get("system") == _CPT
        and isinstance(code, str)
        and code.isdigit()
        and _CPT_RADIOLOGY[0] <= int(code) <= _CPT_RADIOLOGY[1]
    )


def _is_imaging(record: Json) -> bool:
    if record.get("resourceType") == "ImagingStudy":
        return True
    categories = codings(record.get("category") or [])
    return record.get("resourceType") == "DiagnosticReport" and (
        bool(record.get("imagingStudy"))
        or any(c.get("code") in _IMAGING_CATEGORIES for c in categories)
        or any(map(_radiology_cpt, codings([record.get("code") or {}])))
    )


def _is_test_result(record: Json) -> bool:
    kind = record.get("resourceType")
    return kind == "Observation" or (kind == "DiagnosticReport" and not _is_imaging(record))


def record_findings(package: ReferralPackage) -> list[IntakeFinding]:
    kinds = {record.get("resourceType") for record in package.records}
    findings = []
    if not kinds & {"Procedure", "MedicationStatement", "MedicationRequest"}:
        findings.append(
            IntakeFinding(
                "missing-prior-treatment",
                "No prior treatment (Procedure, MedicationStatement) came with the referral",
            )
        )
    if not kinds & {"MedicationStatement", "MedicationRequest"}:
        findings.append(
            IntakeFinding(
                "missing-medication-list", "The patient's current medicines are not given"
            )
        )
    reasons = reason_codings(package)
    if matches(reasons, _SPINAL_CODES) and not any(map(_is_imaging, package.records)):
        findings.append(
            IntakeFinding("missing-prior-imaging", "Spinal or radicular pain, but no prior imaging")
        )
    if matches(reasons, _NEUROPATHIC_CODES) and not any(map(_is_test_result, package.records)):
        findings.append(
            IntakeFinding(
                "missing-prior-tests", "Neuropathic pain, but no nerve conduction or other tests"
            )
        )
    return findings


def intake_findings(package: ReferralPackage) -> list[IntakeFinding]:
    """Everything the package lacks against the clinic's criteria, in a stable order."""
    referral = package.referral
    findings = []
    if not codings(referral.get("reasonCode") or []) and not referral.get("reasonReference"):
        findings.append(
            IntakeFinding("missing-reason", "No coded reason and no Condition the referral is for")
        )
    if not chronicity_shown(package):
        findings.append(
            IntakeFinding(
                "chronicity-not-shown",
                "Nothing shows the pain has lasted 3 months or more: no chronic pain code, "
                "onset or recorded date, or duration in the referral's text",
            )
        )
    findings += insurance_findings(package)
    findings += referrer_findings(package)
    findings += record_findings(package)
    return findings
