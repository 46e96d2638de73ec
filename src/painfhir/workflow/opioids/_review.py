"""The opioid safety review of a prescription (CDC 2022, 2016 to compare): the patient's
total MME/d over active opioid prescriptions and the guideline's warnings.

The warnings are for a patient on long-term opioids (subacute or chronic pain): any active
opioid prescription, the new one included, with a supply of 28 days or more
(dispenseRequest.expectedSupplyDuration, else quantity / daily use, times 1 + refills) — a
5-day prescription on top of a 30-day one is long-term use. When a supply cannot be worked
out it counts as long-term — the safer mistake — and the review says so. A total of 90 MME/d
or more is warned about whatever the supply; a prescription whose MME cannot be known is
always reported, whatever the supply or exclusions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from painfhir.workflow.opioids import _evidence as evidence
from painfhir.workflow.opioids._dosage import doses_of
from painfhir.workflow.opioids._guideline import (
    HIGH_DOSE,
    Finding,
    dose_findings,
    guideline_findings,
)
from painfhir.workflow.opioids._ingredients import Factors
from painfhir.workflow.opioids._medication import Amount
from painfhir.workflow.opioids._mme import (
    PrescriptionMme,
    plain,
    prescription_mme,
    total_mme,
    unit_kind,
    with_patient_methadone_factor,
)
from painfhir.workflow.opioids._record import Json, PatientRecord

LONG_TERM_DAYS = 28
_DAYS = {
    "d": Decimal(1),
    "wk": Decimal(7),
    "mo": Decimal(30),
    "a": Decimal(365),
    "h": Decimal(1) / 24,
}


@dataclass(slots=True)
class OpioidReview:
    total: Decimal
    prescriptions: list[PrescriptionMme]
    factors: Factors  # the guideline whose conversion factors the total is in
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why checks were (not) applied


def opioid_prescriptions(record: PatientRecord, factors: Factors) -> list[PrescriptionMme]:
    """The MME of every opioid in the patient's active prescriptions."""
    entries = [
        entry
        for request in evidence.active_orders(record)
        for entry in prescription_mme(request, record.medications, factors)
    ]
    return with_patient_methadone_factor(entries, factors)


def supply_days(request: Json) -> Decimal | None:
    dispense = request.get("dispenseRequest") or {}
    fills = 1 + int(dispense.get("numberOfRepeatsAllowed") or 0)
    duration = dispense.get("expectedSupplyDuration") or {}
    duration_unit = duration.get("code") or duration.get("unit")
    if "value" in duration and duration_unit in _DAYS:
        return Decimal(duration["value"]) * _DAYS[duration_unit] * fills
    quantity = dispense.get("quantity") or {}
    doses = doses_of(request)
    if "value" not in quantity or isinstance(doses, str):
        return None
    kind = unit_kind(str(quantity.get("code") or quantity.get("unit") or "1"))
    per_day = max(
        sum((d.amount.value * d.per_day for d in group if _same_kind(d.amount, kind)), Decimal(0))
        for group in doses
    )
    return Decimal(quantity["value"]) / per_day * fills if per_day else None


def _same_kind(amount: Amount, kind: str) -> bool:
    return unit_kind(amount.unit) == kind


def _problems(prescriptions: list[PrescriptionMme]) -> list[Finding]:
    return [
        Finding(
            "mme-incomplete",
            "moderate",
            f"{p.reference}: MME not known and left out of the total: {p.problem}",
            (p.reference,),
        )
        for p in prescriptions
        if p.problem is not None
    ]


def _other_opioid_orders(request: Json, record: PatientRecord, factors: Factors) -> list[Json]:
    return [
        other
        for other in evidence.active_orders(record)
        if other.get("id") != request.get("id")
        and prescription_mme(other, record.medications, factors)
    ]


def _long_term(
    request: Json, record: PatientRecord, factors: Factors, review: OpioidReview
) -> bool:
    """Whether the patient is on long-term opioids: any active opioid prescription, this one
    included, with a supply of 28 days or more (or one that cannot be worked out). Notes why."""
    days = supply_days(request)
    if days is None:
        review.notes.append("Supply duration unknown: reviewed as a long-term prescription")
        return True
    if days >= LONG_TERM_DAYS:
        return True
    for other in _other_opioid_orders(request, record, factors):
        other_days = supply_days(other)
        if other_days is None or other_days >= LONG_TERM_DAYS:
            supply = "an unknown" if other_days is None else f"a {plain(other_days)}-day"
            review.notes.append(
                f"A {plain(days)}-day supply, but {evidence.reference_of(other)} has {supply} "
                "supply: reviewed as long-term opioid use"
            )
            return True
    review.notes.append(
        f"A {plain(days)}-day supply (under {LONG_TERM_DAYS}): long-term checks not applied"
    )
    return False


def review_prescription(
    request: Json, record: PatientRecord, today: date, factors: Factors = "2022"
) -> OpioidReview:
    """The review of `request` (already in `record`) against the patient's record."""
    prescriptions = opioid_prescriptions(record, factors)
    review = OpioidReview(total_mme(prescriptions), prescriptions, factors)
    if not prescription_mme(request, record.medications, factors):
        return review  # no opioid in this prescription: nothing to check
    review.findings += _problems(prescriptions)
    if not evidence.is_active_order(request):
        return review
    exclusions = evidence.exclusions(record, today)
    if exclusions:
        review.notes.append(f"Opioid guideline checks not applied: {', '.join(exclusions)}")
    elif _long_term(request, record, factors, review):
        review.findings += guideline_findings(record, today, review.total, factors)
    elif review.total >= HIGH_DOSE:  # a dose this high is a risk whatever the supply
        review.findings += dose_findings(review.total)
    return review
