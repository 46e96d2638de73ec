"""The guideline's warnings for a patient on long-term opioids (CDC 2022; 2016 to compare)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from painfhir.workflow.opioids import _evidence as evidence
from painfhir.workflow.opioids._ingredients import Factors
from painfhir.workflow.opioids._record import PatientRecord

FINDING_SYSTEM = "http://painfhir.org/fhir/CodeSystem/opioid-safety-finding"


@dataclass(frozen=True, slots=True)
class Finding:
    """One warning: a code of painfhir's opioid-safety findings, and what supports it."""

    code: str
    severity: Literal["high", "moderate"]
    message: str
    evidence: tuple[str, ...] = ()


HIGH_DOSE = Decimal(90)  # MME/d: avoid, or justify and consider tapering
MODERATE_DOSE = Decimal(50)  # MME/d: reassess and justify


def dose_findings(total: Decimal) -> list[Finding]:
    if total >= HIGH_DOSE:
        message = f"{total} MME/d (at least 90): avoid, or justify and consider tapering"
        return [Finding("mme-90", "high", message)]
    if total >= MODERATE_DOSE:
        message = f"{total} MME/d (at least 50): reassess benefits and risks, justify the dose"
        return [Finding("mme-50", "moderate", message)]
    return []


def _naloxone_needed(record: PatientRecord, total: Decimal, factors: Factors) -> bool:
    """2022: every patient on long-term opioids; 2016: at 50 MME/d or more, with a
    benzodiazepine, or with a history of substance misuse."""
    if factors == "2022":
        return True
    return (
        total >= MODERATE_DOSE
        or bool(evidence.benzodiazepines(record))
        or evidence.substance_misuse(record)
    )


def guideline_findings(
    record: PatientRecord, today: date, total: Decimal, factors: Factors
) -> list[Finding]:
    findings = dose_findings(total)
    benzodiazepines = evidence.benzodiazepines(record)
    if benzodiazepines:
        message = "A benzodiazepine is prescribed too: avoid concurrent benzodiazepines"
        findings.append(Finding("benzodiazepine", "high", message, tuple(benzodiazepines)))
    if not evidence.rescue_naloxone(record, today) and _naloxone_needed(record, total, factors):
        message = (
            "No naloxone prescribed: offer naloxone (an opioid/naloxone combination does not count)"
        )
        findings.append(Finding("no-naloxone", "moderate", message))
    if not evidence.non_opioid_therapies(record):
        message = (
            "No non-opioid therapy tried or planned (medication, rehabilitation, CBT, procedures)"
        )
        findings.append(Finding("no-non-opioid-therapy", "moderate", message))
    if not evidence.recent_pdmp_reviews(record, today):
        message = (
            "No PDMP review in the last 90 days: check the prescription drug monitoring program"
        )
        findings.append(Finding("no-pdmp-review", "moderate", message))
    return findings
