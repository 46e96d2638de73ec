"""How much of a medication a prescription's dosage instructions give per day.

Per instruction: the dose (doseQuantity, or the high end of doseRange) times the doses per day
(frequency (its maximum when given) per period, else timeOfDay's count, else `when`'s, else
the timing code — BID, TID, Q6H… — else one). Instructions with the same `sequence` (or
none) run together and add up; sequential ones (a taper) count at their highest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from painfhir.workflow.opioids._medication import Amount

_DAYS_PER_UNIT = {
    "s": Decimal(1) / 86400,
    "min": Decimal(1) / 1440,
    "h": Decimal(1) / 24,
    "d": Decimal(1),
    "wk": Decimal(7),
    "mo": Decimal(30),
    "a": Decimal(365),
}
# http://hl7.org/fhir/R4/valueset-timing-abbreviation.html (a code without a system is read
# as one of these too)
_GTS_ABBREVIATION = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
_DOSES_PER_DAY_BY_CODE = {
    "QD": Decimal(1),
    "AM": Decimal(1),
    "PM": Decimal(1),
    "BED": Decimal(1),
    "BID": Decimal(2),
    "TID": Decimal(3),
    "QID": Decimal(4),
    "QOD": Decimal("0.5"),
    "Q1H": Decimal(24),
    "Q2H": Decimal(12),
    "Q3H": Decimal(8),
    "Q4H": Decimal(6),
    "Q6H": Decimal(4),
    "Q8H": Decimal(3),
    "WK": Decimal(1) / 7,
    "MO": Decimal(1) / 30,
}


@dataclass(frozen=True, slots=True)
class Dose:
    """One administration's dose, and how many administrations a day."""

    amount: Amount
    per_day: Decimal


def _dose(dosage: dict[str, Any]) -> Amount | None:
    for dose_and_rate in dosage.get("doseAndRate") or []:
        quantity = dose_and_rate.get("doseQuantity")
        dose_range = dose_and_rate.get("doseRange") or {}
        quantity = quantity or dose_range.get("high") or dose_range.get("low")
        if isinstance(quantity, dict) and "value" in quantity:
            unit = quantity.get("code") or quantity.get("unit") or ""
            return Amount(Decimal(quantity["value"]), str(unit))
    return None


def _by_code(timing: dict[str, Any]) -> Decimal | None:
    """From the first coding of the timing abbreviations: a code may come with others (SNOMED
    CT, a local one) in any order."""
    for coding in (timing.get("code") or {}).get("coding") or []:
        if coding.get("system") in (_GTS_ABBREVIATION, None):
            per_day = _DOSES_PER_DAY_BY_CODE.get(coding.get("code", ""))
            if per_day is not None:
                return per_day
    return None


def doses_per_day(timing: Any) -> Decimal:
    timing = timing if isinstance(timing, dict) else {}
    repeat = timing.get("repeat") or {}
    # The frequency first (domain.md §4): `when` and `timeOfDay` may only say when the
    # doses are taken ("3 a day, with meals" is one `when`, C).
    if "frequency" in repeat or "frequencyMax" in repeat or "period" in repeat:
        frequency = Decimal(repeat.get("frequencyMax") or repeat.get("frequency") or 1)
        period = Decimal(repeat.get("period") or 1) * _DAYS_PER_UNIT[repeat.get("periodUnit", "d")]
        return frequency / period
    if repeat.get("timeOfDay"):
        return Decimal(len(repeat["timeOfDay"]))
    if repeat.get("when"):
        return Decimal(len(repeat["when"]))
    by_code = _by_code(timing)
    return Decimal(1) if by_code is None else by_code


def doses_of(request: dict[str, Any]) -> list[list[Dose]] | str:
    """The doses of each group of concurrent instructions, or why there is no usable dose."""
    groups: dict[int | None, list[Dose]] = defaultdict(list)
    for dosage in request.get("dosageInstruction") or []:
        amount = _dose(dosage)
        if amount is None:
            return "a dosage instruction has no dose (doseQuantity or doseRange)"
        groups[dosage.get("sequence")].append(Dose(amount, doses_per_day(dosage.get("timing"))))
    if not groups:
        return "it has no dosage instructions"
    return list(groups.values())
